package steps

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nexus-onboard/nexus-onboard/clients/httpx"
	"github.com/nexus-onboard/nexus-onboard/clients/secrets"
)

// Selection is the steps a run will walk, in procedure order.
type Selection struct {
	Steps  []Step
	Pulled []string // ids added because a selected step needs their in-memory output
}

// IDs lists the selected step ids.
func (s Selection) IDs() []string {
	ids := make([]string, len(s.Steps))
	for i, st := range s.Steps {
		ids[i] = st.ID
	}
	return ids
}

// Has reports whether a step is selected.
func (s Selection) Has(id string) bool { return slices.Contains(s.IDs(), id) }

// Select resolves --only and --skip. A step that needs an in-memory output
// (the access token; the contact center when cc_id is not given) pulls in
// the read-only step that makes it. Unknown ids are usage errors.
func Select(only, skip []string, in Values) (Selection, error) {
	var bad []string
	for _, id := range append(slices.Clone(only), skip...) {
		if _, ok := Lookup(id); !ok {
			bad = append(bad, id)
		}
	}
	if len(bad) > 0 {
		return Selection{}, fmt.Errorf("unknown step %s (steps: %s)", strings.Join(bad, ", "), strings.Join(IDs(), ", "))
	}
	want := map[string]bool{}
	for _, s := range All {
		want[s.ID] = len(only) == 0 || slices.Contains(only, s.ID)
	}
	for _, id := range skip {
		want[id] = false
	}
	var pulled []string
	// Walk backwards so a pulled step's own needs are seen too.
	for i := len(All) - 1; i >= 0; i-- {
		s := All[i]
		if !want[s.ID] {
			continue
		}
		for _, name := range s.Uses {
			o, ok := findOutput(name)
			if !ok || want[o.Producer] {
				continue
			}
			needed := o.Where == InMemory || (name == OutCCID && in.Get(KeyCCID) == "")
			if !needed {
				continue
			}
			if slices.Contains(skip, o.Producer) {
				return Selection{}, fmt.Errorf("step %s needs %s from step %s, which --skip leaves out", s.ID, name, o.Producer)
			}
			want[o.Producer] = true
			pulled = append(pulled, o.Producer)
			i = len(All) // restart: the pulled step may need others
			break
		}
	}
	var sel Selection
	for _, s := range All {
		if want[s.ID] {
			sel.Steps = append(sel.Steps, s)
		}
	}
	for _, s := range All {
		if slices.Contains(pulled, s.ID) {
			sel.Pulled = append(sel.Pulled, s.ID)
		}
	}
	return sel, nil
}

// Required lists the input keys the selected steps need with these values.
func (s Selection) Required(in Values) []string {
	var keys []string
	for _, st := range s.Steps {
		if st.Skip != nil && st.Skip(in) != "" {
			continue
		}
		keys = append(keys, st.Needs...)
		if st.Requires != nil {
			keys = append(keys, st.Requires(in)...)
		}
	}
	if !s.Has(IDContactCenter) {
		keys = append(keys, KeyCCID)
	}
	slices.Sort(keys)
	return slices.Compact(keys)
}

// Preflight reports the keyring outputs the selected steps read that are
// neither in the keyring nor made earlier in the run. The keyring itself
// is proven by its own check (PreflightChecks).
func (s Selection) Preflight(ctx context.Context, e *Env) Problems {
	var problems Problems
	made := map[string]bool{}
	for _, st := range s.Steps {
		if st.Skip != nil && st.Skip(e.In) != "" {
			continue
		}
		for _, name := range st.Uses {
			o, ok := findOutput(name)
			if !ok || o.Where != InKeyring || made[name] || e.Account(name) == "" {
				continue
			}
			_, found, err := e.Output(ctx, name)
			if err != nil {
				problems = append(problems, Problem{Key: "keyring", Msg: e.Redactor.Error(err)})
				return problems
			}
			if !found {
				problems = append(problems, Problem{Key: name, Msg: fmt.Sprintf("step %s needs it, but the keyring (%s / %s) has none: run step %s first (%s)", st.ID, secrets.Service, e.Account(name), o.Producer, e.Command("run", "--only", o.Producer))})
			}
			made[name] = true
		}
		for _, o := range st.Makes {
			made[o.Name] = true
		}
	}
	return problems
}

// EventKind tells what an Event reports.
type EventKind int

