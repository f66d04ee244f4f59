package steps

import (
	"fmt"

	"strings"
)

// Forms a secret input may take in a config file or a batch manifest
// instead of its clear value: <key>_env names an environment variable,
// <key>_file a file (a mounted Kubernetes Secret, say) whose content,
// trailing newlines trimmed, is the value. They are a public contract.
const (
	RefEnv  = "_env"
	RefFile = "_file"
)

// HoldsSecret reports whether an input's value is or holds a secret: a
// password or key, or a database URL (its password).
func (in Input) HoldsSecret() bool { return in.Secret() || in.Kind == DSN }

// SecretRef reads a config key as a reference to a secret input:
// "tenant_password_env" → (tenant_password input, true). ok is false for
// any other key, and for a reference to an input that holds no secret.
func SecretRef(key string) (Input, bool) {
	for _, suffix := range []string{RefEnv, RefFile} {
		if base, ok := strings.CutSuffix(key, suffix); ok {
			if in, ok := LookupInput(base); ok && in.HoldsSecret() {
				return in, true
			}
		}
	}
	return Input{}, false
}

// clearSecret is the first input key of vals (in schema order) whose value
// is a secret written in clear: a password or key, or a database URL with
// a password. "" when none.
func clearSecret(vals map[string]string) string {
	for _, in := range Inputs {
		if v := vals[in.Key]; v != "" && (in.Secret() || in.Kind == DSN && len(dsnPasswords(v)) > 0) {
			return in.Key
		}
	}
	return ""
}

// resolveRefs puts in vals the value each reference of refs points to,
// read from environ or from a file. A key given twice (clear and by
// reference, or by both references) is a problem naming both forms, and
// gets no value. No message quotes a value read.
func resolveRefs(vals, refs map[string]string, environ []string) Problems {
	var problems Problems
	for _, in := range Inputs {
		envKey, fileKey := in.Key+RefEnv, in.Key+RefFile
		envName, byEnv := refs[envKey]
		path, byFile := refs[fileKey]
		_, clear := vals[in.Key]
		switch {
		case !byEnv && !byFile:
			continue
		case byEnv && byFile:
			problems = append(problems, Problem{Key: in.Key, Msg: fmt.Sprintf("given both as %s and %s: keep one", envKey, fileKey)})
			delete(vals, in.Key)
			continue
		case clear:
			other := envKey
			if byFile {
				other = fileKey
			}
			problems = append(problems, Problem{Key: in.Key, Msg: fmt.Sprintf("given both as %s and %s: keep one (the reference keeps the secret out of the file)", in.Key, other)})
			delete(vals, in.Key)
			continue
		case byEnv:
			name := strings.TrimSpace(envName)
			if name == "" {
				problems = append(problems, Problem{Key: envKey, Msg: "names no environment variable"})
				continue
			}
			v, ok := lookupEnv(environ, name)
			if !ok || v == "" {
				problems = append(problems, Problem{Key: envKey, Msg: fmt.Sprintf("the environment variable %s is not set (or empty): export it, or give %s another way", name, in.Key)})
				continue
			}
			vals[in.Key] = v
		default:
			p := strings.TrimSpace(path)
			if p == "" {
				problems = append(problems, Problem{Key: fileKey, Msg: "names no file"})
				continue
			}
			data, err := readCapped(p, maxConfigSize)
			if err != nil {
				problems = append(problems, Problem{Key: fileKey, Msg: fmt.Sprintf("cannot read %s: %v", p, unwrapPathError(err))})
				continue
			}
			v := strings.TrimRight(string(data), "\r\n")
			if v == "" {
				problems = append(problems, Problem{Key: fileKey, Msg: fmt.Sprintf("%s is empty", p)})
				continue
			}
			vals[in.Key] = v
		}
	}
	return problems
}

// lookupEnv finds a variable in an environment list (the last one wins,
// as in os.Getenv).
func lookupEnv(environ []string, name string) (string, bool) {
	val, found := "", false
	for _, kv := range environ {
		if v, ok := strings.CutPrefix(kv, name+"="); ok {
			val, found = v, true
		}
	}
	return val, found
}
