package wizard

import (
	"context"
	"fmt"
	"slices"
	"strings"

	tea "charm.land/bubbletea/v2"
	huh "charm.land/huh/v2"

	"github.com/nexus-onboard/nexus-onboard/steps"
)

// Pages of the form: how the schema is grouped into pages, which pages
// show, how one is built as a huh form, and moving between them.

const advancedPage = "Advanced"

// confirmAdvanced is the key of the "change advanced settings?" question.
const confirmAdvanced = "_advanced"

type formPage struct {
	title  string
	inputs []steps.Input
}

// formPages groups the schema: the main groups in schema order, and the
// inputs marked Advanced on a page of their own, right after Endpoints
// (the CA file and TLS settings matter as soon as the tool connects: the
// Tenant page discovers contact centers), shown only on request.
func formPages() []formPage {
	groups := []string{steps.GroupEndpoints, advancedPage, steps.GroupCredentials, steps.GroupTenant, steps.GroupDatabase}
	pages := make([]formPage, len(groups))
	for i, g := range groups {
		pages[i].title = g
	}
	for _, in := range steps.Inputs {
		g := in.Group
		if in.Advanced {
			g = advancedPage
		}
		i := slices.Index(groups, g)
		pages[i].inputs = append(pages[i].inputs, in)
	}
	return pages
}

func formPagesIndex(key string) int {
	for i, p := range formPages() {
		for _, in := range p.inputs {
			if in.Key == key {
				return i
			}
		}
	}
	return 0
}

// pageOf returns the page holding an input, -1 for none.
func (f *formScreen) pageOf(key string) int {
	for i, p := range f.pages {
		for _, in := range p.inputs {
			if in.Key == key {
				return i
			}
		}
	}
	return -1
}

// visible reports whether the user goes through page i.
func (f *formScreen) visible(i int) bool {
	return f.pages[i].title != advancedPage || f.advanced
}

// visiblePages is how many pages the user goes through.
func (f *formScreen) visiblePages() int {
	n := 0
	for i := range f.pages {
		if f.visible(i) {
			n++
		}
	}
	return n
}

// number is page i's number as the user counts them.
func (f *formScreen) number(i int) int {
	n := 0
	for j := 0; j <= i; j++ {
		if f.visible(j) {
			n++
		}
	}
	return n
}

// step returns the next (dir 1) or previous (dir -1) page shown, -1 for none.
func (f *formScreen) step(dir int) int {
	for i := f.page + dir; i >= 0 && i < len(f.pages); i += dir {
		if f.visible(i) {
			return i
		}
	}
	return -1
}

// lastPage is the index of the last page shown.
func (f *formScreen) lastPage() int {
	for i := len(f.pages) - 1; i > 0; i-- {
		if f.visible(i) {
			return i
		}
	}
	return 0
}

// open shows a page, focusing the field key when given. The Tenant page
// first discovers the contact centers.
func (f *formScreen) open(ctx context.Context, page int, focus string) tea.Cmd {
	f.ctx = ctx
	f.page = page
	f.gen++
	f.form = nil
	f.navFrom = nil
	if f.pages[page].title == steps.GroupTenant {
		if _, ok := f.disc[f.discKey()]; !ok {
			return f.discover(ctx)
		}
	}
	return f.build(focus)
}

func (f *formScreen) build(focus string) tea.Cmd {
	form, focusIdx := f.pageForm(focus)
	gen := f.gen
	if f.accessible {
		return tea.Exec(&accessibleForm{ctx: f.ctx, form: form, title: f.pageTitle(), accessible: true},
			func(err error) tea.Msg { return pageDoneMsg{gen: gen, err: err} })
	}
	f.form = form
	f.SetSize(f.width, f.height)
	cmds := []tea.Cmd{form.Init()}
	for i := 0; i < focusIdx; i++ {
		cmds = append(cmds, form.NextField())
	}
	return tea.Batch(cmds...)
}

