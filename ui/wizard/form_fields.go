package wizard

import (
	"fmt"
	"slices"
	"strings"

	huh "charm.land/huh/v2"

	"github.com/nexus-onboard/nexus-onboard/clients/redact"
	"github.com/nexus-onboard/nexus-onboard/steps"
)

// Fields of the form: one huh field per input of the schema, with its
// validation, its help and where its pre-filled value came from.

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
		policy := steps.HTTPPolicy{Loopback: *f.bools[steps.KeyAllowHTTP], Hosts: steps.SplitHosts(*f.strs[steps.KeyHTTPHosts])}
		if err := steps.ValidateValueWith(in, v, policy); err != nil {
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
