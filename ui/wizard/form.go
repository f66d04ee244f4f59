package wizard

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	huh "charm.land/huh/v2"

	"github.com/nexus-onboard/nexus-onboard/steps"
)

// The form: one huh form per page, so the wizard decides where each page
// leads (contact center discovery before the Tenant page, a page or a field
// to return to after a failed check) and Esc goes back a page.

type formScreen struct {
	sh       *session
	pages    []formPage
	page     int
	strs     map[string]*string
	bools    map[string]*bool
	advanced bool
	base     steps.Values // the values the form opened with
	required func(steps.Values) []string
	form     *huh.Form
	gen      int
	width    int
	height   int
	notice   string
	// contact center discovery, cached by the credentials it used
	discovering bool
	discCancel  context.CancelFunc
	disc        map[string]discovery
	discURL     string
	// secrets the accessible prompts may leave empty to keep
	keep       map[string]string
	accessible bool
	// dsnPass holds the password of a database URL, shown as **** in its field
	dsnPass map[string]string
	ctx     context.Context // the program's, for the accessible prompts
	intro   string          // a first word for the user, until the first page is done
	// keys held while huh moves focus or a page is built
	queued  []tea.KeyPressMsg
	navFrom huh.Field
	navAt   time.Time
	// inputs are the page's text fields and described what each shows as
	// its description: update refreshes it as the value changes (huh's
	// DescriptionFunc would read the value from another goroutine).
	inputs    map[string]*huh.Input
	described map[string]string
}

// refreshMsg makes huh lay out a page again after a description changed.
type refreshMsg struct{}

// pageDoneMsg: the page's form was submitted (or its plain prompts ended).
type pageDoneMsg struct {
	gen int
	err error
}

func newFormScreen(vals steps.Values, required func(steps.Values) []string, accessible bool) *formScreen {
	f := &formScreen{
		pages:      formPages(),
		strs:       map[string]*string{},
		bools:      map[string]*bool{},
		base:       vals,
		required:   required,
		disc:       map[string]discovery{},
		accessible: accessible,
		dsnPass:    map[string]string{},
	}
	for _, in := range steps.Inputs {
		v := vals.Get(in.Key)
		if in.Kind == steps.DSN {
			v, f.dsnPass[in.Key] = maskDSN(v)
		}
		if in.Kind == steps.Bool {
			b := vals.Bool(in.Key)
			f.bools[in.Key] = &b
			continue
		}
		f.strs[in.Key] = &v
	}
	return f
}

// values returns base with what the user changed, marked as from the form.
func (f *formScreen) values() steps.Values {
	out := f.base.Clone()
	for _, in := range steps.Inputs {
		if in.Kind == steps.Bool {
			b := *f.bools[in.Key]
			if b != out.Bool(in.Key) {
				out.Set(in.Key, strconv.FormatBool(b), steps.FromUser)
			}
			continue
		}
		v := normalize(in, *f.strs[in.Key])
		if in.Kind == steps.DSN {
			v = unmaskDSN(v, f.dsnPass[in.Key])
		}
		if v != out.Get(in.Key) {
			out.Set(in.Key, v, steps.FromUser)
		}
	}
	return out
}

func (f *formScreen) takesText()    {}
func (f *formScreen) Busy() bool    { return f.discovering }
func (f *formScreen) Crumb() string { return "Inputs" }

func (f *formScreen) Keys() helpKeys {
	k := f.sh.keys
	return helpKeys{
		short: []key.Binding{k.FormNext, k.FormPrev, k.FormBack, k.FormHelp, k.FormQuit},
		full:  [][]key.Binding{{k.FormNext, k.FormPrev, k.FormBack}, {k.FormPick}, {k.FormHelp, k.FormQuit}},
	}
}

