package wizard

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	huh "charm.land/huh/v2"

	"github.com/nexus-onboard/nexus-onboard/clients/gws"
	"github.com/nexus-onboard/nexus-onboard/clients/redact"
	"github.com/nexus-onboard/nexus-onboard/steps"
)

// The form: one huh form per page, so the wizard decides where each page
// leads (contact center discovery before the Tenant page, a page or a field
// to return to after a failed check) and Esc goes back a page.

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

// discovery is the answer of one contact center lookup.
type discovery struct {
	ccs []gws.ContactCenter
	err string
}

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

type (
	pageDoneMsg struct {
		gen int
		err error
	}
	discoveredMsg struct {
		key string
		d   discovery
	}
)

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

// maskDSN replaces the password of a database URL with the mask, so the
// form never shows it; it returns the password as written (still escaped).
func maskDSN(dsn string) (string, string) {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return dsn, ""
	}
	if _, has := u.User.Password(); !has {
		return dsn, ""
	}
	scheme := strings.Index(dsn, "://")
	at := strings.LastIndex(dsn, "@")
	if scheme < 0 || at < scheme {
		return dsn, ""
	}
	colon := strings.Index(dsn[scheme+3:at], ":")
	if colon < 0 {
		return dsn, ""
	}
	colon += scheme + 3
	return dsn[:colon+1] + redact.Mask + dsn[at:], dsn[colon+1 : at]
}

// maskDSNs hides a database password typed on the page just left, should
// the user come back to it.
func (f *formScreen) maskDSNs() {
	for _, in := range f.pages[f.page].inputs {
		if in.Kind != steps.DSN {
			continue
		}
		if masked, pass := maskDSN(*f.strs[in.Key]); pass != "" && pass != redact.Mask {
			*f.strs[in.Key], f.dsnPass[in.Key] = masked, pass
		}
	}
}

// unmaskDSN puts the password back when the mask is still in place.
func unmaskDSN(v, pass string) string {
	if pass == "" {
		return v
	}
	return strings.Replace(v, ":"+redact.Mask+"@", ":"+pass+"@", 1)
}

// normalize trims what people paste around values; secrets are kept as typed.
func normalize(in steps.Input, v string) string {
	if in.Secret() {
		return v
	}
	v = strings.TrimSpace(v)
	if in.Kind == steps.URL {
		v = strings.TrimRight(v, "/")
	}
	return v
}

func (f *formScreen) validator(in steps.Input) func(string) error {
	return func(v string) error {
		v = normalize(in, v)
		if v == "" {
			if f.accessible && f.keep[in.Key] != "" {
				return nil // the plain prompts keep the value on an empty answer
			}
			if slices.Contains(f.required(f.values()), in.Key) {
				return fmt.Errorf("%s is needed by the selected steps", in.Label)
			}
			return nil
		}
		if err := steps.ValidateValue(in, v, *f.bools[steps.KeyAllowHTTP]); err != nil {
			return fmt.Errorf("%s: %w", in.Label, err)
		}
		return nil
	}
}

// edited reports whether the field no longer holds its pre-filled value:
// then the value is the user's, and "(from the config file)" would lie.
func (f *formScreen) edited(in steps.Input) bool {
	p, ok := f.strs[in.Key]
	if !ok || p == nil {
		return false
	}
	v := normalize(in, *p)
	if in.Kind == steps.DSN {
		v = unmaskDSN(v, f.dsnPass[in.Key])
	}
	return v != f.base.Get(in.Key)
}

// describe is the field's help, with where a pre-filled value came from.
func (f *formScreen) describe(in steps.Input) string {
	d := in.Help
	if f.base.Get(in.Key) != "" && !f.edited(in) {
		switch src := f.base.Source(in.Key); src {
		case steps.FromConfig, steps.FromEnv, steps.FromFlag, steps.FromSaved:
			d += " (from the " + string(src) + ")"
		}
	}
	if f.dsnPass[in.Key] != "" {
		d += " Its password shows as " + redact.Mask + ": keep it, or type the whole URL anew."
	}
	return d
}

