package wizard

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"charm.land/bubbles/v2/viewport"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

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
	// long: the content lines wider than the pane (commands, which never
	// wrap), by index: the view marks where they are cut, and ←/→ pan.
	long map[int]int
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
	lines := build(p.width)
	p.long = nil
	for i, l := range lines {
		if lw := ansi.StringWidth(l); lw > p.width {
			if p.long == nil {
				p.long = map[int]int{}
			}
			p.long[i] = lw
		}
	}
	if p.long == nil {
		p.vp.SetXOffset(0)
	}
	p.vp.SetContentLines(lines)
	switch {
	case sameDoc && follow && atBottom:
		p.vp.GotoBottom()
	case sameDoc:
		p.vp.SetYOffset(off)
	default:
		p.vp.GotoTop()
	}
}

// view is the visible part; a line cut at either edge ends (or starts)
// with an arrow, so a half-shown command is never taken for a whole one.
func (p *pane) view() string {
	v := p.vp.View()
	if len(p.long) == 0 {
		return v
	}
	lines := strings.Split(v, "\n")
	x, y := p.vp.XOffset(), p.vp.YOffset()
	for i, l := range lines {
		lw, ok := p.long[y+i]
		if !ok {
			continue
		}
		if lw-x > p.width {
			l = ansi.Truncate(l, p.width-1, "") + stDim.Render("→")
		}
		if x > 0 {
			l = stDim.Render("←") + ansi.TruncateLeft(l, 1, "")
		}
		lines[i] = l
	}
	return strings.Join(lines, "\n")
}

// clipped reports whether a line is cut at the pane's edge: ←/→ pan.
func (p *pane) clipped() bool { return len(p.long) > 0 }

// pan scrolls the pane sideways by a quarter of its width.
func (p *pane) pan(right bool) {
	if !p.clipped() {
		return
	}
	n := max(p.width/4, 4)
	if right {
		p.vp.ScrollRight(n)
	} else {
		p.vp.ScrollLeft(n)
	}
}

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
	// noWrap: a command (or SQL) meant for copy-paste, never broken across
	// lines: wider than the pane, it is cut with a marker and pans (←/→).
	noWrap bool
}

// wrapStyled wraps each line to w cells and paints the pieces. A command
// inside a message goes whole on a line of its own (splitCommands).
func wrapStyled(lines []styled, w int) []string {
	out := make([]string, 0, len(lines))
	for _, line := range lines {
		for _, l := range splitCommands(line) {
			pieces := []string{l.text}
			if !l.noWrap {
				pieces = wrap(l.text, w)
			}
			for _, piece := range pieces {
				if l.style != nil {
					piece = l.style.Render(piece)
				}
				out = append(out, piece)
			}
		}
	}
	return out
}

// commandRe finds the start of a command line suggested inside a message.
var commandRe = regexp.MustCompile(`\b(?:nexus-onboard (?:run|secrets|reset|plan|steps|sandbox|inputs|doctor|rotate|batch)|secret-tool (?:lookup|clear|store|search)|apt-get install|dbus-run-session --|security unlock-keychain|cmdkey /list|psql) `)

// commandEnd is where a command that no parenthesis encloses ends: at a
// "; " or " (" outside quotes (the next command, or prose about it), else
// at the end of the text.
func commandEnd(s string) int {
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == ';' && i+1 < len(s) && s[i+1] == ' ':
			return i
		case c == ' ' && i+1 < len(s) && s[i+1] == '(':
			return i
		}
	}
	return len(s)
}

// splitCommands lifts each command out of a message onto a line of its
// own, noWrap and indented two more than the message; the prose before
// and after stays as wrapped text. A command runs to the closing
// parenthesis or backquote that encloses it, else to the end.
func splitCommands(l styled) []styled {
	if l.noWrap {
		return []styled{l}
	}
	loc := commandRe.FindStringIndex(l.text)
	if loc == nil {
		return []styled{l}
	}
	indent := strings.Repeat(" ", len(l.text)-len(strings.TrimLeft(l.text, " ")))
	start := loc[0]
	end := start + commandEnd(l.text[start:])
	rest := l.text[end:]
	if start > 0 {
		if c := l.text[start-1]; c == '(' || c == '`' {
			closer := ")"
			if c == '`' {
				closer = "`"
			}
			if j := strings.Index(l.text[start:], closer); j >= 0 {
				end = start + j
				rest = strings.TrimSpace(l.text[end+1:])
			}
		}
	}
	cmd := strings.TrimRight(l.text[start:end], " .;,")
	var out []styled
	if before := strings.TrimRight(l.text[:start], " (`"); strings.TrimSpace(before) != "" {
		if !strings.HasSuffix(before, ":") {
			before += ":"
		}
		out = append(out, styled{text: before, style: l.style})
	}
	out = append(out, styled{text: indent + "  " + cmd, style: l.style, noWrap: true})
	if rest = strings.TrimLeft(rest, ".,; "); rest != "" {
		out = append(out, splitCommands(styled{text: indent + rest, style: l.style})...)
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
				out = append(out, styled{text: "  " + l, noWrap: true})
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
