package wizard

import (
	"context"
	"errors"
	"io"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nexus-onboard/nexus-onboard/clients/secrets"
	"github.com/nexus-onboard/nexus-onboard/steps"
	"github.com/nexus-onboard/nexus-onboard/ui/app"
)

// The accessible wizard is driven as a screen-reader user would: it asks a
// question on a line, the user answers on the same line. The conversation
// answers each question as it appears (enter keeps a pre-filled value) and
// records the whole output.

type conversation struct {
	t       *testing.T
	mu      sync.Mutex
	out     strings.Builder
	wrote   chan struct{}
	inW     *io.PipeWriter
	answers func(prompt string) string
	asked   []string
}

func newConversation(t *testing.T, answers func(prompt string) string) (*conversation, io.Reader) {
	r, w := io.Pipe()
	c := &conversation{t: t, wrote: make(chan struct{}, 1), inW: w, answers: answers}
	return c, r
}

func (c *conversation) Write(b []byte) (int, error) {
	c.mu.Lock()
	c.out.Write(b)
	c.mu.Unlock()
	select {
	case c.wrote <- struct{}{}:
	default:
	}
	return len(b), nil
}

func (c *conversation) text() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.out.String()
}

// questionEnd is how an open question line ends: huh's prompts ("GWS URL:
// ", "Enter a number between 1 and 2: ") and the wizard's ("(yes/no) ").
var questionEnd = regexp.MustCompile(`(: |\) )$`)

// answer runs until done closes, answering every new question.
func (c *conversation) answer(done <-chan struct{}) {
	answered := -1
	for {
		select {
		case <-done:
			c.inW.Close()
			return
		case <-c.wrote:
		case <-time.After(50 * time.Millisecond):
		}
		out := c.text()
		if len(out) == answered || !questionEnd.MatchString(out) {
			continue
		}
		// A prompt is written at once; a step's line still waiting for its
		// outcome ends with "... ", not like a question.
		last := out[strings.LastIndex(out, "\n")+1:]
		answered = len(out)
		a := c.answers(last)
		c.mu.Lock()
		c.asked = append(c.asked, strings.TrimSpace(last)+" "+a)
		c.mu.Unlock()
		go func() { _, _ = io.WriteString(c.inW, a+"\n") }()
	}
}

// walk runs the accessible wizard to its end with these answers.
func walkAccessible(t *testing.T, p app.WizardParams, answers func(string) string) (string, error) {
	t.Helper()
	return walkAccessibleCtx(t, context.Background(), p, answers)
}

func walkAccessibleCtx(t *testing.T, ctx context.Context, p app.WizardParams, answers func(string) string) (string, error) {
	t.Helper()
	c, in := newConversation(t, answers)
	done, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		c.answer(done)
	}()
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	err := runAccessible(ctx, p, in, c)
	close(done)
	<-stopped
	out := c.text()
	c.mu.Lock()
	t.Logf("answers given:\n%s", strings.Join(c.asked, "\n"))
	c.mu.Unlock()
	return out, err
}

// cursorMoves matches escape sequences that move the cursor or clear.
var cursorMoves = regexp.MustCompile(`\x1b\[[0-9;?]*[ABCDHJK]`)

func assertPlain(t *testing.T, out string) {
	t.Helper()
	if loc := cursorMoves.FindStringIndex(out); loc != nil {
		t.Errorf("the output moves the cursor or clears at %d: %q", loc[0], out[max(loc[0]-40, 0):loc[1]])
	}
	if i := strings.IndexByte(out, 0x1b); i >= 0 {
		t.Errorf("the output holds an escape sequence at %d: %q", i, out[max(i-40, 0):min(i+10, len(out))])
	}
	for i, l := range strings.Split(out, "\n") {
		if strings.HasSuffix(l, "  ") {
			t.Errorf("line %d ends in blanks (the answer would sit at the right margin): %q", i+1, l)
		}
	}
}

// assertInOrder checks that every text appears, each after the previous one.
func assertInOrder(t *testing.T, out string, texts ...string) {
	t.Helper()
	at := 0
	for _, s := range texts {
		i := strings.Index(out[at:], s)
		if i < 0 {
			t.Fatalf("%q missing (or out of order) after offset %d; output:\n%s", s, at, out)
		}
		at += i + len(s)
	}
}

func exitOf(t *testing.T, err error) int {
	t.Helper()
	if err == nil {
		return app.ExitOK
	}
	var ee *app.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("outcome %v is not a app.ExitError", err)
	}
	return ee.Code
}

