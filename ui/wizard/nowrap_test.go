package wizard

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

// A command meant for copy-paste is never broken across lines: it goes
// whole on a line of its own, the prose around it wraps, and a pane too
// narrow for it cuts it with a marker and pans sideways.
func TestCommandsAreNeverWrapped(t *testing.T) {
	cmd := "nexus-onboard run --only register-gws --config /home/someone/onboarding/nexus-onboard.yaml"
	lookup := "secret-tool lookup service nexus-onboard username 578ec98e-f07c-46ad-9675-f36c22f3ba9f/nexus_api_key"
	for _, w := range []int{30, 50, 80, 200} {
		lines := wrapStyled([]styled{
			{text: "⚠ the client secret changed: run register-gws so nex_gapis has the new secret (" + cmd + ")"},
			{text: "  read one back: " + lookup},
			{text: "  " + lookup, noWrap: true},
		}, w)
		text := strings.Join(lines, "\n")
		if n := strings.Count(text, cmd); n != 1 {
			t.Errorf("width %d: the run command is not whole on one line (%d):\n%s", w, n, text)
		}
		if n := strings.Count(text, lookup); n != 2 {
			t.Errorf("width %d: the lookup is not whole on its lines (%d):\n%s", w, n, text)
		}
		for _, l := range lines {
			if strings.Contains(l, cmd) && strings.TrimSpace(l) != cmd {
				t.Errorf("width %d: the command shares its line: %q", w, l)
			}
		}
	}

	p := newPane()
	p.setSize(40, 5)
	p.show("doc#1", func(w int) []string { return wrapStyled([]styled{{text: "  " + lookup, noWrap: true}}, w) }, false)
	v := ansi.Strip(p.view())
	first := strings.Split(v, "\n")[0]
	if !strings.HasSuffix(strings.TrimRight(first, " "), "→") || ansi.StringWidth(first) > 40 {
		t.Errorf("a cut command has no marker or overflows: %q", first)
	}
	p.pan(true)
	if v := ansi.Strip(strings.Split(p.view(), "\n")[0]); !strings.HasPrefix(v, "←") {
		t.Errorf("panned right, the line does not start with ←: %q", v)
	}
}

// The keyring remedy's commands, in a preflight failure, are each whole on
// a line of their own; the prose between them wraps.
func TestRemedyCommandsAreNeverWrapped(t *testing.T) {
	msg := "keyring: no Secret Service on the D-Bus session bus. On a headless Linux box, start one: " +
		"apt-get install gnome-keyring dbus-x11 libsecret-tools; " +
		"dbus-run-session -- sh -c 'printf %s \"$P\" | gnome-keyring-daemon --unlock --components=secrets; exec bash' " +
		"(then run nexus-onboard in that shell)"
	cmds := []string{
		"apt-get install gnome-keyring dbus-x11 libsecret-tools",
		"dbus-run-session -- sh -c 'printf %s \"$P\" | gnome-keyring-daemon --unlock --components=secrets; exec bash'",
	}
	for _, w := range []int{40, 72, 200} {
		lines := wrapStyled([]styled{{text: msg}}, w)
		for _, c := range cmds {
			found := false
			for _, l := range lines {
				if strings.TrimSpace(l) == c {
					found = true
				}
			}
			if !found {
				t.Errorf("width %d: %q is not whole on a line of its own:\n%s", w, c, strings.Join(lines, "\n"))
			}
		}
		if !strings.Contains(strings.Join(lines, " "), "(then run nexus-onboard in that shell)") {
			t.Errorf("width %d: the closing prose is lost:\n%s", w, strings.Join(lines, "\n"))
		}
	}
}
