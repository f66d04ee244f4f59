package steps

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nexus-onboard/nexus-onboard/clients/httpx"
	"github.com/nexus-onboard/nexus-onboard/testkit"
)

// httpEnv is testEnv with an HTTP client of these options.
func httpEnv(t *testing.T, o httpx.Options) *Env {
	t.Helper()
	e := testEnv(t)
	o.Redactor = e.Redactor
	h, err := httpx.New(o)
	if err != nil {
		t.Fatal(err)
	}
	e.HTTP = h
	return e
}

// A step against an endpoint that accepts connections and never answers
// fails within its budget, whatever the per-request timeout, and says what
// it waited for, for how long, and what to do.
func TestStepBudgetEndsSilentEndpoint(t *testing.T) {
	addr := testkit.SilentListener(t)
	const budget = 400 * time.Millisecond
	for _, tt := range []struct {
		name    string
		timeout time.Duration // per HTTP attempt
	}{
		{"request timeout longer than the budget", 10 * time.Second},
		{"request timeouts within the budget", 100 * time.Millisecond},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := httpEnv(t, httpx.Options{Timeout: tt.timeout, BaseBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond})
			var checks, writes atomic.Int32
			st := Step{ID: "auth-client", Title: "write",
				Check: func(ctx context.Context, e *Env) (bool, Result, error) {
					checks.Add(1)
					_, err := e.HTTP.Do(ctx, httpx.Request{URL: "http://" + addr + "/auth/v3/ops/clients/x"})
					var se *httpx.StatusError
					if errors.As(err, &se) && se.Status == http.StatusNotFound {
						return false, Result{}, nil
					}
					return false, Result{}, err
				},
				Run: func(ctx context.Context, e *Env) (Result, error) {
					writes.Add(1)
					_, err := e.HTTP.Do(ctx, httpx.Request{Method: http.MethodPost, URL: "http://" + addr + "/auth/v3/ops/clients", Body: []byte(`{}`)})
					return Result{}, err
				},
			}
			r := &Runner{Env: e, Store: Store{Dir: t.TempDir()}, RetryDelay: 10 * time.Millisecond, StepTimeout: budget}
			defer r.Close()
			start := time.Now()
			recs, err := r.Run(context.Background(), Selection{Steps: []Step{st}})
			el := time.Since(start)
			var sf *StepFailedError
			if !errors.As(err, &sf) || recs[0].Status != StatusFailed {
				t.Fatalf("err %v, status %s: want the step failed", err, recs[0].Status)
			}
			if el > budget+time.Second {
				t.Fatalf("the step failed after %v, budget %v", el, budget)
			}
			msg := recs[0].Error
			for _, want := range []string{"400ms step budget", "GET " + addr + "/auth/v3/ops/clients/x", "check that " + addr + " is up", "--step-timeout", "NEXUS_ONBOARD_STEP_TIMEOUT", "--request-timeout"} {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q lacks %q", msg, want)
				}
			}
			t.Logf("%v, %d checks, %d writes: %s", el.Round(time.Millisecond), checks.Load(), writes.Load(), msg)
		})
	}
}

// Transient failures keep their retries (httpx's for 503, the runner's for
// a 504 on a write) and the step succeeds within its budget.
func TestStepBudgetTransientRetriedWithin(t *testing.T) {
	var posts atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			w.WriteHeader(http.StatusNotFound) // not done yet
			return
		}
		switch posts.Add(1) {
		case 1, 2:
			w.WriteHeader(http.StatusServiceUnavailable)
		case 3:
			w.WriteHeader(http.StatusGatewayTimeout)
		default:
			w.WriteHeader(http.StatusCreated)
			io.WriteString(w, `{}`)
		}
	}))
	defer srv.Close()
	e := httpEnv(t, httpx.Options{Timeout: time.Second, BaseBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond})
	st := Step{ID: "w", Title: "write",
		Check: func(ctx context.Context, e *Env) (bool, Result, error) {
			_, err := e.HTTP.Do(ctx, httpx.Request{URL: srv.URL + "/x"})
			var se *httpx.StatusError
			if errors.As(err, &se) && se.Status == http.StatusNotFound {
				return false, Result{}, nil
			}
			return false, Result{}, err
		},
		Run: func(ctx context.Context, e *Env) (Result, error) {
			_, err := e.HTTP.Do(ctx, httpx.Request{Method: http.MethodPost, URL: srv.URL + "/x", Body: []byte(`{}`)})
			return Result{}, err
		},
	}
	const budget = 3 * time.Second
	r := &Runner{Env: e, Store: Store{Dir: t.TempDir()}, RetryDelay: 10 * time.Millisecond, StepTimeout: budget}
	defer r.Close()
	start := time.Now()
	recs, err := r.Run(context.Background(), Selection{Steps: []Step{st}})
	if err != nil || recs[0].Status != StatusDone {
		t.Fatalf("err %v status %s (%s)", err, recs[0].Status, recs[0].Error)
	}
	if el := time.Since(start); el > budget {
		t.Fatalf("took %v", el)
	}
	if n := posts.Load(); n != 4 {
		t.Fatalf("%d POSTs, want 4 (503, 503 retried by httpx; 504 by the runner after a check)", n)
	}
}

// With no HTTP call to name, the budget message still says how long and
// what to do; a zero StepTimeout means the default.
func TestStepBudgetWithoutHTTP(t *testing.T) {
	e := testEnv(t)
	st := Step{ID: "db", Run: func(ctx context.Context, e *Env) (Result, error) {
		<-ctx.Done()
		return Result{}, ctx.Err()
	}}
	r := &Runner{Env: e, Store: Store{Dir: t.TempDir()}, StepTimeout: 50 * time.Millisecond}
	defer r.Close()
	recs, _ := r.Run(context.Background(), Selection{Steps: []Step{st}})
	if msg := recs[0].Error; !strings.Contains(msg, "50ms step budget") || !strings.Contains(msg, "--step-timeout") {
		t.Fatalf("error %q", msg)
	}
	if DefaultStepTimeout != time.Minute {
		t.Fatalf("DefaultStepTimeout = %v", DefaultStepTimeout)
	}
}

// A step that ends on request timeouts before its budget says how to allow
// more time per request.
func TestStepRequestTimeoutSaysWhatToDo(t *testing.T) {
	addr := testkit.SilentListener(t)
	e := httpEnv(t, httpx.Options{Timeout: 50 * time.Millisecond, BaseBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond})
	st := Step{ID: "token", Run: func(ctx context.Context, e *Env) (Result, error) {
		_, err := e.HTTP.Do(ctx, httpx.Request{URL: "http://" + addr + "/auth/v3/oauth/token"})
		return Result{}, err
	}}
	r := &Runner{Env: e, Store: Store{Dir: t.TempDir()}, Attempts: 1, StepTimeout: 5 * time.Second}
	defer r.Close()
	start := time.Now()
	recs, _ := r.Run(context.Background(), Selection{Steps: []Step{st}})
	if el := time.Since(start); el > 2*time.Second {
		t.Fatalf("took %v", el)
	}
	msg := recs[0].Error
	for _, want := range []string{"GET " + addr + "/auth/v3/oauth/token", "no answer within 50ms", "(after 2 attempts)", "--request-timeout", "NEXUS_ONBOARD_REQUEST_TIMEOUT"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
}
