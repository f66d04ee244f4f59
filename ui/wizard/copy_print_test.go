package wizard

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/nexus-onboard/nexus-onboard/steps"
)

// c says the key was sent to the terminal's clipboard, not that it arrived;
// p, then y, prints it to the terminal after the wizard closes.
func TestCopySaysSentAndPOffersThePrint(t *testing.T) {
	m := fixtureModel(t, 120, 40)
	m.state = fixtureState("")
	m.toSummary()
	m.sum.apiKey, m.sum.revealed = goldenSecrets["xapikey"], true
	if kv := steps.DesignerEnv("")[m.sum.cursor]; kv[0] != "password" {
		t.Fatalf("cursor on %q", kv[0])
	}
	m.forward(keyMsg("c"))
	v := flat(m.View().Content)
	if strings.Contains(v, "Copied") || !strings.Contains(v, "Sent the Nexus API key to the terminal's clipboard (OSC 52); some terminals and tmux drop it") ||
		!strings.Contains(v, "p prints it after the wizard closes") {
		t.Errorf("the copy notice:\n%s", v)
	}

	// p asks; any key but y cancels.
	m.forward(keyMsg("p"))
	if v := flat(m.View().Content); !strings.Contains(v, "the key will be printed to the terminal after the wizard closes") &&
		!strings.Contains(v, "The key will be printed to the terminal after the wizard closes") {
		t.Errorf("p does not ask:\n%s", v)
	}
	m.forward(keyMsg("n"))
	if got := m.AfterExit(); got != "" {
		t.Errorf("printed after n: %q", got)
	}
	m.forward(keyMsg("p"))
	m.forward(keyMsg("y"))
	got := m.AfterExit()
	if !strings.Contains(got, goldenSecrets["xapikey"]) || !strings.Contains(got, fixtureCC) {
		t.Errorf("AfterExit after p, y = %q", got)
	}
	if v := flat(m.View().Content); !strings.Contains(v, "will be printed to the terminal after the wizard closes") {
		t.Errorf("y does not say what happens:\n%s", v)
	}
}

// flat is the screen as one line of words: a notice may wrap.
func flat(s string) string { return strings.Join(strings.Fields(ansi.Strip(s)), " ") }
