package httpx

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"
)

// The words of an exchange, defined once: the CLI's --verbose lines, the
// Markdown report and the wizard's previews lay them out, each in its own
// way, from these.

// RequestLine is "METHOD URL" (the URL as recorded: redacted).
func (x Exchange) RequestLine() string { return x.Method + " " + x.URL }

// HeaderLines are the headers as "Name: v1, v2", sorted by name.
func HeaderLines(h http.Header) []string {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		out = append(out, k+": "+strings.Join(h[k], ", "))
	}
	return out
}

// Outcome words the answer with its time and attempt: "201 Created (84ms)",
// "503 Service Unavailable (1.2s, attempt 2)", or "no answer after 15s
// (attempt 1): <error>".
func (x Exchange) Outcome() string {
	meta := roundDur(x.Duration).String()
	if x.Attempt > 1 {
		meta += fmt.Sprintf(", attempt %d", x.Attempt)
	}
	if x.Status == 0 {
		return fmt.Sprintf("no answer after %s: %s", meta, x.Error)
	}
	text := http.StatusText(x.Status)
	if text == "" {
		text = "status"
	}
	return fmt.Sprintf("%d %s (%s)", x.Status, text, meta)
}

func roundDur(d time.Duration) time.Duration {
	if d >= time.Second {
		return d.Round(10 * time.Millisecond)
	}
	return d.Round(time.Millisecond)
}