// Update feeds the page's form and takes what comes back: a page done,
// contact centers discovered.
func (f *formScreen) Update(msg tea.Msg) tea.Cmd {
	m := f.sh
	if km, ok := msg.(tea.KeyPressMsg); ok {
		return f.formKey(km)
	}
	var cmd tea.Cmd
	switch msg := msg.(type) {
	case discoveredMsg:
		f.disc[msg.key] = msg.d
		if f.discovering && msg.key == f.discKey() {
			f.discovering = false
			f.discCancel = nil
			cmd = f.build("")
		}
	case pageDoneMsg:
		switch {
		case msg.gen != f.gen:
		case m.ctx.Err() != nil:
			return m.goTo(quitMsg{})
		case msg.err != nil:
			f.notice = "The prompts stopped: " + msg.err.Error()
			cmd = f.open(m.ctx, f.page, "")
		default:
			if f.accessible {
				for k, v := range f.keep {
					if *f.strs[k] == "" {
						*f.strs[k] = v
					}
				}
			}
			f.maskDSNs()
			cmd = f.nextPage()
		}
	default:
		cmd = f.update(msg)
	}
	return tea.Batch(cmd, f.flushKeys())
}

// update feeds the page's form; its submission comes back as pageDoneMsg.
func (f *formScreen) update(msg tea.Msg) tea.Cmd {
	if f.form == nil {
		return nil
	}
	fm, cmd := f.form.Update(msg)
	if hf, ok := fm.(*huh.Form); ok {
		f.form = hf
	}
	changed := false
	for key, fi := range f.inputs {
		in, _ := steps.LookupInput(key)
		if d := f.describe(in); d != f.described[key] {
			f.described[key] = d
			fi.Description(d)
			changed = true
		}
	}
	if changed {
		if fm, _ := f.form.Update(refreshMsg{}); fm != nil {
			if hf, ok := fm.(*huh.Form); ok {
				f.form = hf
			}
		}
	}
	return cmd
}

func (f *formScreen) SetSize(w, h int) {
	f.width, f.height = w, h
	if f.form == nil || w == 0 {
		return
	}
	f.form.WithWidth(min(w, 100))
	f.form.WithHeight(max(h-f.chromeLines(), 5))
}

// errorLines are kept free under the form for its validation messages.
const errorLines = 2

// chromeLines is what the screen draws around the form.
func (f *formScreen) chromeLines() int {
	n := 2 + errorLines
	for _, s := range []string{f.notice, f.intro} {
		if s != "" {
			n += len(wrap(s, f.width))
		}
	}
	return n
}

// fieldErrors are the page's validation messages, at most errorLines.
func (f *formScreen) fieldErrors() []string {
	if f.form == nil {
		return nil
	}
	var lines []string
	for _, err := range f.form.Errors() {
		lines = append(lines, wrap(symFail+" "+err.Error(), f.width)...)
	}
	if len(lines) > errorLines {
		lines = append(lines[:errorLines-1], symFail+" …and more on this page")
	}
	return lines
}

func (f *formScreen) View() string {
	var b strings.Builder
	var crumbs []string
	for i := range f.pages {
		if !f.visible(i) {
			continue
		}
		name := fmt.Sprintf("%d %s", f.number(i), f.pages[i].title)
		if i == f.page {
			crumbs = append(crumbs, crumbOn(name))
		} else {
			crumbs = append(crumbs, stCrumb.Render(name))
		}
	}
	b.WriteString(strings.Join(crumbs, stCrumb.Render(" · ")))
	b.WriteString("\n")
	if f.notice != "" {
		b.WriteString(stFail.Render(strings.Join(wrap(f.notice, f.width), "\n")))
		b.WriteString("\n")
	}
	if f.intro != "" {
		b.WriteString(stBadge.Render(strings.Join(wrap(f.intro, f.width), "\n")))
		b.WriteString("\n")
	}
	b.WriteString("\n")
	switch {
	case f.discovering:
		b.WriteString("  Asking " + f.discURL + " for its contact centers…")
	case f.form != nil:
		b.WriteString(fit(f.form.View(), f.width, max(f.height-f.chromeLines(), 5)))
		if errs := f.fieldErrors(); len(errs) > 0 {
			b.WriteString("\n" + stFail.Render(strings.Join(errs, "\n")))
		}
	}
	return b.String()
}
