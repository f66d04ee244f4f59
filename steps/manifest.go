package steps

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Manifest is a batch of tenants read from one YAML file (a public
// contract, see README "Many tenants: batch"):
//
//	defaults:            # any input key, as in a config file
//	  auth_url: https://auth.example.com
//	  gws_admin_password_env: OPS_PASSWORD
//	tenants:             # one input map per tenant
//	  - cc_id: 578ec98e-…
//	    tenant_name: t1
//	    tenant_user: nexus
//	    tenant_password_file: /run/secrets/t1
//
// A tenant's inputs are, highest first: its own map > the NEXUS_ONBOARD_*
// environment > the defaults > the schema's default. Secrets may be given
// as <key>_env or <key>_file in both parts; a secret in clear is refused
// when the file is readable by group or others.
type Manifest struct {
	Path     string
	Defaults map[string]string   // secret references resolved
	Tenants  []map[string]string // each tenant's own values, references resolved
}

// ManifestRequired are the inputs every tenant of a manifest must have:
// its contact center (state and lock are per contact center; no discovery
// in a batch), its tenant name, user and password.
var ManifestRequired = []string{KeyCCID, KeyTenantName, KeyTenantUser, KeyTenantPass}

// maxManifestSize bounds the manifest read (thousands of tenants fit).
const maxManifestSize = 16 << 20

// TenantPart names a tenant's problems: "tenants[3]".
func TenantPart(i int) string { return fmt.Sprintf("tenants[%d]", i) }

// LoadManifest reads and checks a manifest; secret references are read
// from environ and files. Every problem is returned, each named with the
// part of the file it is in (defaults, tenants[i]); no value is quoted.
func LoadManifest(path string, environ []string) (*Manifest, Problems) {
	data, err := readCapped(path, maxManifestSize)
	if err != nil {
		return nil, Problems{{Key: "manifest", Msg: fmt.Sprintf("cannot read %s: %v", path, unwrapPathError(err))}}
	}
	root, p := manifestRoot(data)
	if p != nil {
		return nil, Problems{*p}
	}
	var mode os.FileMode
	if fi, err := os.Stat(path); err == nil {
		mode = fi.Mode().Perm()
	}
	m := &Manifest{Path: path, Defaults: map[string]string{}}
	var problems Problems
	seenTenants := false
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		switch k.Value {
		case "defaults":
			if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
				continue
			}
			if v.Kind != yaml.MappingNode {
				problems = append(problems, Problem{Key: "defaults", Msg: fmt.Sprintf("line %d: must be a mapping of input keys, not %s", v.Line, nodeKind(v))})
				continue
			}
			vals, ps := manifestPart(v, mode, path, environ)
			m.Defaults = vals
			problems = append(problems, prefixed("defaults", ps)...)
		case "tenants":
			seenTenants = true
			if v.Kind != yaml.SequenceNode {
				problems = append(problems, Problem{Key: "tenants", Msg: fmt.Sprintf("line %d: must be a list of input maps (- cc_id: …), not %s", v.Line, nodeKind(v))})
				continue
			}
			for j, tn := range v.Content {
				if tn.Kind != yaml.MappingNode {
					problems = append(problems, Problem{Key: TenantPart(j), Msg: fmt.Sprintf("line %d: must be a mapping of input keys, not %s", tn.Line, nodeKind(tn))})
					m.Tenants = append(m.Tenants, map[string]string{})
					continue
				}
				vals, ps := manifestPart(tn, mode, path, environ)
				m.Tenants = append(m.Tenants, vals)
				problems = append(problems, prefixed(TenantPart(j), ps)...)
			}
		default:
			problems = append(problems, Problem{Key: shownKey(k.Value), Msg: fmt.Sprintf("line %d: unknown key: a manifest has defaults: and tenants:", k.Line)})
		}
	}
	if !seenTenants || len(m.Tenants) == 0 {
		problems = append(problems, Problem{Key: "tenants", Msg: "no tenants: list them under tenants: (- cc_id: …)"})
	}
	return m, problems
}

