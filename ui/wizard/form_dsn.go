package wizard

import (
	"net/url"
	"strings"

	"github.com/nexus-onboard/nexus-onboard/clients/redact"
	"github.com/nexus-onboard/nexus-onboard/steps"
)

// A database URL's password never shows in the form: its field holds the
// URL with the password masked, and the password is put back on submit.

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