// Event kinds.
const (
	EventStart    EventKind = iota // a step began
	EventExchange                  // an HTTP exchange of the running step
	EventFinish                    // a step ended; Record is set
	EventNote                      // a line for people (retry, warning)
	EventRequest                   // an HTTP request of the running step just went out
)

// Event is sent to Runner.OnEvent as the run goes on.
type Event struct {
	Kind     EventKind
	Step     string
	Record   *Record
	Exchange *httpx.Exchange
	Text     string
}

// Runner walks selected steps, saving the state after each one.
type Runner struct {
	Env   *Env
	Store Store
	// OnEvent, when set, receives progress; it is called from the goroutine
	// running the steps and must not block for long.
	OnEvent func(Event)
	// Attempts bounds how often a step whose action failed transiently is
	// tried (its check runs again before each retry). Default 3.
	Attempts int
	// RetryDelay is the pause before a step is retried. Default 1s.
	RetryDelay time.Duration
	// StepTimeout is the budget of one step: everything it does (checks,
	// actions, HTTP attempts and backoff, step retries) ends by then, and the
	// step fails naming what it waited for. Default DefaultStepTimeout.
	StepTimeout time.Duration

	mu      sync.Mutex
	state   *State
	unlock  func()
	records []*Record
	created map[string]string
	// synced is the durable part of the state (State.durable) as last
	// written with fsync: a step that changes none of it is saved with the
	// run's last save, not one fsync each.
	synced string
}

// DefaultStepTimeout is the budget of one step when Runner.StepTimeout is 0:
// long enough for a check, an action and a retry of each, short enough that
// an endpoint that never answers fails the step within about a minute.
const DefaultStepTimeout = 60 * time.Second

// errStepBudget is the cause of a step's context when its budget ran out.
var errStepBudget = errors.New("step budget used up")

// ErrInterrupted is returned when the run's context was cancelled.
var ErrInterrupted = errors.New("interrupted")

// StepFailedError says which step stopped the run.
type StepFailedError struct {
	Step string
	Err  string
}

func (e *StepFailedError) Error() string { return "step " + e.Step + " failed: " + e.Err }

// State returns the state the run is writing (nil before the contact center is known).
func (r *Runner) State() *State {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.state
}

// Records returns the records of this run so far.
func (r *Runner) Records() []*Record {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.records)
}

// Close releases the state lock.
func (r *Runner) Close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.unlock != nil {
		r.unlock()
		r.unlock = nil
	}
}

// Attach locks and loads the state of the run's contact center. Run calls it
// as soon as the contact center is known; callers may call it earlier to
// fail fast when another run holds the lock.
func (r *Runner) Attach() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.attachLocked()
}

func (r *Runner) attachLocked() error {
	if r.state != nil || r.Env.CCID() == "" {
		return nil
	}
	unlock, err := r.Store.Lock(r.Env.CCID())
	if err != nil {
		return err
	}
	st, err := r.Store.Load(r.Env.CCID())
	if err != nil {
		unlock()
		return err
	}
	r.state, r.unlock = st, unlock
	// As on disk (a new state: nothing a crash must keep yet): a step
	// that changes none of it waits for the last save.
	r.synced = st.durable()
	r.Env.UseState(st)
	return nil
}

func (r *Runner) emit(ev Event) {
	if r.OnEvent != nil {
		r.OnEvent(ev)
	}
}

// save writes the state (fsync, rename) when what a crash must not lose
// changed since the last save: what the tool created or intends to, where
// its secrets are, a rotation in flight. A record of a check or a
// read-only step waits for the run's last save (saveAll): lost in a crash,
// it costs one more check on the next run, never a wrong decision. A
// failure to save is returned: a run that cannot remember must stop.
func (r *Runner) save() error { return r.saveState(false) }

// saveAll writes the state whatever changed: the end of a run, and before
// a write (recordIntent).
func (r *Runner) saveAll() error { return r.saveState(true) }

func (r *Runner) saveState(force bool) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.attachLocked(); err != nil {
		return err
	}
	if r.state == nil {
		return nil
	}
	r.state.Inputs = r.Env.In.NonSecret()
	for _, rec := range r.records {
		r.state.Steps[rec.ID] = rec
	}
	for k, v := range r.created {
		r.state.Created[k] = v
	}
	for k, v := range r.Env.StoredSecrets() {
		if r.state.Secrets == nil {
			r.state.Secrets = map[string]SecretOrigin{}
		}
		r.state.Secrets[k] = v
	}
	durable := r.state.durable()
	if !force && durable == r.synced {
		// Nothing a crash must keep changed: the record waits for the
		// run's last save, but a state dir that could not take it stops
		// the run here, at the step whose record it would lose.
		return r.Store.CheckRoom(r.state)
	}
	if err := r.Store.Save(r.state); err != nil {
		return err
	}
	r.synced = durable
	return nil
}

