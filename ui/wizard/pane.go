package wizard

import (
	"strings"

	"charm.land/bubbles/v2/viewport"
	"github.com/charmbracelet/x/ansi"
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

// listPane is a list of rows beside (from wideWidth columns) or above the
// preview of the highlighted row: the layout of the plan, the run and the
// step menu.
type listPane struct {
	pane
	wide  bool // side by side
	listW int  // the list's width
	w, h  int  // the body's size
}

// place lays out the list and the preview for a w×h body: side by side
// (the list listW wide) from wideWidth columns, else the preview below the
// list's rows and chrome lines.
func (l *listPane) place(w, h, listW, rows, chrome int) {
	l.w, l.h = w, h
	if w >= wideWidth {
		l.pane.setSize(w-listW-3, h-2)
		l.wide, l.listW = true, listW
		return
	}
	l.pane.setSize(w, h-rows-chrome)
	l.wide, l.listW = false, w
}

// render draws the list (its rows, one a line) and the preview.
func (l *listPane) render(list string) string {
	if l.wide {
		return sideBySide(list, l.pane.view(), l.listW, l.h-2, stDim.Render(" │ "))
	}
	return list + stDim.Render(strings.Repeat("─", l.w)) + "\n" + l.pane.view()
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
