package wizard

import (
	"fmt"
	"sort"
	"strings"

	"net/http"

	"github.com/nexus-onboard/nexus-onboard/clients/httpx"
	"github.com/nexus-onboard/nexus-onboard/steps"
)

// The HTTP exchange as the previews show it: the request, its headers and
// body, the answer with its status and time, bodies pretty and cut.

// Limits of what a preview shows of one body; the report has it all.
const (
	previewBodyLines = 150
	previewBodyBytes = 24 << 10
	prettyLimit      = httpx.MaxRecordedBody
)

// indentPrefix indents the first limit bytes of a JSON text, two spaces a
// level like httpx.Pretty, without parsing the rest. Text that is not JSON
// is only cut. cut reports whether anything was left out.
func indentPrefix(s string, limit int) (string, bool) {
	cut := len(s) > limit
	if cut {
		s = s[:limit]
	}
	t := strings.TrimSpace(s)
	if t == "" || (t[0] != '{' && t[0] != '[') {
		return s, cut
	}
	var b strings.Builder
	depth, inStr, esc := 0, false, false
	newline := func() {
		b.WriteByte('\n')
		b.WriteString(strings.Repeat("  ", max(depth, 0)))
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		switch {
		case inStr:
			b.WriteByte(c)
			switch {
			case esc:
				esc = false
			case c == '\\':
				esc = true
			case c == '"':
				inStr = false
			}
		case c == '"':
			inStr = true
			b.WriteByte(c)
		case c == '{' || c == '[':
			b.WriteByte(c)
			if j := i + 1 + len(t[i+1:]) - len(strings.TrimLeft(t[i+1:], " \n\t\r")); j < len(t) && (t[j] == '}' || t[j] == ']') {
				b.WriteByte(t[j]) // empty: {} and [] stay on one line
				i = j
				continue
			}
			depth++
			newline()
		case c == '}' || c == ']':
			depth--
			newline()
			b.WriteByte(c)
		case c == ',':
			b.WriteByte(c)
			newline()
		case c == ':':
			b.WriteString(": ")
		case c == ' ' || c == '\n' || c == '\t' || c == '\r':
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), cut
}

// bodyLines renders a body for the preview: pretty JSON, cut with a note
// when long. Bodies beyond what httpx records are indented only as far as
// they are shown, so a huge answer costs no more than a small one.
func bodyLines(body string) []styled {
	var pretty string
	cut := false
	if len(body) <= prettyLimit {
		pretty = httpx.Pretty(body)
	} else {
		pretty, cut = indentPrefix(body, previewBodyBytes)
	}
	if len(pretty) > previewBodyBytes {
		pretty = pretty[:previewBodyBytes]
		if i := strings.LastIndexByte(pretty, '\n'); i > 0 {
			pretty = pretty[:i]
		}
		cut = true
	}
	lines := strings.Split(strings.TrimRight(pretty, "\n"), "\n")
	if len(lines) > previewBodyLines {
		lines = lines[:previewBodyLines]
		cut = true
	}
	out := make([]styled, 0, len(lines)+1)
	for _, l := range lines {
		out = append(out, styled{text: "  " + l})
	}
	if cut {
		out = append(out, styled{text: fmt.Sprintf("  … body of %s cut here; export the report (x on the summary) for the whole exchange", byteSize(len(body))), style: &stWarn})
	}
	return out
}

func byteSize(n int) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// requestLines renders the request half of an exchange.
func requestLines(x *httpx.Exchange) []styled {
	out := []styled{{text: fmt.Sprintf("→ %s %s", x.Method, x.URL), style: &stBold}}
	out = append(out, httpHeaderLines(x.RequestHeader)...)
	if x.RequestBody != "" {
		out = append(out, bodyLines(x.RequestBody)...)
	}
	return out
}

// exchangeLines renders one HTTP exchange, already redacted by httpx. The
// status reads as net/http names it.
func exchangeLines(x *httpx.Exchange) []styled {
	out := requestLines(x)
	attempt := ""
	if x.Attempt > 1 {
		attempt = fmt.Sprintf(", attempt %d", x.Attempt)
	}
	if x.Status == 0 {
		out = append(out, styled{text: fmt.Sprintf("← no answer after %s%s: %s", fmtDur(x.Duration), attempt, x.Error), style: &stFail})
		return out
	}
	st := &stOK
	if x.Status >= 400 {
		st = &stFail
	}
	out = append(out, styled{text: fmt.Sprintf("← %d %s  (%s%s)", x.Status, http.StatusText(x.Status), fmtDur(x.Duration), attempt), style: st})
	if x.ResponseBody != "" {
		out = append(out, bodyLines(x.ResponseBody)...)
	}
	return out
}

func httpHeaderLines(h map[string][]string) []styled {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]styled, 0, len(keys))
	for _, k := range keys {
		out = append(out, styled{text: "  " + k + ": " + strings.Join(h[k], ", "), style: &stDim})
	}
	return out
}

// transcriptLines renders a saved record's exchanges.
func transcriptLines(rec *steps.Record) []styled {
	var out []styled
	for i := range rec.Transcript {
		out = append(out, styled{})
		out = append(out, exchangeLines(&rec.Transcript[i])...)
	}
	return out
}
