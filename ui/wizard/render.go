package wizard

import (
	"fmt"
	"sort"
	"strings"

	"charm.land/bubbles/v2/viewport"
	"charm.land/lipgloss/v2"

	"github.com/nexus-onboard/nexus-onboard/clients/httpx"
	"github.com/nexus-onboard/nexus-onboard/steps"
)

// pane is a scrollable text area whose wrapped lines are cached: the text is
// built and wrapped again only when its identity (key) or the width changes,
// in Update — never in View, which only slices the visible lines.
type pane struct {
	vp    viewport.Model
	key   string
	width int
}

// place lays out a step list and this pane for a w×h body: side by side
// (list listW wide) from wideWidth columns, else the pane below the list's
// rows and chrome lines. It returns whether the layout is wide and the
// list's width.
func (p *pane) place(w, h, listW, rows, chrome int) (bool, int) {
	if w >= wideWidth {
		p.setSize(w-listW-3, h-2)
		return true, listW
	}
	p.setSize(w, h-rows-chrome)
	return false, w
}

func newPane() pane {
	vp := viewport.New()
	// The screens route keys themselves: ↑/↓ move through lists.
	vp.KeyMap = viewport.KeyMap{}
	return pane{vp: vp}
}

func (p *pane) setSize(w, h int) {
	w, h = max(w, 10), max(h, 1)
	if w != p.width {
		p.key = "" // wrap again at the new width
	}
	p.width = w
	p.vp.SetWidth(w)
	p.vp.SetHeight(h)
}

// show sets the content named key; build runs only when it changed. With
// follow, a pane that was at the bottom stays there as content grows.
func (p *pane) show(key string, build func(w int) []string, follow bool) {
	if key == p.key {
		return
	}
	sameDoc := p.key != "" && docOf(p.key) == docOf(key)
	atBottom := p.vp.AtBottom()
	off := p.vp.YOffset()
	p.key = key
	p.vp.SetContentLines(build(p.width))
	switch {
	case sameDoc && follow && atBottom:
		p.vp.GotoBottom()
	case sameDoc:
		p.vp.SetYOffset(off)
	default:
		p.vp.GotoTop()
	}
}

func (p *pane) view() string { return p.vp.View() }

// docOf is the document part of a pane key "doc#version": a new version of
// the same document keeps the scroll position.
func docOf(key string) string {
	doc, _, _ := strings.Cut(key, "#")
	return doc
}

// styled is one logical line and how to paint it once wrapped.
type styled struct {
	text  string
	style *lipgloss.Style
}

// wrapStyled wraps each line to w cells and paints the pieces.
func wrapStyled(lines []styled, w int) []string {
	out := make([]string, 0, len(lines))
	for _, l := range lines {
		for _, piece := range wrap(l.text, w) {
			if l.style != nil {
				piece = l.style.Render(piece)
			}
			out = append(out, piece)
		}
	}
	return out
}

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

// exchangeLines renders one HTTP exchange, already redacted by httpx.
// requestLines renders the request half of an exchange.
func requestLines(x *httpx.Exchange) []styled {
	out := []styled{{text: fmt.Sprintf("→ %s %s", x.Method, x.URL), style: &stBold}}
	out = append(out, httpHeaderLines(x.RequestHeader)...)
	if x.RequestBody != "" {
		out = append(out, bodyLines(x.RequestBody)...)
	}
	return out
}

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
	out = append(out, styled{text: fmt.Sprintf("← %d %s  (%s%s)", x.Status, httpStatusText(x.Status), fmtDur(x.Duration), attempt), style: st})
	if x.ResponseBody != "" {
		out = append(out, bodyLines(x.ResponseBody)...)
	}
	return out
}

func httpStatusText(code int) string {
	switch code {
	case 200:
		return "OK"
	case 201:
		return "Created"
	case 204:
		return "No Content"
	case 400:
		return "Bad Request"
	case 401:
		return "Unauthorized"
	case 403:
		return "Forbidden"
	case 404:
		return "Not Found"
	case 409:
		return "Conflict"
	case 500:
		return "Internal Server Error"
	case 502:
		return "Bad Gateway"
	case 503:
		return "Service Unavailable"
	case 504:
		return "Gateway Timeout"
	}
	return ""
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

// recordLines renders a finished step: outcome, warning, outputs.
func recordLines(rec *steps.Record) []styled {
	var out []styled
	switch {
	case rec.Error != "":
		out = append(out, styled{text: "✗ " + rec.Error, style: &stFail})
	case rec.Message != "":
		st := &stOK
		if rec.Status == steps.StatusManual {
			st = &stWarn
		}
		out = append(out, styled{text: symbol(rec.Status) + " " + rec.Message, style: st})
	default:
		out = append(out, styled{text: statusWord(rec.Status)})
	}
	if rec.Warning != "" {
		out = append(out, styled{text: "⚠ " + rec.Warning, style: &stWarn})
	}
	keys := make([]string, 0, len(rec.Outputs))
	for k := range rec.Outputs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := rec.Outputs[k]
		if strings.Contains(v, "\n") {
			out = append(out, styled{text: k + ":", style: &stBold})
			for _, l := range strings.Split(v, "\n") {
				out = append(out, styled{text: "  " + l})
			}
			continue
		}
		out = append(out, styled{text: k + ": " + v})
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
