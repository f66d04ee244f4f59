package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/nexus-onboard/nexus-onboard/clients/httpx"
	"github.com/nexus-onboard/nexus-onboard/steps"
)

type runFlags struct {
	common
	only, skip   []string
	rotateSecret bool
	output       string
	report       string
	reveal       bool
	noPreflight  bool
}

// Preflight modes of prepare.
type preflightMode int

const (
	noChecks    preflightMode = iota // plan: nothing is sent, nothing is needed
	allChecks                        // run: every check of steps.PreflightChecks
	localChecks                      // run --no-preflight: the keyring only
)

func (a *App) runCommand() *cobra.Command {
	var f runFlags
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run the onboarding steps headless",
		Long: `Run the selected steps in order, from a config file, environment variables
and flags. Each step checks first whether its work is already done, so run is
safe to repeat: a second run changes nothing.

Steps: ` + strings.Join(steps.IDs(), ", ") + `

Exit codes: 0 every selected step ok, 1 a step failed, 2 usage, input or
preflight error (nothing was changed), 130 interrupted.`,
		Example: `  nexus-onboard run --config tenant.yaml
  nexus-onboard run --config tenant.yaml --only tenant --output json
  NEXUS_ONBOARD_GWS_ADMIN_PASSWORD=... nexus-onboard run -c tenant.yaml --skip ucs-service`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.run(cmd.Context(), &f)
		},
	}
	f.register(cmd.Flags())
	cmd.Flags().StringSliceVar(&f.only, "only", nil, "run only these `STEPS` (comma-separated ids); read-only steps they need are pulled in")
	cmd.Flags().StringSliceVar(&f.skip, "skip", nil, "leave these `STEPS` out (comma-separated ids)")
	cmd.Flags().BoolVar(&f.rotateSecret, "rotate-secret", false, "auth-client: give an existing client a new secret (register-gws must follow)")
	cmd.Flags().StringVarP(&f.output, "output", "o", "text", "output `FORMAT`: text or json (one JSON document on stdout)")
	cmd.Flags().StringVar(&f.report, "report", "", "write a redacted Markdown report of the run to `FILE`")
	cmd.Flags().BoolVar(&f.reveal, "reveal", false, "print the Nexus API key in the DesignerEnv values instead of masking it")
	cmd.Flags().BoolVar(&f.noPreflight, "no-preflight", false, "skip the network preflight checks (the keyring is still proven; each step still checks before it acts)")
	return cmd
}

// prepared is a validated run, ready to go.
type prepared struct {
	vals  steps.Values
	sel   steps.Selection
	env   *steps.Env
	store steps.Store
}

// prepare resolves and validates inputs and selection; every problem is
// reported at once and nothing remote has been touched.
func (a *App) prepare(c *common, only, skip []string, opts steps.Options, mode preflightMode) (*prepared, error) {
	vals, warnings, problems := c.load(a)
	for _, w := range warnings {
		fmt.Fprintln(a.Stderr, "warning:", w)
	}
	sel, err := steps.Select(splitIDs(only), splitIDs(skip), vals)
	if err != nil {
		return nil, &ExitError{Code: ExitUsage, Err: err}
	}
	required := sel.Required(vals)
	if mode == noChecks {
		// A plan masks every secret anyway: it needs none of them.
		required = slices.DeleteFunc(required, func(k string) bool { in, _ := steps.LookupInput(k); return in.Secret() })
	}
	problems = append(problems, steps.Validate(vals, required)...)
	if len(problems) > 0 {
		return nil, &ExitError{Code: ExitUsage, Err: fmt.Errorf("%w\nNothing was changed.", problems)}
	}
	if opts.Warn == nil {
		opts.Warn = func(s string) { fmt.Fprintln(a.Stderr, "warning:", s) }
	}
	opts.Invocation = c.invocation()
	env, err := steps.NewEnv(vals, opts)
	if err != nil {
		return nil, &ExitError{Code: ExitUsage, Err: err}
	}
	return &prepared{vals: vals, sel: sel, env: env, store: c.store(a.Environ)}, nil
}

