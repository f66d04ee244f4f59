package wizard

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/exp/teatest/v2"
	"github.com/charmbracelet/x/vt"

	"github.com/nexus-onboard/nexus-onboard/clients/secrets"
	"github.com/nexus-onboard/nexus-onboard/steps"
	"github.com/nexus-onboard/nexus-onboard/ui/app"
)

func init() {
	// Menu and transcript times are shown in local time; golden screens
	// must not depend on the machine's zone.
	time.Local = time.UTC
}

// harness runs a model in a teatest program and reads the screen through
// the vt emulator, as a person at the terminal would see it.
type harness struct {
	t    *testing.T
	tm   *teatest.TestModel
	emu  *vt.SafeEmulator
	mu   sync.Mutex
	raw  bytes.Buffer // everything the program wrote, for OSC 52 checks
	w, h int
	done bool
}

func newHarness(t *testing.T, m *model, w, h int, profile colorprofile.Profile) *harness {
	t.Helper()
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(w, h),
		teatest.WithProgramOptions(tea.WithColorProfile(profile)))
	emu := vt.NewSafeEmulator(w, h)
	// The emulator answers terminal queries on its own output; drain it.
	go func() { _, _ = io.Copy(io.Discard, emu) }()
	hn := &harness{t: t, tm: tm, emu: emu, w: w, h: h}
	t.Cleanup(func() {
		if !hn.done {
			_ = tm.Quit()
			tm.WaitFinished(t, teatest.WithFinalTimeout(20*time.Second))
		}
	})
	return hn
}

// pump moves what the program wrote into the emulator. The renderer
// expects the tty to turn \n into \r\n; the emulator is no tty.
func (h *harness) pump() {
	buf := make([]byte, 64<<10)
	for {
		n, err := h.tm.Output().Read(buf)
		if n > 0 {
			h.mu.Lock()
			h.raw.Write(buf[:n])
			h.mu.Unlock()
			_, _ = h.emu.Write(bytes.ReplaceAll(buf[:n], []byte("\n"), []byte("\r\n")))
		}
		if err != nil || n == 0 {
			return
		}
	}
}

// screen is the current screen text, trailing spaces trimmed.
func (h *harness) screen() string {
	h.pump()
	lines := strings.Split(h.emu.String(), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.Join(lines, "\n")
}

// waitFor waits until every one of the texts is on the screen.
func (h *harness) waitFor(timeout time.Duration, texts ...string) string {
	h.t.Helper()
	deadline := time.Now().Add(timeout)
	var s string
	for {
		s = h.screen()
		ok := true
		for _, x := range texts {
			if !strings.Contains(s, x) {
				ok = false
				break
			}
		}
		if ok {
			return s
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("screen never showed %q within %s; it shows:\n%s", texts, timeout, s)
		}
		time.Sleep(15 * time.Millisecond)
	}
}

// waitRaw waits until the program's raw output contains b.
func (h *harness) waitRaw(timeout time.Duration, b []byte) {
	h.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		h.pump()
		h.mu.Lock()
		ok := bytes.Contains(h.raw.Bytes(), b)
		h.mu.Unlock()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("the program never wrote %q", b)
		}
		time.Sleep(15 * time.Millisecond)
	}
}

var namedKeys = map[string]tea.Key{
	"enter":     {Code: tea.KeyEnter},
	"esc":       {Code: tea.KeyEscape},
	"tab":       {Code: tea.KeyTab},
	"shift+tab": {Code: tea.KeyTab, Mod: tea.ModShift},
	"up":        {Code: tea.KeyUp},
	"down":      {Code: tea.KeyDown},
	"pgdown":    {Code: tea.KeyPgDown},
	"pgup":      {Code: tea.KeyPgUp},
	"ctrl+c":    {Code: 'c', Mod: tea.ModCtrl},
	"ctrl+u":    {Code: 'u', Mod: tea.ModCtrl},
	"f1":        {Code: tea.KeyF1},
}

// press sends keys: names from namedKeys, or single characters.
func (h *harness) press(keys ...string) {
	for _, k := range keys {
		if nk, ok := namedKeys[k]; ok {
			h.tm.Send(tea.KeyPressMsg(nk))
		} else {
			h.tm.Type(k)
		}
		// One key at a time, as typed: the next may depend on a redraw.
		time.Sleep(5 * time.Millisecond)
	}
}