// Run walks the selection in order. It stops at the first failed step and
// marks the rest not-run. The error is nil when every step ended OK, a
// *StepFailedError, ErrInterrupted, or a state/lock error.
func (r *Runner) Run(ctx context.Context, sel Selection) ([]*Record, error) {
	if err := r.Attach(); err != nil {
		return nil, err
	}
	if err := r.finishRotation(ctx); err != nil {
		return nil, err
	}
	var runErr error
	for _, st := range sel.Steps {
		if runErr != nil {
			r.finish(&Record{ID: st.ID, Status: StatusNotRun, Outputs: map[string]string{}}, nil)
			continue
		}
		if ctx.Err() != nil {
			runErr = ErrInterrupted
			r.finish(&Record{ID: st.ID, Status: StatusNotRun, Outputs: map[string]string{}}, nil)
			continue
		}
		rec, created := r.runStep(ctx, st)
		if err := r.finish(rec, created); err != nil {
			runErr = saveFailed(st.ID, rec.Status, err, r.Store.Dir)
			continue
		}
		if rec.Status == StatusFailed {
			if ctx.Err() != nil {
				runErr = ErrInterrupted
			} else {
				runErr = &StepFailedError{Step: st.ID, Err: rec.Error}
			}
		}
	}
	if err := r.saveAll(); err != nil && runErr == nil {
		runErr = saveFailed("the last", "", err, r.Store.Dir)
	}
	return r.Records(), runErr
}

func saveFailed(step string, status Status, err error, dir string) error {
	ended := "step " + step + " ended " + string(status)
	if status == "" {
		ended = "the run ended"
	}
	return fmt.Errorf("%s, but the state could not be saved: %w: free space in %s or make it writable (or use another state dir), then run again: finished steps are checked, not repeated", ended, err, dir)
}

// finishRotation finishes a rotation of the client secret that a rotate
// left in flight (State.Rotation), before any step reads the secret. One
// that waits for its SQL (no db_url) is left to rotate --continue.
func (r *Runner) finishRotation(ctx context.Context) error {
	st := r.State()
	if st == nil || st.Rotation == nil {
		return nil
	}
	if st.Rotation.Database == "manual" && r.Env.In.Get(KeyDBURL) == "" {
		r.emit(Event{Kind: EventNote, Text: "a rotation of the client secret waits for its SQL to be run: then " + r.Env.Command("rotate", "--continue")})
		return nil
	}
	unlock, err := r.Store.LockEnvironment(r.Env.In)
	if err != nil {
		return err
	}
	defer unlock()
	r.emit(Event{Kind: EventNote, Text: "finishing the interrupted rotation of the client secret"})
	res, err := Rotate(ctx, r.Env, st, r.saveAll, RotateOptions{})
	if err != nil {
		if ctx.Err() != nil {
			return ErrInterrupted
		}
		return fmt.Errorf("finishing the interrupted rotation of the client secret: %w", err)
	}
	for _, n := range res.Notes {
		r.emit(Event{Kind: EventNote, Text: n})
	}
	return nil
}

// finish records a step's outcome and saves the state.
func (r *Runner) finish(rec *Record, created map[string]string) error {
	r.mu.Lock()
	r.records = append(r.records, rec)
	if r.created == nil {
		r.created = map[string]string{}
	}
	for k, v := range created {
		r.created[k] = v
	}
	r.mu.Unlock()
	err := r.save()
	r.emit(Event{Kind: EventFinish, Step: rec.ID, Record: rec})
	return err
}