// pageForm builds the huh form of the current page and the index of the
// field to focus.
func (f *formScreen) pageForm(focus string) (*huh.Form, int) {
	p := f.pages[f.page]
	var fields []huh.Field
	f.keep = map[string]string{}
	f.inputs, f.described = map[string]*huh.Input{}, map[string]string{}
	if p.title == steps.GroupTenant {
		if d, ok := f.disc[f.discKey()]; ok && d.err != "" {
			hint := "Type the ID below, or press esc to go back and fix the Auth URL or the ops credentials."
			if d.fix == steps.FixCAFile {
				hint = "Type the ID below, or go back (esc) to the Endpoints page and choose “Change them (next page)” under the TLS settings to give the Extra CA file."
			}
			fields = append(fields, huh.NewNote().Title("Could not list the contact centers").Description(noteText(d.err+"\n"+hint)))
		}
	}
	focusIdx := 0
	for _, in := range p.inputs {
		if in.Key == focus {
			focusIdx = len(fields)
		}
		if f.accessible && in.Kind != steps.Bool {
			f.keep[in.Key] = *f.strs[in.Key]
		}
		fields = append(fields, f.field(in))
	}
	if p.title == steps.GroupEndpoints {
		title, desc := "TLS and advanced settings", "Extra CA file (when a private CA signed the cluster's certificates), TLS verification, http on loopback, auth client id."
		if f.accessible {
			title += "\n  " + desc
		}
		fields = append(fields, yesNo(confirmAdvanced, title, desc, "Keep the defaults", "Change them (next page)", &f.advanced))
	}
	gen := f.gen
	form := huh.NewForm(huh.NewGroup(fields...)).
		WithTheme(huh.ThemeFunc(huh.ThemeBase16)).
		WithKeyMap(huhKeyMap()).
		WithShowHelp(false).
		WithShowErrors(false) // drawn by view, in lines kept free for them
	form.SubmitCmd = func() tea.Msg { return pageDoneMsg{gen: gen} }
	return form, focusIdx
}

func (f *formScreen) pageTitle() string {
	return fmt.Sprintf("Page %d of %d: %s", f.number(f.page), f.visiblePages(), f.pages[f.page].title)
}

func (f *formScreen) nextPage() tea.Cmd {
	m := f.sh
	f.notice, f.intro = "", ""
	m.clearNotice()
	if next := f.step(1); next >= 0 {
		return f.open(m.ctx, next, "")
	}
	return f.submitForm()
}

func (f *formScreen) prevPage() tea.Cmd {
	m := f.sh
	if f.discovering {
		f.discCancel()
		f.discovering = false
	}
	if f.page == 0 {
		if m.state != nil && len(m.state.Steps) > 0 {
			return m.goTo(goMenuMsg{})
		}
		m.setNotice(noticeInfo, "This is the first page; ctrl+c quits.")
		return nil
	}
	f.notice = ""
	return f.open(m.ctx, max(f.step(-1), 0), "")
}

// submitForm takes the values and validates them all at once; the first
// problem sends the user back to its field.
func (f *formScreen) submitForm() tea.Cmd {
	m := f.sh
	vals := f.values()
	sel, err := steps.Select(m.only, nil, vals)
	if err != nil {
		m.setNotice(noticeErr, "%s", err.Error())
		return nil
	}
	if ps := steps.Validate(vals, sel.Required(vals)); len(ps) > 0 {
		var lines []string
		for _, p := range ps {
			lines = append(lines, p.Error())
		}
		f.notice = strings.Join(lines, "; ")
		page := f.pageOf(ps[0].Key)
		if page < 0 {
			page = 0
		}
		if f.pages[page].title == advancedPage {
			f.advanced = true
		}
		return f.open(m.ctx, page, ps[0].Key)
	}
	m.vals = vals
	f.base = vals
	if m.env != nil && !m.runActive {
		m.env.Close()
		m.env = nil
	}
	return m.goTo(goPreflightMsg{})
}
