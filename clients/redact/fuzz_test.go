package redact

// Fuzz targets of the redactor: whatever the text around it, a registered
// secret never survives String, JSON, Form, URL or Header in any form it can
// travel in, and no input makes them panic.

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// travelForms lists, independently of the package's own list, the forms a
// secret can travel in: plain, URL-encoded (query and path), JSON-escaped
// and base64 (standard and URL alphabets, with and without padding).
func travelForms(secret string) map[string]string {
	js, _ := json.Marshal(secret)
	b := []byte(secret)
	return map[string]string{
		"plain":        secret,
		"query":        url.QueryEscape(secret),
		"path":         url.PathEscape(secret),
		"json":         string(js[1 : len(js)-1]),
		"base64":       base64.StdEncoding.EncodeToString(b),
		"base64raw":    base64.RawStdEncoding.EncodeToString(b),
		"base64url":    base64.URLEncoding.EncodeToString(b),
		"base64rawurl": base64.RawURLEncoding.EncodeToString(b),
	}
}

// checkable reports whether a surviving form would be a real leak. A form
// that starts or ends with "*" or holds "****" can be spelt by the Mask
// itself and the text around it ("x" + Mask holds "x***"), so its presence
// proves nothing.
func checkable(form string) bool {
	return len(form) >= minLen && !strings.HasPrefix(form, "*") && !strings.HasSuffix(form, "*") && !strings.Contains(form, Mask)
}

// assertNoForm fails when out holds a form of secret.
func assertNoForm(t *testing.T, what, secret, out string) {
	t.Helper()
	if len(secret) < minLen {
		return
	}
	for name, form := range travelForms(secret) {
		if checkable(form) && strings.Contains(out, form) {
			t.Errorf("%s: the %s form %q of the secret survives in %q", what, name, form, out)
		}
	}
}

var secretSeeds = []string{
	`p@ss w"rd/+=\x`, "hunter22", "Zq8-client-secret-Xy", "9b7682b7-cbce-422f-900b-ecda85e61695",
	"a@b;c d", "ü-пароль-密码", "x<y>&z", "line1\nline2\ttab", "%41%zz", "abab", "pa**word", "\x00\xff\xfe",
}

func FuzzString(f *testing.F) {
	for _, s := range secretSeeds {
		for name, form := range travelForms(s) {
			f.Add(s, "before "+name+":", form, " after")
		}
	}
	f.Fuzz(func(t *testing.T, secret, before, form, after string) {
		r := New()
		r.Add(secret)
		for name, fm := range travelForms(secret) {
			out := r.String(before + fm + after)
			assertNoForm(t, "String with the "+name+" form", secret, out)
		}
		assertNoForm(t, "String", secret, r.String(before+form+after))
		if r.Known(before+form+after) != (r.String(before+form+after) != before+form+after) {
			t.Error("Known disagrees with String")
		}
	})
}

func FuzzJSON(f *testing.F) {
	for _, s := range secretSeeds {
		js, _ := json.Marshal(s)
		f.Add(s, `{"data":{"client_secret":`+string(js)+`,"name":"n","list":[`+string(js)+`,1.5e300],"secret":{}}}`)
		f.Add(s, `{"status":{"code":1,"message":"bad value `+strings.Trim(string(js), `"`)+`"}}`)
		f.Add(s, `["`+base64.StdEncoding.EncodeToString([]byte(s))+`", {"`+strings.Trim(string(js), `"`)+`": null}]`)
	}
	f.Add("hunter22", `{"a":"\u0068unter22"}`)
	f.Add("hunter22", `{"a": "hunter22"`)
	f.Add("hunter22", "  [1, 2, {\"password\": \"x\"}] trailing")
	f.Fuzz(func(t *testing.T, secret, body string) {
		r := New()
		r.Add(secret)
		out := string(r.JSON([]byte(body)))
		assertNoForm(t, "JSON", secret, out)
		// A nil redactor still masks sensitive fields, and never panics.
		_ = (*Redactor)(nil).JSON([]byte(body))
	})
}

