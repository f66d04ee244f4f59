package wizard

import (
	"testing"
	"time"

	"github.com/charmbracelet/colorprofile"

	"github.com/nexus-onboard/nexus-onboard/steps"
)

// Esc from a preflight opened from the step menu goes back to the menu,
// for "run everything" (a) as for "re-run this step" (enter); not to the form.
func TestEscFromPreflightGoesBackToTheMenu(t *testing.T) {
	for _, k := range []string{"a", "enter"} {
		t.Run(k, func(t *testing.T) {
			m := fixtureModel(t, 100, 40)
			if err := m.store.Save(fixtureState(steps.IDTenant)); err != nil {
				t.Fatal(err)
			}
			h := newHarness(t, m, 100, 40, colorprofile.Ascii)
			h.waitFor(10*time.Second, "Contact center "+fixtureCC)
			h.press(k)
			h.waitFor(10*time.Second, "Preflight checks")
			h.press("esc")
			h.waitFor(10*time.Second, "Contact center "+fixtureCC)
			h.quit("q")
		})
	}
}