// TestAccessibleSandboxWalk onboards the sandbox in accessible mode by
// answers alone: every screen is text in order, nothing moves the cursor,
// the DesignerEnv values end it, and the API key shows only when asked.
// A second walk resumes the saved state and reveals the key.
func TestAccessibleSandboxWalk(t *testing.T) {
	s := startSandbox(t)
	params := func() app.WizardParams {
		return app.WizardParams{Values: s.vals.Clone(), Store: s.store, Accessible: true,
			Sandbox: &app.SandboxInfo{AuthURL: s.sb.AuthURL, CCID: s.cc, DBURL: s.vals.Get(steps.KeyDBURL)}}
	}
	reveal := "no"
	answers := func(prompt string) string {
		switch {
		case strings.HasPrefix(prompt, "Run these"):
			return "yes"
		case strings.HasPrefix(prompt, "Reveal the Nexus API key?"):
			return reveal
		case strings.Contains(prompt, "(yes/no)"), strings.Contains(prompt, "quit)"):
			t.Errorf("unexpected question %q", prompt)
			return "quit"
		}
		return "" // enter keeps the pre-filled value
	}

	out, err := walkAccessible(t, params(), answers)
	if code := exitOf(t, err); code != app.ExitOK {
		t.Fatalf("exit %d (%v); output:\n%s", code, err, out)
	}
	assertPlain(t, out)
	s.assertNoSecret(t, "the accessible walk", out)
	want := []string{
		"== Inputs ==", "Page 1 of 4: Endpoints", "GWS URL", "Page 2 of 4", "listed by", s.cc,
		"== Preflight ==", "ok: OS keyring writable", "ok: Auth URL reachable", "All checks passed",
		"== Plan ==", "Plan: 8 steps will run, 1 step already done, 0 steps skipped.",
	}
	for i, st := range steps.All {
		want = append(want, "Step "+strconv.Itoa(i+1)+" of 9: "+st.Title+" ("+st.ID+"), ")
	}
	want = append(want, "Run these 9 steps? (yes/no)", "== Run ==")
	for i, st := range steps.All {
		want = append(want, "Step "+strconv.Itoa(i+1)+" of 9: "+st.Title+" ("+st.ID+")... ")
	}
	want = append(want, "Every step finished.", "== Summary ==", "Every step ran for contact center "+s.cc+"; 1 step for you to do by hand", "designer-env: manual",
		"Secrets in the OS keyring", "DesignerEnv transaction", "  baseurl: ", "  password: (hidden", "  url: ",
		"Reveal the Nexus API key? (yes/no)", "The key stays hidden")
	assertInOrder(t, out, want...)
	if !regexp.MustCompile(`Step 3 of 9: .*\.\.\. (done|already done)`).MatchString(out) {
		t.Errorf("no one-line step outcome in:\n%s", out)
	}
	// The DesignerEnv values end the walk (before the farewell).
	tail := out[strings.LastIndex(out, "DesignerEnv transaction"):]
	for _, kv := range steps.DesignerEnv("") {
		if kv[0] != "password" && !strings.Contains(tail, "  "+kv[0]+": "+kv[1]) {
			t.Errorf("DesignerEnv %s not printed at the end:\n%s", kv[0], tail)
		}
	}

	// Again, on the saved state: finished steps are checked, the key shown.
	reveal = "yes"
	out, err = walkAccessible(t, params(), answers)
	if code := exitOf(t, err); code != app.ExitOK {
		t.Fatalf("second walk: exit %d (%v); output:\n%s", code, err, out)
	}
	assertPlain(t, out)
	xapikey := s.sb.Tenants()[0]["xapikey"].(string)
	assertInOrder(t, out, "has a saved state", "== Preflight ==", "== Plan ==", "== Run ==", "== Summary ==",
		"Reveal the Nexus API key? (yes/no)", "  password: "+xapikey)
	if strings.Count(out, xapikey) != 1 {
		t.Errorf("the key is shown %d times, want once (after yes)", strings.Count(out, xapikey))
	}

	// Ctrl+C (the CLI's context ends) at the plan's question: 130, nothing run.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out, err = walkAccessibleCtx(t, ctx, params(), func(prompt string) string {
		if strings.HasPrefix(prompt, "Run these") {
			cancel()
		}
		return ""
	})
	if code := exitOf(t, err); code != app.ExitInterrupted {
		t.Fatalf("Ctrl+C at the plan: exit %d (%v), want %d; output:\n%s", code, err, app.ExitInterrupted, out)
	}
	if strings.Contains(out, "== Run ==") {
		t.Error("a run started after Ctrl+C")
	}
}

// TestAccessiblePreflightFailedQuitIs2: a preflight against endpoints that
// refuse connections prints FAILED lines with their fix; quit is exit 2.
func TestAccessiblePreflightFailedQuitIs2(t *testing.T) {
	vals := fixtureValues()
	for _, k := range []string{steps.KeyGWSURL, steps.KeyAuthURL, steps.KeyNexusURL, steps.KeyUCSURL} {
		vals.Set(k, "https://127.0.0.1:1", steps.FromConfig)
	}
	vals.Set(steps.KeyDBURL, "postgres://nexus:"+goldenSecrets["db_password"]+"@127.0.0.1:1/nexus", steps.FromConfig)
	p := app.WizardParams{Values: vals, Store: steps.Store{Dir: t.TempDir()}, Accessible: true, Keyring: secrets.NewMemory()}
	out, err := walkAccessible(t, p, func(prompt string) string {
		if strings.HasPrefix(prompt, "What now?") {
			return "quit"
		}
		return ""
	})
	if code := exitOf(t, err); code != app.ExitUsage {
		t.Fatalf("exit %d (%v), want %d; output:\n%s", code, err, app.ExitUsage, out)
	}
	assertPlain(t, out)
	assertNoSecret(t, out)
	assertInOrder(t, out, "== Inputs ==", "== Preflight ==", "FAILED: Auth URL reachable", "(fix: ", "failed: nothing was changed", "What now? (edit/check/quit)")
	if strings.Contains(out, "== Plan ==") {
		t.Error("the plan was shown after a failed preflight")
	}
}
