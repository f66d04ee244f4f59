package httpx

// Fuzz targets and bad-answer tests of the HTTP layer: Pretty never panics
// and is stable, and whatever an error answer holds, the StatusError built
// from it is one short line that never shows a secret of the run, not even
// in part.

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"unicode/utf8"
)

func FuzzPretty(f *testing.F) {
	for _, s := range []string{
		`{"status":{"code":0},"data":{"contactCenters":[{"id":"x"}]}}`, " [1, 2.5e300, \"a\\u00e9\", null, true] ",
		`{"a":`, `{"a":1} trailing`, "<html>Not Found</html>", "", "   ", "\"\\ud800\"", "\xff\xfe", `{"<script>":"&"}`,
		"  {\n    \"already\": \"indented\"\n  }\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		p := Pretty(body)
		if Pretty(p) != p {
			t.Errorf("Pretty is not stable: %q -> %q -> %q", body, p, Pretty(p))
		}
		if !json.Valid([]byte(body)) {
			if p != body {
				t.Errorf("Pretty changed text that is not JSON: %q -> %q", body, p)
			}
			return
		}
		var a, b bytes.Buffer
		if json.Compact(&a, []byte(body)) != nil || json.Compact(&b, []byte(p)) != nil || a.String() != b.String() {
			t.Errorf("Pretty changed the JSON document: %q -> %q", body, p)
		}
	})
}

// The run's secrets in the fuzzed answers: an ops password (basic auth), a
// bearer token, and a numeric password (numbers travel unquoted in JSON).
const (
	fuzzOpsPass = "Ops-S3cret pw\"\\/"
	fuzzBearer  = "9b7682b7-cbce-422f-900b-ecda85e61695"
	fuzzNumeric = "8675309123"
)

// secretShapes lists every way a secret may be spelt in an error: its
// travel forms, and with its whitespace folded as a one-line message would.
func secretShapes(secret string) []string {
	js, _ := json.Marshal(secret)
	b := []byte(secret)
	return []string{
		secret, url.QueryEscape(secret), url.PathEscape(secret), string(js[1 : len(js)-1]),
		base64.StdEncoding.EncodeToString(b), base64.RawURLEncoding.EncodeToString(b),
		strings.Join(strings.Fields(secret), " "),
	}
}

func assertNoSecret(t *testing.T, what, text string) {
	t.Helper()
	for _, s := range []string{fuzzOpsPass, fuzzBearer, fuzzNumeric} {
		for _, shape := range secretShapes(s) {
			if len(shape) >= 4 && strings.Contains(text, shape) {
				t.Errorf("%s shows a secret (%q): %q", what, shape, text)
			}
		}
	}
}

func FuzzStatusError(f *testing.F) {
	js, _ := json.Marshal(fuzzOpsPass)
	for _, s := range []struct {
		status uint16
		body   string
	}{
		{400, `{"status":{"code":9,"message":"client exists"}}`},
		{401, `{"error":"invalid_client","error_description":"Bad client credentials for ` + fuzzBearer + `"}`},
		{400, `{"status":{"code":3,"message":"bad password ` + strings.Trim(string(js), `"`) + `"}}`},
		{400, `{"message":"wrong \u0038675309123"}`},
		{500, strings.Repeat("x", 190) + fuzzOpsPass},
		{500, "boom " + fuzzNumeric + "\nstack trace " + fuzzOpsPass},
		{403, `{"error":{"nested":"` + fuzzBearer + `"},"message":"denied"}`},
		{302, ""}, {404, "<html>" + fuzzBearer + "</html>"}, {409, "\xff\xfe" + fuzzBearer},
		{418, `{"expires_in": 8675309123867530912386753091238675309123}`},
	} {
		f.Add(s.status, s.body)
	}
	var answer atomic.Pointer[string]
	var status atomic.Int32
	srv := newServer(f, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", "https://login.example/?token="+fuzzBearer)
		w.WriteHeader(int(status.Load()))
		io.WriteString(w, *answer.Load())
	})
	o := fastOptions(srv)
	o.MaxAttempts = 1
	c := newClient(f, o)
	c.Redactor().Add(fuzzNumeric)
	f.Fuzz(func(t *testing.T, st uint16, body string) {
		code := 300 + int(st)%300
		status.Store(int32(code))
		answer.Store(&body)
		_, err := c.Do(context.Background(), Request{Method: http.MethodPost, URL: srv.URL + "/auth/v3/ops/clients",
			BasicUser: "ops", BasicPass: fuzzOpsPass, Bearer: fuzzBearer})
		var se *StatusError
		if !errors.As(err, &se) {
			t.Fatalf("status %d: error %v, want a *StatusError", code, err)
		}
		if se.Status != code {
			t.Errorf("Status = %d, want %d", se.Status, code)
		}
		if strings.ContainsAny(se.Message, "\r\n") || len(se.Message) > maxMessage+len("…") {
			t.Errorf("Message is not one short line: %q", se.Message)
		}
		if utf8.ValidString(body) && !utf8.ValidString(se.Message) {
			t.Errorf("Message cut inside a character: %q", se.Message)
		}
		assertNoSecret(t, "StatusError", err.Error())
	})
}

// TestStatusMessageRedactedBeforeCut covers secrets that only the cutting or
// the folding of a message would have let through: a secret across the
// 200-byte cut, across lines, or with runs of spaces.
func TestStatusMessageRedactedBeforeCut(t *testing.T) {
	const secret = "Zq8x-SECRET  value\nnext-Xy"
	tests := []struct {
		name, body string
	}{
		{"across the cut", strings.Repeat("a", maxMessage-6) + " " + secret},
		{"plain text across lines", "login failed for " + secret + "\nmore"},
		{"JSON message with folded spaces", `{"message":"bad secret ` + strings.ReplaceAll(strings.ReplaceAll(secret, "\n", `\n`), " ", " ") + `"}`},
		{"JSON escapes the forms do not use", `{"message":"bad \u005aq8x-SECRET  value\u000anext-Xy"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusBadRequest)
				io.WriteString(w, tt.body)
			})
			o := fastOptions(srv)
			c := newClient(t, o)
			c.Redactor().Add(secret)
			_, err := c.Do(context.Background(), Request{Method: http.MethodGet, URL: srv.URL + "/x"})
			var se *StatusError
			if !errors.As(err, &se) {
				t.Fatalf("error %v", err)
			}
			for _, part := range []string{"Zq8x", "SECRET", "next-Xy"} {
				if strings.Contains(err.Error(), part) {
					t.Errorf("error shows part %q of the secret: %q", part, err)
				}
			}
			if !strings.Contains(se.Message, "****") {
				t.Errorf("Message %q does not show where the secret was", se.Message)
			}
		})
	}
}