// title is the field's title; the plain prompts of accessible mode show
// no description and no value, so there it carries both.
func (f *formScreen) title(in steps.Input) string {
	if !f.accessible {
		return in.Label
	}
	t := in.Label + "\n  " + strings.Join(wrap(f.describe(in), 76), "\n  ")
	switch v := f.keep[in.Key]; {
	case in.Kind == steps.Bool:
	case v != "" && in.Secret():
		t += "\n  Press enter to keep the value already given."
	case v != "":
		t += "\n  Press enter to keep: " + v
	}
	return t + "\n" + in.Label + ":"
}

func (f *formScreen) field(in steps.Input) huh.Field {
	if in.Kind == steps.Bool {
		return yesNo(in.Key, f.title(in), f.describe(in), "No", "Yes", f.bools[in.Key])
	}
	if in.Key == steps.KeyCCID {
		if d, ok := f.disc[f.discKey()]; ok && d.err == "" {
			return f.ccSelect(in, d)
		}
	}
	fi := huh.NewInput().Key(in.Key).Title(f.title(in)).Description(f.describe(in)).
		Value(f.strs[in.Key]).Validate(f.validator(in))
	if !f.accessible {
		// update keeps the description in step with the value, so "(from
		// the config file)" leaves as the user types another value.
		f.inputs[in.Key] = fi
		f.described[in.Key] = f.describe(in)
	}
	if in.Example != "" {
		// "e.g." because a placeholder looks like a value once colour is gone.
		fi = fi.Placeholder("e.g. " + in.Example)
	}
	if in.Secret() {
		fi = fi.EchoMode(huh.EchoModePassword)
	}
	return fi
}

