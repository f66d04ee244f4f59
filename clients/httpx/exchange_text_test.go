package httpx

import (
	"net/http"
	"slices"
	"testing"
	"time"
)

func TestExchangeWords(t *testing.T) {
	x := Exchange{Method: "POST", URL: "https://auth.example.com/auth/v3/ops/clients", Status: 201, Duration: 84 * time.Millisecond, Attempt: 1}
	if got := x.RequestLine(); got != "POST https://auth.example.com/auth/v3/ops/clients" {
		t.Errorf("RequestLine = %q", got)
	}
	if got := x.Outcome(); got != "201 Created (84ms)" {
		t.Errorf("Outcome = %q", got)
	}
	x.Status, x.Attempt, x.Duration = 503, 2, 1234*time.Millisecond
	if got := x.Outcome(); got != "503 Service Unavailable (1.23s, attempt 2)" {
		t.Errorf("Outcome = %q", got)
	}
	x.Status, x.Error, x.Attempt = 0, "connection refused", 1
	if got := x.Outcome(); got != "no answer after 1.23s: connection refused" {
		t.Errorf("Outcome = %q", got)
	}
	h := http.Header{"X-B": {"2"}, "Content-Type": {"application/json"}, "Accept": {"a", "b"}}
	if got, want := HeaderLines(h), []string{"Accept: a, b", "Content-Type: application/json", "X-B: 2"}; !slices.Equal(got, want) {
		t.Errorf("HeaderLines = %q, want %q", got, want)
	}
}
