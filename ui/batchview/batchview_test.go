package batchview

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nexus-onboard/nexus-onboard/steps"
)

// The table shows each tenant's current step while it runs, then its
// status and elapsed time, and the counts in the header.
func TestTableFollowsTheBatch(t *testing.T) {
	mk := func(cc, name string) steps.Values {
		v := steps.NewValues()
		v.Set(steps.KeyCCID, cc, steps.FromTenant)
		v.Set(steps.KeyTenantName, name, steps.FromTenant)
		return v
	}
	cc0, cc1 := "11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222"
	m := New([]steps.BatchTenant{{Index: 0, Values: mk(cc0, "alpha")}, {Index: 1, Values: mk(cc1, "beta")}}, func() {})
	m.Update(startMsg{0})
	m.Update(stepMsg{0, steps.IDAuthClient})
	v := m.View().Content
	if !strings.Contains(v, "running") || !strings.Contains(v, steps.IDAuthClient) || !strings.Contains(v, "1 running · 1 pending") {
		t.Fatalf("while running:\n%s", v)
	}
	m.Update(doneMsg{steps.BatchResult{Index: 0, CCID: cc0, Elapsed: 1500 * time.Millisecond}})
	m.Update(startMsg{1})
	m.Update(doneMsg{steps.BatchResult{Index: 1, CCID: cc1, Err: &steps.StepFailedError{Step: steps.IDTenant, Err: "boom"}}})
	v = m.View().Content
	for _, want := range []string{"1 ok · 1 failed · 0 running", "1.5s", "✗", steps.IDTenant, "alpha", "beta"} {
		if !strings.Contains(v, want) {
			t.Errorf("view lacks %q:\n%s", want, v)
		}
	}
	if _, cmd := m.Update(allDoneMsg{}); cmd == nil {
		t.Error("the table does not quit when the batch ends")
	}
	_ = errors.New
}
