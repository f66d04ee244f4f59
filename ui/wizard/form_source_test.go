package wizard

import (
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/colorprofile"
)

// "(from the config file)" names where a pre-filled value came from: once
// the user has typed another value it is theirs, and the page says so when
// it is shown again.
func TestEditedFieldNoLongerSaysWhereItCameFrom(t *testing.T) {
	m := fixtureModel(t, 120, 40)
	m.pending = m.enterForm(0, "", "")
	h := newHarness(t, m, 120, 40, colorprofile.Ascii)
	h.waitFor(5*time.Second, "1 Endpoints", "GWS URL")
	h.burst("ctrl+u", "https://gws2.example.com", "enter", "enter", "enter", "enter")
	h.waitFor(5*time.Second, "GWS ops user")
	h.press("esc")
	s := h.waitFor(5*time.Second, "> https://gws2.example.com")
	gws := s[strings.Index(s, "GWS URL"):strings.Index(s, "> https://gws2.example.com")]
	auth := s[strings.Index(s, "Auth URL"):strings.Index(s, "> https://auth.example.com")]
	if strings.Contains(gws, "(from the") {
		t.Errorf("the edited GWS URL still says where the old value came from:\n%s", gws)
	}
	if !strings.Contains(auth, "(from the config file)") {
		t.Errorf("the untouched Auth URL lost its source:\n%s", auth)
	}
	h.quit("ctrl+c")
}

// The description follows the value as it is typed, on the same page.
func TestSourceNoteLeavesAsTheValueChanges(t *testing.T) {
	m := fixtureModel(t, 120, 40)
	m.pending = m.enterForm(0, "", "")
	h := newHarness(t, m, 120, 40, colorprofile.Ascii)
	s := h.waitFor(5*time.Second, "1 Endpoints", "GWS URL")
	if !strings.Contains(s[strings.Index(s, "GWS URL"):], "(from the config file)") {
		t.Fatalf("the pre-filled GWS URL does not say where it came from:\n%s", s)
	}
	h.burst("ctrl+u", "https://gws2.example.com")
	h.waitFor(5*time.Second, "> https://gws2.example.com")
	// huh re-evaluates the description a round after the keystroke.
	var gws string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		s = h.screen()
		gws = s[strings.Index(s, "GWS URL"):strings.Index(s, "> https://gws2.example.com")]
		if !strings.Contains(gws, "(from the") {
			break
		}
	}
	if strings.Contains(gws, "(from the") {
		t.Errorf("the edited GWS URL still says where the old value came from:\n%s", gws)
	}
	h.quit("ctrl+c")
}
