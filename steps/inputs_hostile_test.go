package steps_test

// Values that passed validation and then went wrong: a db_url whose
// password holds a raw reserved character (pgx then reads part of the
// password as the host, and the DNS error shows it), and a client_id that
// is not one path segment (GET /auth/v3/ops/clients/..).

import (
	"net/url"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/nexus-onboard/nexus-onboard/clients/redact"
	"github.com/nexus-onboard/nexus-onboard/steps"
)

// stSubstrings3 lists every substring of s of at least 3 bytes.
func stSubstrings3(s string) []string {
	var out []string
	for i := 0; i < len(s); i++ {
		for j := i + 3; j <= len(s); j++ {
			out = append(out, s[i:j])
		}
	}
	return out
}

// Passwords with raw reserved characters; none shares a 3-byte substring
// with the messages' fixed text.
var rawReservedPasswords = []string{
	"Zq9x@Kw7v",    // the reported case: pgx reads host "Kw7v@127.0.0.1"
	"p@ss@Wq8z",    // two raw @
	"Qz7/Vx3k",     // a raw /
	"Jx4?Kq9z",     // a raw ?
	"Wz5#Qx8v",     // a raw #
	"Vq2:Zx7k:Jw3", // a second :
	"Kx9%zzQ1",     // a % that is no escape
	"Yq4@/Zx?J#8",  // all of them
}

func TestDSNWithRawReservedCharactersIsRefused(t *testing.T) {
	in, _ := steps.LookupInput(steps.KeyDBURL)
	for _, pw := range rawReservedPasswords {
		for _, dsn := range []string{
			"postgres://nexus:" + pw + "@127.0.0.1:5432/nexus",
			"postgresql://nexus:" + pw + "@nexus-db.internal/nexus?sslmode=disable",
		} {
			err := steps.ValidateValue(in, dsn, false)
			if err == nil {
				t.Errorf("%s accepted", dsn)
				continue
			}
			msg := err.Error()
			if !strings.Contains(msg, "%40") || !strings.Contains(msg, "%3A") || !strings.Contains(msg, "%2F") {
				t.Errorf("%s: the refusal does not say how to percent-encode: %s", dsn, msg)
			}
			for _, sub := range stSubstrings3(pw) {
				if strings.Contains(msg, sub) {
					t.Errorf("%s: the refusal quotes %q of the password: %s", dsn, sub, msg)
				}
			}
			vs := steps.NewValues()
			vs.Set(steps.KeyDBURL, dsn, steps.FromFlag)
			ps := steps.Validate(vs, nil)
			if len(ps) != 1 || ps[0].Key != steps.KeyDBURL {
				t.Errorf("%s: problems %v", dsn, ps)
			}
			// Nothing of it is saved: where the password ends is unknown.
			if saved, ok := vs.NonSecret()[steps.KeyDBURL]; ok {
				for _, sub := range stSubstrings3(pw) {
					if strings.Contains(saved, sub) {
						t.Errorf("NonSecret keeps %q of the password: %s", sub, saved)
					}
				}
			}
		}
		// Percent-encoded, the same password is accepted and arrives whole.
		enc := "postgres://" + url.UserPassword("nexus", pw).String() + "@127.0.0.1:5432/nexus"
		if err := steps.ValidateValue(in, enc, false); err != nil {
			t.Errorf("%s refused: %v", enc, err)
		} else if cfg, err := pgconn.ParseConfig(enc); err != nil || cfg.Password != pw || cfg.Host != "127.0.0.1" || cfg.User != "nexus" {
			t.Errorf("%s: pgx reads %v %v", enc, cfg, err)
		}
	}
}

// The redactor knows every fragment a parser could take for the host, so
// that even pgx's "lookup <host>: no such host" shows none of the password.
func TestDSNFragmentsAreRedacted(t *testing.T) {
	for _, pw := range rawReservedPasswords {
		dsn := "postgres://nexus:" + pw + "@127.0.0.1:5432/nexus"
		vs := steps.NewValues()
		vs.Set(steps.KeyDBURL, dsn, steps.FromFlag)
		r := redact.New()
		r.Add(vs.SecretValues()...)
		texts := []string{"connect " + dsn}
		if cfg, err := pgconn.ParseConfig(dsn); err == nil {
			texts = append(texts, "lookup "+cfg.Host+": no such host", "password authentication failed for user "+cfg.User, cfg.Password)
		} else {
			texts = append(texts, err.Error())
		}
		for _, text := range texts {
			got := r.String(text)
			for _, sub := range stSubstrings3(pw) {
				if len(sub) >= 4 && strings.Contains(got, sub) {
					t.Errorf("%s: %q redacted to %q still shows %q", dsn, text, got, sub)
				}
			}
		}
	}
}

// Query passwords and ordinary DSNs keep working.
func TestDSNValidationKeepsGoodURLs(t *testing.T) {
	in, _ := steps.LookupInput(steps.KeyDBURL)
	for _, dsn := range []string{
		"postgres://nexus@nexus-db.internal:5432/nexus",
		"postgres://nexus:Simple-pass_1@nexus-db.internal:5432/nexus?sslmode=require",
		"postgresql://nexus:p%40ss%3Aw%2Fo%3Fr%23d%25@[::1]:5432/nexus",
		"postgres://db.internal/nexus?password=x%26y&sslmode=disable",
		"postgres://nexus@db/nexus?application_name=me@work",
	} {
		if err := steps.ValidateValue(in, dsn, false); err != nil {
			t.Errorf("%s refused: %v", dsn, err)
		}
	}
	for _, dsn := range []string{
		"postgres://h1:5432,h2:5432/nexus",         // several hosts
		"postgres://nexus@db/nexus?host=elsewhere", // pgx would go elsewhere
		"postgres://db?application_name=a@b",       // libpq reads "db?application_name=a" as user info
		"POSTGRES://nexus@db/nexus",                // pgx reads only lower case as a URL
		"postgres://nexus:pw@db/nexus#frag",
	} {
		if err := steps.ValidateValue(in, dsn, false); err == nil {
			t.Errorf("%s accepted", dsn)
		}
	}
}

func TestClientIDMustBeOnePathSegment(t *testing.T) {
	in, _ := steps.LookupInput(steps.KeyClientID)
	for _, id := range []string{".", "..", "a/b", `a\b`, "a?b", "a#b", "a%2Fb", "nexus client", "a\tb", "a\u00a0b", "a\u200bb", "nexus:client"} {
		err := steps.ValidateValue(in, id, false)
		if err == nil {
			t.Errorf("client_id %q accepted", id)
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, "nexus_client") && !strings.Contains(msg, `":"`) && !strings.Contains(msg, "control characters") {
			t.Errorf("client_id %q: the refusal does not say what is allowed: %s", id, msg)
		}
	}
	for _, id := range []string{"nexus_client", "nexus-client.2", `nexus'client";--`, "nexus_clïent_名前", "a.b", "..."} {
		if err := steps.ValidateValue(in, id, false); err != nil {
			t.Errorf("client_id %q refused: %v", id, err)
		}
	}
}
