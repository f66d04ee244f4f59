package wizard

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/nexus-onboard/nexus-onboard/steps"
)

// A run that leaves a manual step open never says every step is done.
func TestRunFinishedNeverClaimsDoneWithAManualStepOpen(t *testing.T) {
	m := fixtureModel(t, 80, 24)
	playRun(m, "")
	v := m.View().Content
	if !strings.Contains(v, "✓ Finished: 8 of 9 done; 1 for you to do by hand (designer-env)") {
		t.Errorf("the title does not say designer-env is open:\n%s", v)
	}
	for _, claim := range []string{"9 of 9", "Every step"} {
		if strings.Contains(v, claim) {
			t.Errorf("the run screen claims %q with designer-env open:\n%s", claim, v)
		}
	}
	// With nothing open, it may say so.
	m.run.rows[len(m.run.rows)-1].status = steps.StatusDone
	m.run.finishedNotice()
	if v := m.View().Content; !strings.Contains(v, "✓ Finished: 9 of 9 done") || !strings.Contains(v, "Every step is done") {
		t.Errorf("with every step done:\n%s", v)
	}
	// The summary does not call the onboarding complete either.
	m.state = fixtureState("")
	m.toSummary()
	if v := m.View().Content; strings.Contains(v, "Onboarding complete") || !strings.Contains(v, "8 of 9 steps done for contact center") {
		t.Errorf("the summary claims the onboarding complete with designer-env open:\n%s", v)
	}
}

// After a re-run from the step menu, the run screen offers to run the steps
// still not run (here designer-env), and a runs them on the same screen.
func TestRunOffersTheRestAfterAMenuRerun(t *testing.T) {
	m := fixtureModel(t, 80, 24)
	m.state = fixtureState("")
	m.state.Steps[steps.IDDesignerEnv] = &steps.Record{ID: steps.IDDesignerEnv, Status: steps.StatusNotRun}
	if err := m.store.Save(m.state); err != nil { // as the menu's run left it
		t.Fatal(err)
	}
	sel, err := steps.Select([]string{steps.IDTenant}, nil, m.vals)
	if err != nil {
		t.Fatal(err)
	}
	r := m.newRun(sel)
	for _, st := range sel.Steps {
		rec := m.state.Steps[st.ID]
		r.event(runEventMsg{ev: steps.Event{Kind: steps.EventFinish, Step: st.ID, Record: rec}})
	}
	m.run.runFinished(runDoneMsg{state: m.state})
	if !slices.Equal(r.rest, []string{steps.IDDesignerEnv}) {
		t.Fatalf("rest = %v, want [designer-env]", r.rest)
	}
	v := ansi.Strip(m.View().Content)
	for _, want := range []string{"not run yet (a runs the rest)", "Not run yet: designer-env", "a run the rest"} {
		if !strings.Contains(v, want) {
			t.Errorf("the run screen does not show %q:\n%s", want, v)
		}
	}
	if strings.Contains(v, "Every step") {
		t.Errorf("the run screen claims every step done:\n%s", v)
	}

	if m.run.runKey(keyMsg("a")) == nil {
		t.Fatal("a did not start the rest")
	}
	deadline := time.After(10 * time.Second)
	for m.run.active {
		select {
		case msg := <-m.run.ch:
			m.run.Update(msg)
		case <-deadline:
			t.Fatal("the rest did not finish")
		}
	}
	if m.lastRunErr != nil {
		t.Fatalf("the rest failed: %v", m.lastRunErr)
	}
	row := m.run.row(steps.IDDesignerEnv)
	if row == nil || row.status != steps.StatusManual {
		t.Fatalf("designer-env row after a: %+v", row)
	}
	if m.run.row(steps.IDTenant) == nil {
		t.Error("the re-run step left the list")
	}
	v = ansi.Strip(m.View().Content)
	if !strings.Contains(v, "for you to do by hand (designer-env)") || strings.Contains(v, "not run yet") || strings.Contains(v, "a run the rest") {
		t.Errorf("after running the rest:\n%s", v)
	}
}
