package cli

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nexus-onboard/nexus-onboard/clients/httpx"
	"github.com/nexus-onboard/nexus-onboard/steps"
)

// syncBuffer is a bytes.Buffer safe to read while progress writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// A request pending for long prints a waiting line naming it (host and path
// of the redacted URL, no query) and the step budget, spaced by waitEvery;
// the answer stops them, and stop ends the ticker goroutine.
func TestProgressPrintsWaitingLine(t *testing.T) {
	var out syncBuffer
	p := &progress{w: &out, titles: map[string]string{"auth-client": "[1/1] Auth client"}, budget: time.Minute,
		waitAfter: 30 * time.Millisecond, waitEvery: 80 * time.Millisecond, tick: 5 * time.Millisecond}
	defer p.stop()
	const line = "    waiting for POST auth.example.com/auth/v3/ops/clients ("
	p.event(steps.Event{Kind: steps.EventStart, Step: "auth-client"})
	p.event(steps.Event{Kind: steps.EventRequest, Step: "auth-client", Exchange: &httpx.Exchange{
		Method: "POST", URL: "https://auth.example.com/auth/v3/ops/clients?token=****", Pending: true, Attempt: 1}})

	start := time.Now()
	for strings.Count(out.String(), line) < 2 {
		if time.Since(start) > 5*time.Second {
			t.Fatalf("no two waiting lines after 5s:\n%s", out.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if el := time.Since(start); el < 30*time.Millisecond+80*time.Millisecond {
		t.Fatalf("two waiting lines after %v: not spaced by waitEvery", el)
	}
	got := out.String()
	if !strings.Contains(got, "of 60s step budget)…\n") || strings.Contains(got, "token") {
		t.Fatalf("waiting line:\n%s", got)
	}

	// The answer came: no more waiting lines.
	p.event(steps.Event{Kind: steps.EventExchange, Step: "auth-client", Exchange: &httpx.Exchange{Method: "POST", URL: "https://auth.example.com/auth/v3/ops/clients", Status: 201}})
	n := strings.Count(out.String(), line)
	time.Sleep(200 * time.Millisecond)
	if m := strings.Count(out.String(), line); m != n {
		t.Fatalf("%d waiting lines after the answer", m-n)
	}

	// The step ends: its ticker goroutine ends with it.
	p.event(steps.Event{Kind: steps.EventFinish, Step: "auth-client", Record: &steps.Record{ID: "auth-client", Status: steps.StatusDone}})
	done := make(chan struct{})
	go func() { p.tickers.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("the ticker goroutine outlived the step")
	}
}

// A request answered quickly prints no waiting line.
func TestProgressQuietForQuickRequests(t *testing.T) {
	var out syncBuffer
	p := &progress{w: &out, titles: map[string]string{}, waitAfter: 200 * time.Millisecond, waitEvery: time.Second, tick: 5 * time.Millisecond}
	p.event(steps.Event{Kind: steps.EventStart, Step: "s"})
	p.event(steps.Event{Kind: steps.EventRequest, Step: "s", Exchange: &httpx.Exchange{Method: "GET", URL: "https://h/x", Pending: true}})
	time.Sleep(20 * time.Millisecond)
	p.event(steps.Event{Kind: steps.EventExchange, Step: "s", Exchange: &httpx.Exchange{Method: "GET", URL: "https://h/x", Status: 200}})
	time.Sleep(250 * time.Millisecond)
	p.stop()
	if strings.Contains(out.String(), "waiting for") {
		t.Fatalf("waiting line for a quick request:\n%s", out.String())
	}
}

func TestFmtWait(t *testing.T) {
	for d, want := range map[time.Duration]string{
		250 * time.Millisecond: "250ms", 10 * time.Second: "10s", time.Minute: "60s",
		90 * time.Second: "90s", 2 * time.Minute: "2m", 10400 * time.Millisecond: "10s",
	} {
		if got := fmtWait(d); got != want {
			t.Errorf("fmtWait(%v) = %q, want %q", d, got, want)
		}
	}
}