// noteText escapes what huh's notes would read as markdown: ca_file must
// not turn into an italic "cafile".
func noteText(s string) string {
	return strings.NewReplacer(`\`, `\\`, "_", `\_`, "*", `\*`, "`", "\\`").Replace(s)
}

// yesNo is a two-option select rather than huh's Confirm: its "›" cursor
// stays visible without colour (NO_COLOR, TERM=dumb), the buttons do not.
func yesNo(key, title, desc, no, yes string, v *bool) huh.Field {
	return huh.NewSelect[bool]().Key(key).Title(title).Description(desc).
		Options(huh.NewOption(no, false), huh.NewOption(yes, true)).Value(v)
}

// ccSelect lists the discovered contact centers; a given id that GWS does
// not list stays selectable, so preflight can say what is wrong with it.
func (f *formScreen) ccSelect(in steps.Input, d discovery) huh.Field {
	cur := *f.strs[in.Key]
	var opts []huh.Option[string]
	found := false
	for _, cc := range d.ccs {
		label := cc.ID
		if len(cc.Domains) > 0 {
			label += "  " + strings.Join(cc.Domains, ", ")
		}
		if strings.EqualFold(cc.ID, cur) {
			found = true
			cur = cc.ID
		}
		opts = append(opts, huh.NewOption(label, cc.ID))
	}
	if cur != "" && !found {
		opts = append([]huh.Option[string]{huh.NewOption(cur+"  (given, but GWS does not list it)", cur)}, opts...)
	}
	*f.strs[in.Key] = cur
	desc := fmt.Sprintf("%s listed by %s: pick the one to enable.", steps.Plural(len(d.ccs), "contact center"), *f.strs[steps.KeyAuthURL])
	title := in.Label
	if f.accessible {
		title += "\n  " + desc
	}
	return huh.NewSelect[string]().Key(in.Key).Title(title).Description(desc).
		Options(opts...).Value(f.strs[in.Key]).Height(min(len(opts), 6) + 2)
}

// discKey identifies the credentials a discovery used.
func (f *formScreen) discKey() string {
	return strings.Join([]string{*f.strs[steps.KeyAuthURL], *f.strs[steps.KeyAdminUser], *f.strs[steps.KeyAdminPassword],
		*f.strs[steps.KeyCAFile], strconv.FormatBool(*f.bools[steps.KeyInsecure])}, "\x00")
}

// discover lists the contact centers with the credentials typed so far.
func (f *formScreen) discover(ctx context.Context) tea.Cmd {
	k := f.discKey()
	vals := f.values()
	f.discURL = vals.Get(steps.KeyAuthURL)
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	f.discCancel = cancel
	f.discovering = true
	return func() tea.Msg {
		defer cancel()
		env, err := steps.NewEnv(vals, steps.Options{})
		if err != nil {
			return discoveredMsg{key: k, d: discovery{err: err.Error()}}
		}
		defer env.Close()
		ccs, err := steps.DiscoverContactCenters(ctx, env)
		if err != nil {
			return discoveredMsg{key: k, d: discovery{err: env.Redactor.Error(err)}}
		}
		return discoveredMsg{key: k, d: discovery{ccs: ccs}}
	}
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
			if strings.Contains(d.err, "ca_file") {
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
		lines = append(lines, wrap("✗ "+err.Error(), f.width)...)
	}
	if len(lines) > errorLines {
		lines = append(lines[:errorLines-1], "✗ …and more on this page")
	}
	return lines
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

// --- the model's side -------------------------------------------------------

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

// Keys typed faster than huh moves between fields (a paste, tmux, a fast
// typist: huh moves focus through a command round trip) are held and
// replayed once the move is done, so no character lands in the field just
// left. The same holds while a page is being built (discovery).

// holding reports whether keys must wait.
func (f *formScreen) holding() bool {
	if f.navFrom != nil && (f.form == nil || f.form.GetFocusedField() != f.navFrom ||
		f.form.State != huh.StateNormal || time.Since(f.navAt) > 300*time.Millisecond) {
		// The move happened (or never will: a field refused the value).
		f.navFrom = nil
	}
	return f.form == nil || f.discovering || f.navFrom != nil || (f.form != nil && f.form.State != huh.StateNormal)
}

func (f *formScreen) formKey(km tea.KeyPressMsg) tea.Cmd {
	m := f.sh
	if f.holding() {
		f.queued = append(f.queued, km)
		return nil
	}
	if key.Matches(km, m.keys.FormBack) {
		return f.prevPage()
	}
	before := f.form.GetFocusedField()
	cmd := f.update(km)
	if cmd != nil && f.form.GetFocusedField() == before && key.Matches(km, m.keys.FormNext, m.keys.FormPrev) {
		f.navFrom, f.navAt = before, time.Now()
	}
	return cmd
}

// flushKeys replays held keys once the form takes them again; keys held
// when the form is left are dropped.
func (f *formScreen) flushKeys() tea.Cmd {
	if f.sh.leaving() {
		f.queued = nil
		return nil
	}
	var cmds []tea.Cmd
	for len(f.queued) > 0 && !f.holding() {
		k := f.queued[0]
		f.queued = f.queued[1:]
		cmds = append(cmds, f.formKey(k))
		if f.sh.leaving() {
			f.queued = nil
			break
		}
	}
	return tea.Batch(cmds...)
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

// accessibleForm runs one page as huh's plain prompts on the terminal,
// with the Bubble Tea program paused (tea.Exec).
type accessibleForm struct {
	ctx        context.Context
	form       *huh.Form
	title      string
	accessible bool
	in         io.Reader
	out        io.Writer
}

func (a *accessibleForm) SetStdin(r io.Reader)  { a.in = r }
func (a *accessibleForm) SetStdout(w io.Writer) { a.out = w }
func (a *accessibleForm) SetStderr(io.Writer)   {}

// Run asks the page's questions. Ctrl+C in these plain prompts is a
// signal, not a key: it cancels ctx, and Run returns at once (the process
// is about to end; the prompt's read is abandoned).
func (a *accessibleForm) Run() error {
	fmt.Fprintf(a.out, "\n%s (Ctrl+C quits)\n\n", a.title)
	done := make(chan error, 1)
	go func() { done <- a.form.WithAccessible(a.accessible).WithInput(a.in).WithOutput(a.out).Run() }()
	ctx := a.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}