// preflight runs the same checks as the wizard's preflight screen, one
// line each on stderr; any failure stops the run before any change (exit 2).
func (a *App) preflight(ctx context.Context, env *steps.Env, sel steps.Selection, localOnly bool) error {
	checks := steps.PreflightChecks(env, sel)
	if localOnly {
		checks = slices.DeleteFunc(checks, func(c steps.Check) bool { return !c.Local })
	}
	// Each line as soon as it and the checks listed before it have ended:
	// the list order, while a slow endpoint still shows where it waits.
	ended := make([]*steps.CheckResult, len(checks))
	next := 0
	results := steps.RunChecks(ctx, env, checks, func(r steps.CheckResult) {
		ended[r.Index] = &r
		for ; next < len(ended) && ended[next] != nil; next++ {
			d := ended[next]
			mark, text := "✓", d.Note
			switch {
			case d.Failed():
				mark, text = "✗", d.Err
			case d.NotChecked:
				mark = "–"
			}
			fmt.Fprintf(a.Stderr, "preflight %s %s: %s\n", mark, d.Name, text)
		}
	})
	var failed []string
	for _, r := range results {
		if r.Failed() {
			failed = append(failed, r.Name)
		}
	}
	if ctx.Err() != nil {
		return &ExitError{Code: ExitInterrupted, Err: errors.New("interrupted during preflight: nothing was changed")}
	}
	if len(failed) > 0 {
		// Each failure was told in full on its line above: name them only.
		return &ExitError{Code: ExitUsage, Err: fmt.Errorf("preflight: %s failed (%s: the remedy is on its line above). Nothing was changed.", steps.Plural(len(failed), "check"), strings.Join(failed, "; "))}
	}
	return nil
}

func (a *App) run(ctx context.Context, f *runFlags) error {
	if f.output != "text" && f.output != "json" {
		return usageErr("--output must be text or json (got %q)", f.output)
	}
	reqTimeout, stepTimeout, err := f.timeouts(a.Environ)
	if err != nil {
		return err
	}
	mode := allChecks
	if f.noPreflight {
		mode = localChecks
	}
	p, err := a.prepare(&f.common, f.only, f.skip, steps.Options{RotateSecret: f.rotateSecret, Reveal: f.reveal, HTTP: httpx.Options{Timeout: reqTimeout}}, mode)
	if err != nil {
		return err
	}
	defer p.env.Close()
	runner := &steps.Runner{Env: p.env, Store: p.store, StepTimeout: stepTimeout}
	defer runner.Close()
	// The contact center's lock first (when it is known): a second run is
	// refused before it asks anything of anyone.
	if err := runner.Attach(); err != nil {
		return &ExitError{Code: ExitUsage, Err: fmt.Errorf("%w\nNothing was changed.", p.env.Redactor.Wrap(err))}
	}
	if err := a.preflight(ctx, p.env, p.sel, mode == localChecks); err != nil {
		return err
	}
	if len(p.sel.Pulled) > 0 {
		fmt.Fprintf(a.Stderr, "also running %s: the selected steps need what it makes\n", strings.Join(p.sel.Pulled, ", "))
	}
	prog := &progress{w: a.Stderr, total: len(p.sel.Steps), verbose: f.verbose, titles: map[string]string{}, budget: stepTimeout}
	defer prog.stop()
	for i, st := range p.sel.Steps {
		prog.titles[st.ID] = fmt.Sprintf("[%d/%d] %s", i+1, len(p.sel.Steps), st.Title)
	}
	runner.OnEvent = prog.event
	start := time.Now()
	records, runErr := runner.Run(ctx, p.sel)
	elapsed := time.Since(start)

	var reveal string
	if f.reveal {
		// Only a key known to be this environment's tenant's.
		reveal, _, _, _, _ = steps.TenantKey(context.WithoutCancel(ctx), p.env)
	}
	if f.output == "json" {
		if err := writeJSON(a.Stdout, records, reveal); err != nil {
			return err
		}
	} else {
		writeSummary(a.Stdout, records, p.env, reveal, elapsed)
	}
	if f.report != "" {
		md := steps.Report(p.vals, records, p.env.Redactor, time.Now())
		if err := os.WriteFile(f.report, []byte(md), 0o600); err != nil {
			fmt.Fprintln(a.Stderr, "warning: could not write the report:", err)
		} else {
			fmt.Fprintln(a.Stderr, "report written to", f.report)
		}
	}
	var sf *steps.StepFailedError
	if st := runner.State(); st != nil && (runErr == nil || errors.As(runErr, &sf) || errors.Is(runErr, steps.ErrInterrupted)) {
		fmt.Fprintln(a.Stderr, "state saved in", p.store.Path(st.CCID))
	}
	return exitFor(runErr, p.env)
}