// burst sends keys all at once, as a paste or tmux does: faster than the
// program's commands come back.
func (h *harness) burst(keys ...string) {
	for _, k := range keys {
		if nk, ok := namedKeys[k]; ok {
			h.tm.Send(tea.KeyPressMsg(nk))
		} else {
			h.tm.Type(k)
		}
	}
}

// quit presses q and waits for the program to end; it returns the model.
func (h *harness) quit(keys ...string) *model {
	h.t.Helper()
	if len(keys) == 0 {
		keys = []string{"ctrl+c"}
	}
	h.press(keys...)
	fm := h.tm.FinalModel(h.t, teatest.WithFinalTimeout(20*time.Second))
	h.done = true
	return fm.(*model)
}

// --- fixtures ----------------------------------------------------------------

const fixtureCC = "578ec98e-f07c-46ad-9675-f36c22f3ba9f"

// goldenSecrets are the secret values of the fixture; no golden screen may
// show any of them.
var goldenSecrets = map[string]string{
	steps.KeyAdminPassword: "ops-Pa55word-golden",
	steps.KeyTenantPass:    "tenant-Pa55word-golden",
	"db_password":          "db-Pa55word-golden",
	steps.KeyUCSAPIKey:     "ucs-key-golden-00001",
	"xapikey":              "xapikey-golden-00002",
	"client_secret":        "client-secret-golden-00003",
}

func fixtureValues() steps.Values {
	vs := steps.NewValues()
	for k, v := range map[string]string{
		steps.KeyGWSURL: "https://gws.example.com", steps.KeyAuthURL: "https://auth.example.com",
		steps.KeyNexusURL: "https://nexus.example.com", steps.KeyUCSURL: "https://ucs.example.com",
		steps.KeyAdminUser: "ops", steps.KeyAdminPassword: goldenSecrets[steps.KeyAdminPassword],
		steps.KeyTenantUser: "nexus", steps.KeyTenantPass: goldenSecrets[steps.KeyTenantPass],
		steps.KeyCCID: fixtureCC, steps.KeyTenantName: "premise_tenant",
		steps.KeyDBURL:     "postgres://nexus:" + goldenSecrets["db_password"] + "@nexus-db.example.com:5432/nexus",
		steps.KeyUCSAPIKey: goldenSecrets[steps.KeyUCSAPIKey],
	} {
		vs.Set(k, v, steps.FromConfig)
	}
	vs.Set(steps.KeyClientID, "nexus_client", steps.FromDefault)
	return vs
}

// fixtureModel is a model over the fixture values with an in-memory
// keyring holding the tenant's API key, sized w×h.
func fixtureModel(t testing.TB, w, h int) *model {
	t.Helper()
	m := newModel(context.Background(), app.WizardParams{Values: fixtureValues(), Store: steps.Store{Dir: t.TempDir()}})
	kr := secrets.NewMemory()
	kr.Set(context.Background(), secrets.Account(fixtureCC, secrets.NexusAPIKey), goldenSecrets["xapikey"])
	kr.Set(context.Background(), steps.KeyringAccount(m.vals, steps.OutClientSecret), goldenSecrets["client_secret"])
	env, err := steps.NewEnv(m.vals.Clone(), steps.Options{Keyring: kr})
	if err != nil {
		t.Fatal(err)
	}
	m.env = env
	t.Cleanup(env.Close)
	m.resize(w, h)
	return m
}

// --- real components ------------------------------------------------------------

// cleanupKeyring removes the test's keyring entries when it ends.
func cleanupKeyring(t *testing.T, vals steps.Values) {
	t.Cleanup(func() {
		for _, name := range []string{steps.OutClientSecret, steps.OutAPIKey} {
			err := (secrets.Store{}).Delete(context.Background(), steps.KeyringAccount(vals, name))
			if err != nil && !errors.Is(err, secrets.ErrNotFound) {
				t.Errorf("clean up keyring entry %s: %v", name, err)
			}
		}
	})
}

// keyMsg is the message of one key press: a name from namedKeys or a character.
func keyMsg(k string) tea.KeyPressMsg {
	if nk, ok := namedKeys[k]; ok {
		return tea.KeyPressMsg(nk)
	}
	r := []rune(k)[0]
	return tea.KeyPressMsg{Code: r, Text: k}
}

func sizeMsg(w, h int) tea.WindowSizeMsg { return tea.WindowSizeMsg{Width: w, Height: h} }
