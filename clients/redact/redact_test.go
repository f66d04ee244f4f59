package redact

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestStringMasksEveryForm(t *testing.T) {
	secret := `p@ss w"rd/+=\x`
	r := New()
	r.Add(secret)
	for name, form := range map[string]string{
		"plain":     secret,
		"query":     url.QueryEscape(secret),
		"path":      url.PathEscape(secret),
		"json":      `p@ss w\"rd/+=\\x`,
		"base64":    base64.StdEncoding.EncodeToString([]byte(secret)),
		"base64url": base64.RawURLEncoding.EncodeToString([]byte(secret)),
	} {
		got := r.String("before " + form + " after")
		if strings.Contains(got, form) || got != "before "+Mask+" after" {
			t.Errorf("%s: got %q", name, got)
		}
	}
}

func TestShortValuesOnlyMaskedByField(t *testing.T) {
	r := New()
	r.Add("ops", "")
	if got := r.String("/auth/v3/ops/clients"); got != "/auth/v3/ops/clients" {
		t.Fatalf("short value masked in path: %q", got)
	}
	got := string(r.JSON([]byte(`{"password":"ops","user":"ops"}`)))
	if !strings.Contains(got, `"password":"****"`) || !strings.Contains(got, `"user":"ops"`) {
		t.Fatalf("JSON: %q", got)
	}
}

func TestLongestSecretFirst(t *testing.T) {
	r := New()
	r.Add("abcd", "abcdefgh")
	if got := r.String("xabcdefghx"); got != "x"+Mask+"x" {
		t.Fatalf("got %q", got)
	}
}

func TestJSONSensitiveKeys(t *testing.T) {
	var r *Redactor // nil still masks by key
	in := `{"data":{"accessTokenExpirationTimeout":43200,"token_type":"bearer","client_secret":"s3","access_token":"t","xapikey":"k","name":"n","secret":{},"list":[{"password":"p"}],"n":43200}}`
	got := string(r.JSON([]byte(in)))
	for _, leak := range []string{`"s3"`, `"t"`, `"k"`, `"p"`} {
		if strings.Contains(got, leak) {
			t.Errorf("leak %s in %s", leak, got)
		}
	}
	for _, keep := range []string{`"accessTokenExpirationTimeout":43200`, `"token_type":"bearer"`, `"name":"n"`, `"secret":{}`, `"n":43200`} {
		if !strings.Contains(got, keep) {
			t.Errorf("lost %s in %s", keep, got)
		}
	}
	if got := string(r.JSON([]byte("not json"))); got != "not json" {
		t.Errorf("non-JSON changed: %q", got)
	}
}

func TestFormURLHeader(t *testing.T) {
	r := New()
	r.Add("hunter22")
	form := r.Form(`username=cc%5Cnexus&password=hunter22&grant_type=password&client_secret=zzz`)
	if strings.Contains(form, "hunter22") || strings.Contains(form, "zzz") || !strings.Contains(form, "grant_type=password") {
		t.Errorf("form: %q", form)
	}
	u := r.URL("https://a.example/auth/v3/oauth/token?grant_type=client_credentials&client_secret=zzz&scope=*")
	if strings.Contains(u, "zzz") || !strings.Contains(u, "scope=*") {
		t.Errorf("url: %q", u)
	}
	dsn := r.URL("postgres://nexus:pw%2Fx@db:5432/nexus?sslmode=disable")
	if strings.Contains(dsn, "pw") || !strings.Contains(dsn, "nexus:****@db") {
		t.Errorf("dsn: %q", dsn)
	}
	h := http.Header{}
	h.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte("ops:x")))
	h.Set("X-Api-Key", "k")
	h.Set("X-Ccid", "cc")
	m := r.Header(h)
	if m.Get("Authorization") != "Basic "+Mask || m.Get("X-Api-Key") != Mask || m.Get("X-Ccid") != "cc" {
		t.Errorf("header: %v", m)
	}
	if h.Get("X-Api-Key") != "k" {
		t.Error("Header modified its input")
	}
}