// manifestRoot is the top mapping of a manifest, or why there is none.
func manifestRoot(data []byte) (*yaml.Node, *Problem) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &Problem{Key: "manifest", Msg: "is empty: it needs defaults: and tenants:"}
		}
		return nil, &Problem{Key: "manifest", Msg: "not valid YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	var more yaml.Node
	if err := dec.Decode(&more); !errors.Is(err, io.EOF) && (err != nil || !isNullDoc(&more)) {
		return nil, &Problem{Key: "manifest", Msg: "holds more than one YAML document (a second --- line)"}
	}
	if isNullDoc(&doc) || doc.Content[0].Kind != yaml.MappingNode {
		return nil, &Problem{Key: "manifest", Msg: "must be a mapping with defaults: and tenants:"}
	}
	return doc.Content[0], nil
}

// manifestPart reads the defaults or one tenant: a clear secret in a file
// group or others can read is refused; references are resolved.
func manifestPart(n *yaml.Node, mode os.FileMode, path string, environ []string) (map[string]string, Problems) {
	vals, refs, problems := parseMapping(n)
	if mode&0o077 != 0 {
		for _, in := range Inputs {
			if k := clearSecret(map[string]string{in.Key: vals[in.Key]}); k != "" {
				problems = append(problems, Problem{Key: k, Msg: fmt.Sprintf("a secret in clear in a manifest readable by group or others (mode %04o): give it as %s_env or %s_file, or run chmod 600 %s", mode, k, k, path)})
				delete(vals, k)
			}
		}
	}
	problems = append(problems, resolveRefs(vals, refs, environ)...)
	return vals, problems
}

// prefixed names each problem's key within part: "tenants[2].cc_id".
func prefixed(part string, ps Problems) Problems {
	out := make(Problems, len(ps))
	for i, p := range ps {
		key := p.Key
		if key == "config" {
			key = ""
		}
		out[i] = Problem{Key: strings.TrimSuffix(part+"."+key, "."), Msg: p.Msg}
	}
	return out
}

// TenantInputs resolves and validates every tenant's inputs for the whole
// procedure: its own map > environment > defaults > schema default.
// forPlan leaves secrets unrequired (a plan masks them). Two tenants of one
// contact center are a problem (they would share a state and a lock).
func (m *Manifest) TenantInputs(environ []string, forPlan bool) ([]Values, Problems) {
	var problems Problems
	out := make([]Values, len(m.Tenants))
	firstOf := map[string]int{}
	for i, own := range m.Tenants {
		vals, _, ps := Load(Sources{Environ: environ, Config: m.Defaults, Tenant: own})
		out[i] = vals
		sel, _ := Select(nil, nil, vals)
		required := append(sel.Required(vals), ManifestRequired...)
		if forPlan {
			required = slices.DeleteFunc(required, func(k string) bool { in, _ := LookupInput(k); return in.Secret() })
		}
		ps = append(ps, Validate(vals, required)...)
		if cc := vals.Get(KeyCCID); cc != "" {
			if j, dup := firstOf[cc]; dup {
				ps = append(ps, Problem{Key: KeyCCID, Msg: fmt.Sprintf("the contact center of %s too: one tenant per contact center", TenantPart(j))})
			} else {
				firstOf[cc] = i
			}
		}
		problems = append(problems, prefixed(TenantPart(i), ps)...)
	}
	return out, problems
}

// ReadManifest is LoadManifest then TenantInputs: every problem of the
// file and of each tenant's inputs, at once. An input already named by a
// problem of the file (a reference that could not be read, say) is not
// reported missing as well.
func ReadManifest(path string, environ []string, forPlan bool) ([]Values, Problems) {
	m, problems := LoadManifest(path, environ)
	if m == nil {
		return nil, problems
	}
	vals, more := m.TenantInputs(environ, forPlan)
	named := map[string]bool{}
	for _, p := range problems {
		named[strings.TrimSuffix(strings.TrimSuffix(p.Key, RefEnv), RefFile)] = true
	}
	for _, p := range more {
		if !named[p.Key] {
			problems = append(problems, p)
		}
	}
	return vals, problems
}
