package nexusdb

import (
	"fmt"
	"strings"

	"github.com/nexus-onboard/nexus-onboard/clients/secrets"
)

// ManualSQL returns a psql script that makes the same change as EnsureGapi,
// for an administrator who cannot reach the database from this machine.
//
// The script does not contain the client secret: psql reads it at run time
// from the OS keyring entry keyringAccount (see secrets.Account) with
// secret-tool. Every value goes through a psql variable, so psql quotes it
// as a literal; the script is idempotent, and stops without changing
// anything when the keyring yields no secret.
func ManualSQL(url, clientID, keyringAccount string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `-- nexus-onboard: add GWS to %[1]s in the Digital Channels (Nexus) database.
-- Run it with psql (10 or later) as the owner of %[1]s, on the machine whose
-- keyring holds the client secret:
--   psql "postgres://USER@HOST:5432/DATABASE" -f nex_gapis.sql
-- If the database is only reachable inside the cluster, forward a port first:
--   kubectl port-forward -n NAMESPACE svc/POSTGRES-SERVICE 5432:5432   (HOST is then localhost)
-- The client secret is not in this file: psql asks the keyring for it
-- (secret-tool, from libsecret). Running it again changes nothing.
\encoding UTF8
\set ON_ERROR_STOP on
`, Table)
	for _, v := range []struct{ name, value string }{
		{"url", url},
		{"clientid", clientID},
		{"apikey", PlaceholderAPIKey},
		{"account", keyringAccount},
	} {
		fmt.Fprintf(&b, "\\set %s %s\n", v.name, psqlQuote(v.value))
	}
	// psql quotes :'account' as one shell argument inside backquotes.
	fmt.Fprintf(&b, "\\set clientsecret `secret-tool lookup service %s username :'account'`\n", secrets.Service)
	b.WriteString(`SELECT :'clientsecret' <> '' AS have_secret \gset
\if :have_secret
BEGIN;
-- Serialise with other writers: nex_gapis has no unique constraint.
LOCK TABLE nex_gapis IN SHARE ROW EXCLUSIVE MODE;
UPDATE nex_gapis SET clientsecret = :'clientsecret'
 WHERE url = :'url' AND clientid = :'clientid'
   AND clientsecret IS DISTINCT FROM :'clientsecret';
INSERT INTO nex_gapis (url, clientid, apikey, clientsecret, created)
SELECT :'url', :'clientid', :'apikey', :'clientsecret', now()
 WHERE NOT EXISTS (SELECT 1 FROM nex_gapis WHERE url = :'url' AND clientid = :'clientid');
COMMIT;
SELECT url, clientid, created FROM nex_gapis WHERE url = :'url' AND clientid = :'clientid';
\else
\echo 'nexus-onboard: the keyring returned no client secret for account' :account
DO $$ BEGIN RAISE EXCEPTION 'no client secret: nothing was changed. Check that secret-tool lookup finds it on this machine, then run this file again.'; END $$;
\endif
`)
	return b.String()
}

// psqlQuote quotes s as one argument of a psql meta-command such as \set.
// psql's rules there are not SQL's: inside single quotes a backslash escapes
// the next character and \n, \t, \r or \ooo (octal) stand for control
// characters, and neither variables (:name) nor backquotes are expanded.
func psqlQuote(s string) string {
	var b strings.Builder
	b.WriteByte('\'')
	for _, r := range s {
		switch {
		case r == '\'' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, "\\%03o", r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('\'')
	return b.String()
}