// runStep runs one step: skip, check, action, with retries of transient
// failures that re-check first, so a write that may have landed is never
// blindly repeated.
func (r *Runner) runStep(ctx context.Context, st Step) (*Record, map[string]string) {
	rec := &Record{ID: st.ID, Started: time.Now().UTC(), Outputs: map[string]string{}}
	r.emit(Event{Kind: EventStart, Step: st.ID})
	// One budget for everything the step does: httpx's attempts and
	// backoff and this runner's retries all end at its deadline.
	budget := r.StepTimeout
	if budget <= 0 {
		budget = DefaultStepTimeout
	}
	bctx, cancel := context.WithTimeoutCause(ctx, budget, errStepBudget)
	defer cancel()
	var mu sync.Mutex
	var w waited // what the step last waited for, to name it if the budget ends
	sctx := httpx.WithRecorder(bctx, func(x httpx.Exchange) {
		mu.Lock()
		// An attempt cut off by the budget was still waiting for its answer.
		w.ex, w.inFlight = x, x.Pending || (x.Status == 0 && bctx.Err() != nil)
		if x.Pending {
			w.attempts++
			mu.Unlock()
			r.emit(Event{Kind: EventRequest, Step: st.ID, Exchange: &x})
			return
		}
		rec.Transcript = append(rec.Transcript, x)
		mu.Unlock()
		r.emit(Event{Kind: EventExchange, Step: st.ID, Exchange: &x})
	})
	res, err := r.attempt(sctx, st)
	rec.Finished = time.Now().UTC()
	rec.DurationMS = rec.Finished.Sub(rec.Started).Milliseconds()
	red := r.Env.Redactor
	if err != nil {
		rec.Status = StatusFailed
		if ctx.Err() != nil {
			rec.Error = "interrupted: the next run checks what this step managed to do and goes on"
		} else if errors.Is(context.Cause(bctx), errStepBudget) {
			mu.Lock()
			rec.Error = red.String(w.budgetMessage(budget, time.Now(), red.Error(err)))
			mu.Unlock()
		} else {
			rec.Error = red.Error(err)
			if httpx.IsTimeout(err) {
				rec.Error += ": " + timeoutHint
			}
			rec.Fix = FixOf(err)
		}
		return rec, nil
	}
	rec.Status = res.Status
	if rec.Status == "" {
		rec.Status = StatusDone
	}
	for k, v := range res.Outputs {
		rec.Outputs[k] = red.String(v)
	}
	rec.Message = red.String(res.Message)
	rec.Warning = red.String(res.Warning)
	if rec.Warning != "" {
		r.emit(Event{Kind: EventNote, Step: st.ID, Text: rec.Warning})
	}
	return rec, res.Created
}

// waited is the last HTTP attempt of a step, as its recorder saw it.
type waited struct {
	ex       httpx.Exchange // redacted
	inFlight bool           // announced, no answer yet
	attempts int            // HTTP attempts of the step
}

// budgetHint says what to do about a step that ran out of time.
const budgetHint = "allow more time with --step-timeout or NEXUS_ONBOARD_STEP_TIMEOUT (per request: --request-timeout or NEXUS_ONBOARD_REQUEST_TIMEOUT)"

// timeoutHint says what to do about a request that got no answer in time.
const timeoutHint = "if it is only slow, allow more time with --request-timeout or NEXUS_ONBOARD_REQUEST_TIMEOUT (per step: --step-timeout or NEXUS_ONBOARD_STEP_TIMEOUT)"

// budgetMessage words the failure of a step whose budget ran out: what it
// waited for, how long, and what to do. errText is the step's last error,
// redacted.
func (w *waited) budgetMessage(budget time.Duration, now time.Time, errText string) string {
	if w.attempts == 0 {
		return fmt.Sprintf("gave up after the %s step budget: %s: %s", fmtBudget(budget), errText, budgetHint)
	}
	target, host := w.ex.Method+" "+w.ex.URL, w.ex.URL
	if u, err := url.Parse(w.ex.URL); err == nil && u.Host != "" {
		target, host = w.ex.Method+" "+u.Host+u.Path, u.Host
	}
	var detail string
	switch {
	case w.inFlight:
		d := w.ex.Duration
		if w.ex.Pending {
			d = now.Sub(w.ex.Started)
		}
		if d >= time.Second {
			d = d.Round(time.Second)
		}
		detail = "no answer after " + fmtBudget(d.Round(time.Millisecond))
	case w.ex.Status != 0:
		detail = fmt.Sprintf("last answer %d %s", w.ex.Status, http.StatusText(w.ex.Status))
	case w.ex.Error != "":
		detail = "last attempt: " + strings.TrimPrefix(w.ex.Error, target+": ")
	default:
		detail = "no answer"
	}
	plural := "s"
	if w.attempts == 1 {
		plural = ""
	}
	return fmt.Sprintf("gave up after the %s step budget waiting for %s (%s; %d request%s in this step): check that %s is up and answers from here (VPN, firewall, proxy: HTTPS_PROXY/NO_PROXY), or %s",
		fmtBudget(budget), target, detail, w.attempts, plural, host, budgetHint)
}

