package steps

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/nexus-onboard/nexus-onboard/clients/httpx"
	"github.com/nexus-onboard/nexus-onboard/clients/redact"
)

// Planned is one request (or SQL statement) a step would send, with every
// secret masked. It is built by the same request builders the clients use.
type Planned struct {
	Note   string // when it is sent ("if the client does not exist")
	Method string
	URL    string
	Header http.Header
	Body   string // pretty, redacted
	SQL    string // for database steps
}

// Placeholders for values a plan cannot know before the run.
const (
	phSecret = "<generated secret: 48 random characters, kept in the OS keyring>"
	phToken  = "<access token from tenant-token>"
	phCCID   = "<cc_id from contact-center>"
)

// String renders the request as an HTTP-like block.
func (p Planned) String() string {
	var b strings.Builder
	if p.Note != "" {
		fmt.Fprintf(&b, "# %s\n", p.Note)
	}
	if p.SQL != "" {
		b.WriteString(p.SQL)
		b.WriteString("\n")
		return b.String()
	}
	fmt.Fprintf(&b, "%s %s\n", p.Method, p.URL)
	keys := make([]string, 0, len(p.Header))
	for k := range p.Header {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "%s: %s\n", k, strings.Join(p.Header[k], ", "))
	}
	if p.Body != "" {
		b.WriteString("\n")
		b.WriteString(p.Body)
		b.WriteString("\n")
	}
	return b.String()
}

// PlanOf returns what a step would send with the current inputs. Secrets are
// masked; values known only after earlier steps are placeholders.
func PlanOf(st Step, e *Env) []Planned {
	if st.Skip != nil {
		if why := st.Skip(e.In); why != "" {
			return []Planned{{Note: "skipped: " + why}}
		}
	}
	if st.Plan == nil {
		return nil
	}
	return st.Plan(e)
}

func planned(e *Env, note string, r httpx.Request) Planned {
	h := r.Header.Clone()
	if h == nil {
		h = http.Header{}
	}
	if r.BasicUser != "" {
		h.Set("Authorization", "Basic "+r.BasicUser+":"+redact.Mask)
	}
	if r.Bearer != "" {
		h.Set("Authorization", "Bearer "+redact.Mask)
	}
	body := ""
	if len(r.Body) > 0 {
		if strings.Contains(h.Get("Content-Type"), "x-www-form-urlencoded") {
			body = e.Redactor.Form(string(r.Body))
		} else {
			body = httpx.Pretty(string(e.Redactor.JSON(r.Body)))
		}
	}
	for k, vs := range e.Redactor.Header(h) {
		if k != "Authorization" {
			h[k] = vs
		}
	}
	return Planned{Note: note, Method: r.Method, URL: showPlaceholders(e.Redactor.URL(r.URL)), Header: h, Body: body}
}

// showPlaceholders shows a path segment that is a plan's placeholder
// ("<setting id>") as written, not percent-encoded (%3Csetting%20id%3E).
func showPlaceholders(u string) string {
	parts := strings.Split(u, "/")
	for i, seg := range parts {
		if p, err := url.PathUnescape(seg); err == nil && len(p) > 2 && p[0] == '<' && p[len(p)-1] == '>' {
			parts[i] = p
		}
	}
	return strings.Join(parts, "/")
}

func (e *Env) planCCID() string {
	if e.CCID() != "" {
		return e.CCID()
	}
	return phCCID
}

// CheckAll runs the read-only checks of the selected steps, to tell which are
// already done before anything changes (the wizard's plan screen). Steps
// without a check, and checks that fail, report "".
func CheckAll(ctx context.Context, e *Env, sel Selection) map[string]Status {
	out := map[string]Status{}
	for _, st := range sel.Steps {
		if st.Skip != nil && st.Skip(e.In) != "" {
			out[st.ID] = StatusSkipped
			continue
		}
		if !st.HasCheck() {
			continue
		}
		if done, _, err := st.CheckDone(ctx, e); err == nil && done {
			out[st.ID] = StatusAlreadyDone
		}
	}
	return out
}
