package nexusdb

import (
	"fmt"
	"strings"

	"github.com/nexus-onboard/nexus-onboard/clients/secrets"
)

// ManualCheckSQL returns a read-only psql script that tells whether the
// nex_gapis row for (url, clientID) holds the client secret kept in the
// keyring entry keyringAccount, for an administrator who cannot reach the
// database from this machine. Like ManualSQL it never contains the secret:
// psql reads it with secret-tool, and prints only "yes" or "no" per row.
func ManualCheckSQL(url, clientID, keyringAccount string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `-- nexus-onboard doctor: is GWS registered in %[1]s with the current client secret?
-- Read-only. Run it with psql on the machine whose keyring holds the secret:
--   psql "postgres://USER@HOST:5432/DATABASE" -f nex_gapis_check.sql
-- Expect one row with secret_matches = t. No row, or f: run the register-gws fix.
\encoding UTF8
\set ON_ERROR_STOP on
`, Table)
	for _, v := range []struct{ name, value string }{
		{"url", url},
		{"clientid", clientID},
		{"account", keyringAccount},
	} {
		fmt.Fprintf(&b, "\\set %s %s\n", v.name, psqlQuote(v.value))
	}
	fmt.Fprintf(&b, "\\set clientsecret `secret-tool lookup service %s username :'account'`\n", secrets.Service)
	b.WriteString(`SELECT url, clientid, clientsecret = :'clientsecret' AS secret_matches, created
  FROM nex_gapis WHERE url = :'url' AND clientid = :'clientid';
`)
	return b.String()
}