func exitFor(err error, env *steps.Env) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, steps.ErrInterrupted) {
		return &ExitError{Code: ExitInterrupted, Err: errors.New("interrupted: the state is saved; run again to resume")}
	}
	var sf *steps.StepFailedError
	if errors.As(err, &sf) {
		return &ExitError{Code: ExitStepFailed, Err: fmt.Errorf("%s\nFix the cause and run again: finished steps are checked, not repeated.", env.Redactor.String(err.Error()))}
	}
	var se *steps.StateError
	if errors.Is(err, steps.ErrLocked) || errors.As(err, &se) {
		// Another run holds it, or the state is refused: nothing was changed.
		return &ExitError{Code: ExitUsage, Err: env.Redactor.Wrap(err)}
	}
	return &ExitError{Code: ExitStepFailed, Err: env.Redactor.Wrap(err)}
}

// jsonStep is one element of `run --output json`: a public contract.
type jsonStep struct {
	ID         string            `json:"id"`
	Status     steps.Status      `json:"status"`
	DurationMS int64             `json:"duration_ms"`
	Outputs    map[string]string `json:"outputs"`
	Error      string            `json:"error"`
	Warning    string            `json:"warning,omitempty"`
}

func writeJSON(w io.Writer, records []*steps.Record, reveal string) error {
	doc := struct {
		Steps []jsonStep `json:"steps"`
	}{Steps: []jsonStep{}}
	for _, r := range records {
		outs := r.Outputs
		if outs == nil {
			outs = map[string]string{}
		}
		if r.ID == steps.IDDesignerEnv && reveal != "" {
			outs = cloneMap(outs)
			outs["password"] = reveal
		}
		doc.Steps = append(doc.Steps, jsonStep{ID: r.ID, Status: r.Status, DurationMS: r.DurationMS, Outputs: outs, Error: r.Error, Warning: r.Warning})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(doc)
}

func cloneMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

var statusMark = map[steps.Status]string{
	steps.StatusDone: "✓", steps.StatusAlreadyDone: "✓", steps.StatusSkipped: "↷",
	steps.StatusManual: "✋", steps.StatusFailed: "✗", steps.StatusNotRun: "·",
}

func writeSummary(w io.Writer, records []*steps.Record, env *steps.Env, reveal string, elapsed time.Duration) {
	fmt.Fprintln(w)
	var notRun []string
	stoppedAt := ""
	for _, r := range records {
		if r.Status == steps.StatusNotRun {
			// Told once, on one line, after the steps that ran.
			notRun = append(notRun, r.ID)
			continue
		}
		stoppedAt = r.ID
		fmt.Fprintf(w, "%s %-17s %-12s %6s  %s\n", statusMark[r.Status], r.ID, r.Status, fmtMS(r.DurationMS), oneLine(r))
		if r.Warning != "" {
			fmt.Fprintf(w, "    warning: %s\n", r.Warning)
		}
		switch {
		case r.ID == steps.IDRegisterGWS && r.Status == steps.StatusManual:
			fmt.Fprintln(w, "    Run this with psql against the Digital Channels database:")
			for _, line := range strings.Split(r.Outputs["sql"], "\n") {
				fmt.Fprintln(w, "      "+line)
			}
		case r.ID == steps.IDDesignerEnv && r.Status == steps.StatusManual:
			key := "****  (" + env.Command("run", "--only", steps.IDDesignerEnv, "--reveal") + " shows it)"
			switch {
			case reveal != "":
				key = reveal
			case r.Warning != "":
				key = "(no API key known to be this tenant's: see the warning above)"
			}
			fmt.Fprintln(w, "    Agent Setup > Environment tenant > Transactions: List \"DesignerEnv\" (name and alias):")
			for _, kv := range steps.DesignerEnv(key) {
				fmt.Fprintf(w, "      %-8s %s\n", kv[0], kv[1])
			}
		}
	}
	if len(notRun) > 0 {
		fmt.Fprintln(w, notRunLine(notRun, stoppedAt))
	}
	fmt.Fprintf(w, "\n%s\n", ranLine(len(records)-len(notRun), len(records), elapsed))
}

// notRunLine tells the steps a stopped run left out, once, on one line,
// and where the run stopped ("" when no step ran).
func notRunLine(ids []string, stoppedAt string) string {
	why := "the run stopped before its first step"
	if stoppedAt != "" {
		why = "the run stopped at " + stoppedAt
	}
	return fmt.Sprintf("%s not run: %s (%s)", statusMark[steps.StatusNotRun], strings.Join(ids, ", "), why)
}

// ranLine counts what ran: "1 of 9 steps ran in 2.991s; 8 not run".
func ranLine(ran, total int, elapsed time.Duration) string {
	noun := "steps"
	if total == 1 {
		noun = "step"
	}
	line := fmt.Sprintf("%d of %d %s ran in %s", ran, total, noun, elapsed.Round(time.Millisecond))
	if n := total - ran; n > 0 {
		line += fmt.Sprintf("; %d not run", n)
	}
	return line
}

func oneLine(r *steps.Record) string {
	if r.Error != "" {
		return r.Error
	}
	return r.Message
}

func fmtMS(ms int64) string {
	if ms < 1000 {
		return fmt.Sprintf("%dms", ms)
	}
	return fmt.Sprintf("%.1fs", float64(ms)/1000)
}

// progress prints one line per step event to stderr.
// While a request is pending for longer than waitAfter, it prints a waiting
// line at most every waitEvery, from a ticker goroutine that runs while a
// step does (call stop once the run is over).
type progress struct {
	mu      sync.Mutex
	w       io.Writer
	total   int
	verbose bool
	titles  map[string]string
	budget  time.Duration // the step budget, shown in the waiting line

	// waitAfter, waitEvery and tick shape the waiting line: zero means 5s,
	// 10s and 1s (how often the ticker looks). now is the clock (nil:
	// time.Now).
	waitAfter, waitEvery, tick time.Duration
	now                        func() time.Time

	// finished counts the steps that ended, notRun the ones a stopped run
	// left out (told once, on one line, when the last step is reported or
	// at stop), lastRan the last step that did run.
	finished int
	notRun   []string
	lastRan  string

	stepStart   time.Time
	pending     *httpx.Exchange // the request awaiting its answer, redacted
	pendingFrom time.Time
	lastWait    time.Time
	ticking     chan struct{} // closed to stop the running ticker goroutine
	tickers     sync.WaitGroup
}

func (p *progress) event(ev steps.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch ev.Kind {
	case steps.EventStart:
		p.stepStart, p.pending, p.lastWait = p.clock(), nil, time.Time{}
		fmt.Fprintf(p.w, "%s ...\n", p.titles[ev.Step])
	case steps.EventRequest:
		if ev.Exchange != nil {
			x := *ev.Exchange
			p.pending, p.pendingFrom = &x, p.clock()
			p.startTickerLocked()
		}
	case steps.EventNote:
		fmt.Fprintf(p.w, "    %s\n", ev.Text)
	case steps.EventExchange:
		p.pending = nil
		if p.verbose {
			writeExchange(p.w, ev.Exchange)
		}
	case steps.EventFinish:
		p.pending = nil
		p.stopTickerLocked()
		r := ev.Record
		p.finished++
		if r.Status == steps.StatusNotRun {
			// Never started: no line of its own.
			p.notRun = append(p.notRun, r.ID)
			if p.finished >= p.total {
				p.flushNotRunLocked()
			}
			return
		}
		p.lastRan = r.ID
		line := r.Message
		if r.Error != "" {
			line = r.Error
		}
		// The step is named: verbose exchanges and notes may stand between
		// this line and the step's title.
		fmt.Fprintln(p.w, strings.TrimRight(fmt.Sprintf("    %s %s %s (%s) %s", statusMark[r.Status], r.ID, r.Status, fmtMS(r.DurationMS), line), " "))
	}
}

// flushNotRunLocked prints the one line of the steps the run left out.
// p.mu is held.
func (p *progress) flushNotRunLocked() {
	if len(p.notRun) == 0 {
		return
	}
	fmt.Fprintln(p.w, notRunLine(p.notRun, p.lastRan))
	p.notRun = nil
}

func (p *progress) clock() time.Time {
	if p.now != nil {
		return p.now()
	}
	return time.Now()
}

// startTickerLocked starts the ticker goroutine unless it runs. p.mu is held.
func (p *progress) startTickerLocked() {
	if p.ticking != nil {
		return
	}
	every := p.tick
	if every <= 0 {
		every = time.Second
	}
	done := make(chan struct{})
	p.ticking = done
	p.tickers.Add(1)
	go func() {
		defer p.tickers.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				p.waitLine(done)
			}
		}
	}()
}

