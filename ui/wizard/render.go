package wizard

import (
	"regexp"
	"sort"
	"strings"

	"charm.land/lipgloss/v2"

	"github.com/nexus-onboard/nexus-onboard/steps"
)

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

// recordLines renders a finished step: outcome, warning, outputs.
func recordLines(rec *steps.Record) []styled {
	var out []styled
	switch {
	case rec.Error != "":
		out = append(out, styled{text: symFail + " " + rec.Error, style: &stFail})
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
		out = append(out, styled{text: symWarn + " " + rec.Warning, style: &stWarn})
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
