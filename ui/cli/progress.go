package cli

import (
	"fmt"
	"io"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/nexus-onboard/nexus-onboard/clients/httpx"
	"github.com/nexus-onboard/nexus-onboard/steps"
)

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

// newRunProgress is the progress of a run of sel: each step titled
// "[i/n] title"; budget is the step budget the waiting line shows.
func newRunProgress(w io.Writer, sel steps.Selection, verbose bool, budget time.Duration) *progress {
	p := &progress{w: w, total: len(sel.Steps), verbose: verbose, titles: map[string]string{}, budget: budget}
	for i, st := range sel.Steps {
		p.titles[st.ID] = fmt.Sprintf("[%d/%d] %s", i+1, len(sel.Steps), st.Title)
	}
	return p
}

// event tells one step event; the runner calls it (Runner.OnEvent).
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
		p.finishLocked(ev.Record)
	}
}

// finishLocked tells a step's end: its line, or, for a step never
// started, a place on the one not-run line. p.mu is held.
func (p *progress) finishLocked(r *steps.Record) {
	p.pending = nil
	p.stopTickerLocked()
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
	// The step is named: verbose exchanges and notes may stand between
	// this line and the step's title.
	fmt.Fprintln(p.w, strings.TrimRight(fmt.Sprintf("    %s %s %s (%s) %s", statusMark[r.Status], r.ID, r.Status, fmtMS(r.DurationMS), oneLine(r)), " "))
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

func sortedHeader(h map[string][]string) []string {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