// stopTickerLocked tells the ticker goroutine to end. p.mu is held.
func (p *progress) stopTickerLocked() {
	if p.ticking != nil {
		close(p.ticking)
		p.ticking = nil
	}
}

// stop ends the ticker goroutine and waits for it, and tells the steps
// left out if that line is still owed.
func (p *progress) stop() {
	p.mu.Lock()
	p.stopTickerLocked()
	p.flushNotRunLocked()
	p.mu.Unlock()
	p.tickers.Wait()
}

// waitLine prints what the step waits for, when a request has been pending
// long enough and no such line came recently. ticking is the caller's stop
// channel: a stopped ticker prints nothing.
func (p *progress) waitLine(ticking chan struct{}) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ticking != ticking || p.pending == nil {
		return
	}
	after, every := p.waitAfter, p.waitEvery
	if after <= 0 {
		after = 5 * time.Second
	}
	if every <= 0 {
		every = 10 * time.Second
	}
	now := p.clock()
	if now.Sub(p.pendingFrom) < after || (!p.lastWait.IsZero() && now.Sub(p.lastWait) < every) {
		return
	}
	p.lastWait = now
	target := p.pending.Method + " " + p.pending.URL // redacted by httpx
	if u, err := url.Parse(p.pending.URL); err == nil && u.Host != "" {
		target = p.pending.Method + " " + u.Host + u.Path
	}
	spent := fmtWait(now.Sub(p.stepStart))
	if p.budget > 0 {
		fmt.Fprintf(p.w, "    waiting for %s (%s of %s step budget)…\n", target, spent, fmtWait(p.budget))
	} else {
		fmt.Fprintf(p.w, "    waiting for %s (%s)…\n", target, spent)
	}
}

// fmtWait words a wait for people: "250ms", "10s", "90s", "2m".
func fmtWait(d time.Duration) string {
	switch {
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d >= 2*time.Minute && d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return fmt.Sprintf("%ds", d.Round(time.Second)/time.Second)
}

func writeExchange(w io.Writer, x *httpx.Exchange) {
	status := fmt.Sprint(x.Status)
	if x.Status == 0 {
		status = "no answer: " + x.Error
	}
	fmt.Fprintf(w, "    > %s %s (attempt %d)\n", x.Method, x.URL, x.Attempt)
	for _, k := range sortedHeader(x.RequestHeader) {
		fmt.Fprintf(w, "    > %s: %s\n", k, strings.Join(x.RequestHeader[k], ", "))
	}
	if x.RequestBody != "" {
		fmt.Fprintf(w, "    > %s\n", x.RequestBody)
	}
	fmt.Fprintf(w, "    < %s in %s\n", status, x.Duration.Round(time.Millisecond))
	if x.ResponseBody != "" {
		fmt.Fprintf(w, "    < %s\n", strings.TrimSpace(x.ResponseBody))
	}
}
