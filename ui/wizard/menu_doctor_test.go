package wizard

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/colorprofile"

	"github.com/nexus-onboard/nexus-onboard/clients/gws"
	"github.com/nexus-onboard/nexus-onboard/steps"
)

// The step menu checks for drift: by itself when the saved state is older
// than a day, and on d. A drifted step is marked, its pane shows the fix,
// and enter (its re-run) repairs it.
func TestMenuFindsDriftAndReRunRepairsIt(t *testing.T) {
	s := startSandbox(t)
	ctx := context.Background()
	env, err := steps.NewEnv(s.vals.Clone(), steps.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	sel, _ := steps.Select(nil, nil, s.vals)
	runner := &steps.Runner{Env: env, Store: s.store, RetryDelay: time.Millisecond}
	if _, err := runner.Run(ctx, sel); err != nil {
		t.Fatal(err)
	}
	runner.Close()
	// The state is two days old (Save stamps the time: edit the file),
	// and someone changed the setting since.
	path := s.store.Path(s.cc)
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	doc["updated"] = time.Now().Add(-48 * time.Hour).UTC().Format(time.RFC3339Nano)
	raw, _ = json.Marshal(doc)
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := env.Auth.CreateSetting(ctx, s.cc, gws.Setting{Name: "chat-service-uri", Location: "/", Value: "https://elsewhere.example.com"}); err != nil {
		t.Fatal(err)
	}
	writes := func() int {
		n := 0
		for _, r := range s.sb.Requests() {
			if r.Method != "GET" && r.Path != "/auth/v3/oauth/token" {
				n++
			}
		}
		return n
	}
	before := writes()

	m := s.model()
	h := newHarness(t, m, 100, 30, colorprofile.ANSI256)
	// Opened on a state older than a day, the menu checks by itself.
	screen := h.waitFor(30*time.Second, "Step menu", "Drift in 1 step")
	if !strings.Contains(screen, "chat-service-uri  drift") {
		t.Errorf("the drifted step is not marked:\n%s", screen)
	}
	if writes() != before {
		t.Errorf("the drift check sent %d writes", writes()-before)
	}
	// Highlight it: the pane shows the fix.
	for i := 0; i < len(steps.All) && !strings.Contains(h.screen(), "› ✗  chat-service-uri"); i++ {
		h.press("down")
		time.Sleep(30 * time.Millisecond)
	}
	h.waitFor(5*time.Second, "Drift check: drift", "run --only chat-service-uri")
	h.press("enter")
	h.waitFor(30*time.Second, "All checks passed")
	h.press("enter")
	h.waitFor(20*time.Second, "Re-run chat-service-uri")
	h.press("enter")
	h.waitFor(30*time.Second, "Finished: 1 of 1 done")
	h.press("m")
	h.waitFor(10*time.Second, "Step menu")
	h.press("d")
	h.waitFor(30*time.Second, "No drift")
	h.quit("q")
	if set := s.sb.Settings(s.cc); len(set) != 1 || set[0]["value"] != s.vals.Get(steps.KeyNexusURL) {
		t.Errorf("chat-service-uri settings = %v", set)
	}
}