// fmtBudget words a duration for people: "400ms", "60s", "90s", "2m".
func fmtBudget(d time.Duration) string {
	switch {
	case d%time.Second != 0:
		return d.String()
	case d >= 2*time.Minute && d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return fmt.Sprintf("%ds", d/time.Second)
}

func (r *Runner) attempt(ctx context.Context, st Step) (Result, error) {
	if st.Skip != nil {
		if why := st.Skip(r.Env.In); why != "" {
			return Result{Status: StatusSkipped, Message: why}, nil
		}
	}
	attempts := r.Attempts
	if attempts <= 0 {
		attempts = 3
	}
	delay := r.RetryDelay
	if delay <= 0 {
		delay = time.Second
	}
	var lastErr error
	ran := false // an attempt of this run sent the action
	// An intent left by an earlier run means a write of that run may have
	// landed: work found done now (or "already exists") is that write's.
	earlier := r.intent(st.ID) != nil
	does := st.behaviour()
	var seen any // what the last check observed, for Intends and Run
	for n := 1; n <= attempts; n++ {
		if does.hasCheck() {
			done, res, obs, err := does.check(ctx, r.Env)
			seen = obs
			if err != nil {
				if httpx.IsTransient(err) && n < attempts && sleep(ctx, delay) {
					lastErr = err
					r.emit(Event{Kind: EventNote, Step: st.ID, Text: "transient failure, retrying: " + r.Env.Redactor.Error(err)})
					continue
				}
				return Result{}, err
			}
			if done {
				if res.Status == "" {
					res.Status = StatusAlreadyDone
					if ran {
						// Our own earlier attempt landed before its answer was lost.
						res.Status = StatusDone
					}
				}
				// What an earlier attempt (of this run or one before it)
				// set out to create is there: it is ours.
				res.Created = withPending(res.Created, r.takeIntent(st.ID))
				return res, nil
			}
		}
		if intent := does.intends(r.Env, seen); len(intent) > 0 {
			if err := r.recordIntent(st.ID, intent); err != nil {
				return Result{}, err
			}
		}
		res, err := does.run(ctx, r.Env, seen)
		if err == nil {
			intent := r.takeIntent(st.ID)
			if ran || earlier {
				// A write before this one may have made what this attempt
				// found already there (a create answered "already exists").
				res.Created = withPending(res.Created, intent)
			}
			return res, nil
		}
		ran = true
		lastErr = err
		if !httpx.IsTransient(err) || n == attempts || !sleep(ctx, delay*time.Duration(n)) {
			break
		}
		r.emit(Event{Kind: EventNote, Step: st.ID, Text: "transient failure, checking and retrying: " + r.Env.Redactor.Error(err)})
	}
	return Result{}, lastErr
}

// recordIntent saves, before a write, what the write would create. If the
// answer is lost, or the state cannot be saved afterwards, a later check
// that finds the work done knows it is ours, so reset can remove it. No
// write is sent when this cannot be saved.
func (r *Runner) recordIntent(step string, intent map[string]string) error {
	r.mu.Lock()
	if r.state == nil {
		r.mu.Unlock()
		return nil
	}
	if r.state.Intents == nil {
		r.state.Intents = map[string]map[string]string{}
	}
	r.state.Intents[step] = intent
	r.mu.Unlock()
	if err := r.saveAll(); err != nil {
		return fmt.Errorf("nothing was sent: the state could not be saved before the write: %w: free space in %s or make it writable, then run again", err, r.Store.Dir)
	}
	return nil
}

// intent returns a step's recorded intent, if any.
func (r *Runner) intent(step string) map[string]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.state == nil {
		return nil
	}
	return r.state.Intents[step]
}

// takeIntent removes and returns a step's recorded intent.
func (r *Runner) takeIntent(step string) map[string]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.state == nil {
		return nil
	}
	intent := r.state.Intents[step]
	delete(r.state.Intents, step)
	return intent
}

// withPending adds to created what a lost attempt may have made, unless
// created already says.
func withPending(created, pending map[string]string) map[string]string {
	for k, v := range pending {
		if _, ok := created[k]; !ok {
			if created == nil {
				created = map[string]string{}
			}
			created[k] = v
		}
	}
	return created
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
