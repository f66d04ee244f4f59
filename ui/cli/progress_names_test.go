package cli

// Headless progress and the text summary name every step; a run that stops
// early tells the steps it left out once, on one line, and the summary
// counts what ran. The JSON output keeps one element per step (a contract).

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nexus-onboard/nexus-onboard/clients/secrets"
	"github.com/nexus-onboard/nexus-onboard/steps"
)

// namesRun runs the nine step ids through a real steps.Runner, each with a
// stand-in action: failAt fails ("" none). It returns what progress
// printed, the records and the environment.
func namesRun(t *testing.T, ctx context.Context, failAt string) (string, []*steps.Record, *steps.Env, error) {
	t.Helper()
	vals := steps.NewValues()
	vals.Set(steps.KeyCCID, stateCC, steps.FromConfig)
	vals.Set(steps.KeyClientID, "nexus_client", steps.FromDefault)
	env, err := steps.NewEnv(vals, steps.Options{Keyring: secrets.NewMemory()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(env.Close)
	var sel steps.Selection
	for _, id := range steps.IDs() {
		sel.Steps = append(sel.Steps, steps.Step{ID: id, Title: "Stand-in for " + id, Run: func(context.Context, *steps.Env) (steps.Result, error) {
			if id == failAt {
				return steps.Result{}, errors.New("the server said no")
			}
			return steps.Result{Message: id + " finished"}, nil
		}})
	}
	var out syncBuffer
	prog := &progress{w: &out, total: len(sel.Steps), titles: map[string]string{}}
	for _, st := range sel.Steps {
		prog.titles[st.ID] = "[n/9] " + st.Title
	}
	runner := &steps.Runner{Env: env, Store: steps.Store{Dir: t.TempDir()}, Attempts: 1, OnEvent: prog.event}
	defer runner.Close()
	records, runErr := runner.Run(ctx, sel)
	prog.stop()
	return out.String(), records, env, runErr
}

// linesWith counts the lines of s that contain sub.
func linesWith(s, sub string) int {
	n := 0
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			n++
		}
	}
	return n
}

// countID counts id as a whole word of s ("tenant" is not in "tenant-token").
func countID(s, id string) int {
	n := 0
	for _, w := range strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(" ,()\n", r) }) {
		if w == id {
			n++
		}
	}
	return n
}

