package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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
}

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
	cmd.Flags().StringSliceVar(&f.only, "only", nil, "run only these steps (comma-separated ids); read-only steps they need are pulled in")
	cmd.Flags().StringSliceVar(&f.skip, "skip", nil, "leave these steps out (comma-separated ids)")
	cmd.Flags().BoolVar(&f.rotateSecret, "rotate-secret", false, "auth-client: give an existing client a new secret (register-gws must follow)")
	cmd.Flags().StringVarP(&f.output, "output", "o", "text", "text or json (one JSON document on stdout)")
	cmd.Flags().StringVar(&f.report, "report", "", "write a redacted Markdown report of the run to this file")
	cmd.Flags().BoolVar(&f.reveal, "reveal", false, "print the Nexus API key in the DesignerEnv values instead of masking it")
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
func (a *App) prepare(ctx context.Context, c *common, only, skip []string, opts steps.Options, preflight bool) (*prepared, error) {
	vals, warnings, problems := c.load(a)
	for _, w := range warnings {
		fmt.Fprintln(a.Stderr, "warning:", w)
	}
	sel, err := steps.Select(splitIDs(only), splitIDs(skip), vals)
	if err != nil {
		return nil, &ExitError{Code: ExitUsage, Err: err}
	}
	required := sel.Required(vals)
	if !preflight {
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
	env, err := steps.NewEnv(vals, opts)
	if err != nil {
		return nil, &ExitError{Code: ExitUsage, Err: err}
	}
	if preflight {
		if ps := sel.Preflight(ctx, env); len(ps) > 0 {
			env.Close()
			return nil, &ExitError{Code: ExitUsage, Err: fmt.Errorf("preflight: %w\nNothing was changed.", ps)}
		}
	}
	return &prepared{vals: vals, sel: sel, env: env, store: c.store(a.Environ)}, nil
}

func (a *App) run(ctx context.Context, f *runFlags) error {
	if f.output != "text" && f.output != "json" {
		return usageErr("--output must be text or json (got %q)", f.output)
	}
	p, err := a.prepare(ctx, &f.common, f.only, f.skip, steps.Options{RotateSecret: f.rotateSecret, Reveal: f.reveal}, true)
	if err != nil {
		return err
	}
	defer p.env.Close()
	if len(p.sel.Pulled) > 0 {
		fmt.Fprintf(a.Stderr, "also running %s: the selected steps need what it makes\n", strings.Join(p.sel.Pulled, ", "))
	}
	prog := &progress{w: a.Stderr, total: len(p.sel.Steps), verbose: f.verbose, titles: map[string]string{}}
	for i, st := range p.sel.Steps {
		prog.titles[st.ID] = fmt.Sprintf("[%d/%d] %s", i+1, len(p.sel.Steps), st.Title)
	}
	runner := &steps.Runner{Env: p.env, Store: p.store, OnEvent: prog.event}
	defer runner.Close()
	start := time.Now()
	records, runErr := runner.Run(ctx, p.sel)
	elapsed := time.Since(start)

	var reveal string
	if f.reveal {
		reveal, _, _ = p.env.Output(context.WithoutCancel(ctx), steps.OutAPIKey)
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
	if errors.Is(err, steps.ErrLocked) {
		return &ExitError{Code: ExitUsage, Err: err}
	}
	return &ExitError{Code: ExitStepFailed, Err: errors.New(env.Redactor.String(err.Error()))}
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
	for _, r := range records {
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
			key := "****  (nexus-onboard run --only designer-env --reveal shows it)"
			if reveal != "" {
				key = reveal
			}
			fmt.Fprintln(w, "    Agent Setup > Environment tenant > Transactions: List \"DesignerEnv\" (name and alias):")
			for _, kv := range steps.DesignerEnv(key) {
				fmt.Fprintf(w, "      %-8s %s\n", kv[0], kv[1])
			}
		}
	}
	fmt.Fprintf(w, "\n%d step(s) in %s\n", len(records), elapsed.Round(time.Millisecond))
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
type progress struct {
	mu      sync.Mutex
	w       io.Writer
	total   int
	verbose bool
	titles  map[string]string
}

func (p *progress) event(ev steps.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch ev.Kind {
	case steps.EventStart:
		fmt.Fprintf(p.w, "%s ...\n", p.titles[ev.Step])
	case steps.EventNote:
		fmt.Fprintf(p.w, "    %s\n", ev.Text)
	case steps.EventExchange:
		if p.verbose {
			writeExchange(p.w, ev.Exchange)
		}
	case steps.EventFinish:
		r := ev.Record
		line := r.Message
		if r.Error != "" {
			line = r.Error
		}
		fmt.Fprintf(p.w, "    %s %s (%s) %s\n", statusMark[r.Status], r.Status, fmtMS(r.DurationMS), line)
	}
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
