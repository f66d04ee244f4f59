package wizard

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	huh "charm.land/huh/v2"

	"github.com/nexus-onboard/nexus-onboard/clients/gws"
	"github.com/nexus-onboard/nexus-onboard/steps"
)

// Contact center discovery: before the Tenant page the form asks GWS
// for the contact centers the ops credentials see, and offers them as a
// list.

// discovery is the answer of one contact center lookup.
type discovery struct {
	ccs []gws.ContactCenter
	err string
	fix steps.Fix // what repairs err (a CA file), typed: never read from its text
}

// discoveredMsg brings the answer of a discovery, keyed by the credentials it used.
type discoveredMsg struct {
	key string
	d   discovery
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
			return discoveredMsg{key: k, d: discovery{err: env.Redactor.Error(err), fix: steps.FixOf(err)}}
		}
		return discoveredMsg{key: k, d: discovery{ccs: ccs}}
	}
}