func TestProgressNamesStepsAndSummarisesNotRun(t *testing.T) {
	out, records, env, runErr := namesRun(t, context.Background(), steps.IDAuthClient)
	var sf *steps.StepFailedError
	if !errors.As(runErr, &sf) || sf.Step != steps.IDAuthClient {
		t.Fatalf("run error %v, want auth-client failed", runErr)
	}
	ids := steps.IDs()
	rest := ids[slices.Index(ids, steps.IDAuthClient)+1:]

	// Each finish line names its step.
	for _, want := range []string{"    ✓ contact-center done (", "    ✗ auth-client failed (", "the server said no"} {
		if !strings.Contains(out, want) {
			t.Errorf("progress lacks %q:\n%s", want, out)
		}
	}
	// No line per step left out: one line names them all, and where the run stopped.
	if strings.Contains(out, "not-run (") {
		t.Errorf("progress prints a not-run line per step:\n%s", out)
	}
	want := "· not run: " + strings.Join(rest, ", ") + " (the run stopped at auth-client)"
	if linesWith(out, "not run") != 1 || !strings.Contains(out, want+"\n") {
		t.Errorf("progress should say once %q:\n%s", want, out)
	}
	for _, id := range rest {
		if n := countID(out, id); n != 1 {
			t.Errorf("progress names %s %d times, want once:\n%s", id, n, out)
		}
	}

	// The summary: the steps that ran, one line for the rest, and a count of what ran.
	var sum bytes.Buffer
	writeSummary(&sum, records, env, "", 2991*time.Millisecond)
	s := sum.String()
	for _, want := range []string{want + "\n", "\n2 of 9 steps ran in 2.991s; 7 not run\n", "contact-center", "auth-client"} {
		if !strings.Contains(s, want) {
			t.Errorf("summary lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "step(s)") || linesWith(s, "not run") != 2 {
		t.Errorf("summary:\n%s", s)
	}
	for _, id := range rest {
		if n := countID(s, id); n != 1 {
			t.Errorf("summary names %s %d times, want once:\n%s", id, n, s)
		}
	}

	// JSON keeps its shape: one element per step, not-run ones included,
	// with exactly the contract's keys.
	var js bytes.Buffer
	if err := writeJSON(&js, records, ""); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Steps []map[string]json.RawMessage `json:"steps"`
	}
	if err := json.Unmarshal(js.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Steps) != len(ids) {
		t.Fatalf("JSON has %d steps, want %d:\n%s", len(doc.Steps), len(ids), js.String())
	}
	for i, el := range doc.Steps {
		var keys []string
		for k := range el {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if !slices.Equal(keys, []string{"duration_ms", "error", "id", "outputs", "status"}) {
			t.Errorf("JSON step %d keys %v", i, keys)
		}
		if string(el["id"]) != `"`+ids[i]+`"` {
			t.Errorf("JSON step %d id %s, want %s", i, el["id"], ids[i])
		}
	}
	if string(doc.Steps[len(ids)-1]["status"]) != `"not-run"` {
		t.Errorf("JSON last step status %s, want not-run", doc.Steps[len(ids)-1]["status"])
	}
}

// A run stopped before its first step says so, and counts none as run.
func TestProgressNotRunBeforeTheFirstStep(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	out, records, env, runErr := namesRun(t, ctx, "")
	if !errors.Is(runErr, steps.ErrInterrupted) {
		t.Fatalf("run error %v, want interrupted", runErr)
	}
	want := "· not run: " + strings.Join(steps.IDs(), ", ") + " (the run stopped before its first step)\n"
	if out != want {
		t.Errorf("progress:\n%s\nwant:\n%s", out, want)
	}
	var sum bytes.Buffer
	writeSummary(&sum, records, env, "", 12*time.Millisecond)
	if !strings.HasSuffix(sum.String(), "\n0 of 9 steps ran in 12ms; 9 not run\n") {
		t.Errorf("summary:\n%s", sum.String())
	}
}

// A whole run: every finish line named, no not-run line, all counted.
func TestProgressAllRan(t *testing.T) {
	out, records, env, runErr := namesRun(t, context.Background(), "")
	if runErr != nil {
		t.Fatal(runErr)
	}
	for _, id := range steps.IDs() {
		if !strings.Contains(out, "    ✓ "+id+" done (") {
			t.Errorf("progress has no finish line naming %s:\n%s", id, out)
		}
	}
	if strings.Contains(out, "not run") {
		t.Errorf("progress:\n%s", out)
	}
	var sum bytes.Buffer
	writeSummary(&sum, records, env, "", 2991*time.Millisecond)
	if s := sum.String(); !strings.HasSuffix(s, "\n9 of 9 steps ran in 2.991s\n") || strings.Contains(s, "not run") {
		t.Errorf("summary:\n%s", s)
	}
	// One step: singular.
	sum.Reset()
	writeSummary(&sum, records[:1], env, "", time.Second)
	if !strings.HasSuffix(sum.String(), "\n1 of 1 step ran in 1s\n") {
		t.Errorf("summary of one step:\n%s", sum.String())
	}
}

// The line of steps left out is owed until stop when the progress was not
// told how many steps to expect.
func TestProgressNotRunFlushedAtStop(t *testing.T) {
	var out syncBuffer
	p := &progress{w: &out, titles: map[string]string{}}
	p.event(steps.Event{Kind: steps.EventStart, Step: "tenant"})
	p.event(steps.Event{Kind: steps.EventFinish, Step: "tenant", Record: &steps.Record{ID: "tenant", Status: steps.StatusFailed, Error: "no"}})
	p.event(steps.Event{Kind: steps.EventFinish, Step: "designer-env", Record: &steps.Record{ID: "designer-env", Status: steps.StatusNotRun}})
	p.stop()
	p.stop()
	if got := out.String(); linesWith(got, "not run") != 1 || !strings.Contains(got, "· not run: designer-env (the run stopped at tenant)\n") {
		t.Errorf("progress:\n%s", got)
	}
}