func FuzzForm(f *testing.F) {
	for _, s := range secretSeeds {
		q := url.QueryEscape(s)
		f.Add(s, "username=cc%5Cnexus&password="+q+"&grant_type=password&client_secret="+q)
		f.Add(s, "a="+url.PathEscape(s)+"&&=&b&"+q+"=x")
	}
	f.Add("hunter22", "pass%zzword=hunter22&%70assword=x")
	f.Fuzz(func(t *testing.T, secret, body string) {
		r := New()
		r.Add(secret)
		out := r.Form(body)
		assertNoForm(t, "Form", secret, out)
		// Every field whose name is sensitive is masked whatever its value.
		for _, part := range strings.Split(out, "&") {
			k, v, found := strings.Cut(part, "=")
			if key, err := url.QueryUnescape(k); err == nil && found && IsSensitiveKey(key) && v != Mask {
				t.Errorf("Form left sensitive field %q = %q in %q", key, v, out)
			}
		}
	})
}

func FuzzURL(f *testing.F) {
	for _, s := range secretSeeds {
		q, p := url.QueryEscape(s), url.PathEscape(s)
		f.Add(s, "https://auth.example/auth/v3/oauth/token?grant_type=client_credentials&client_secret="+q+"&scope=*")
		f.Add(s, "postgres://nexus:"+q+"@db:5432/nexus?sslmode=disable")
		f.Add(s, "https://"+q+"@h/"+p+"/x?k="+q+"#"+p)
		f.Add(s, "https://h/"+s+"?"+s+"#"+s)
	}
	f.Add("a@b;c d", "https://a%40b;c%20d@h/")
	f.Add("a b;c", "https://h/a b;c")
	f.Add("hunter22", "://hunter22")
	f.Fuzz(func(t *testing.T, secret, raw string) {
		r := New()
		r.Add(secret)
		out := r.URL(raw)
		assertNoForm(t, "URL", secret, out)
		// Nor in an encoding of its own making: the parts url.String
		// re-encodes (user info, path, fragment) never decode to the secret.
		// The query is passed on as written, so its forms above suffice.
		if u, err := url.Parse(out); err == nil && len(secret) >= minLen && checkable(secret) {
			parts := []string{u.Path, u.Fragment}
			if u.User != nil {
				p, _ := u.User.Password()
				parts = append(parts, u.User.Username(), p)
			}
			for _, part := range parts {
				if strings.Contains(part, secret) {
					t.Errorf("URL %q decodes to a part %q holding the secret", out, part)
				}
			}
		}
		// A parsed password never shows, known or not.
		if u, err := url.Parse(raw); err == nil && u.User != nil {
			if p, ok := u.User.Password(); ok && len(p) >= minLen && checkable(p) && !strings.Contains(strings.Replace(raw, ":"+p+"@", ":@", 1), p) {
				if strings.Contains(out, p) {
					t.Errorf("URL shows the password %q: %q", p, out)
				}
			}
		}
	})
}

func FuzzHeader(f *testing.F) {
	for _, s := range secretSeeds {
		f.Add(s, "Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte("ops:"+s)))
		f.Add(s, "X-Api-Key", s)
		f.Add(s, "X-Note", "the key is "+s)
		f.Add(s, "set-cookie", "session="+url.QueryEscape(s))
	}
	f.Add("hunter22", "Authorization", "hunter22 and more")
	f.Fuzz(func(t *testing.T, secret, name, value string) {
		r := New()
		r.Add(secret)
		h := http.Header{name: {value, value + " again"}}
		out := r.Header(h)
		if h[name][0] != value {
			t.Fatal("Header changed its input")
		}
		if len(out[name]) != 2 {
			t.Fatalf("Header lost values: %v", out)
		}
		for _, v := range out[name] {
			assertNoForm(t, "Header "+name, secret, v)
		}
		// A sensitive header shows at most its scheme ("Basic ****").
		ck := http.CanonicalHeaderKey(name)
		if ck == "Authorization" || ck == "Cookie" || ck == "X-Api-Key" || IsSensitiveKey(name) {
			for _, v := range out[name] {
				if v != Mask && !strings.HasSuffix(v, " "+Mask) {
					t.Errorf("sensitive header %s shows %q", name, v)
				}
			}
		}
	})
}
