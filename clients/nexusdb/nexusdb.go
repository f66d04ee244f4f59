// Package nexusdb writes the one row the procedure needs in the Digital
// Channels (Nexus) PostgreSQL database: the GWS entry in table nex_gapis that
// lets Nexus call GWS with the auth client's id and secret.
//
// The table has no documented unique constraint and vendor scripts have
// inserted duplicates by re-running, so every write looks for an existing row
// for (url, clientid) first, under a table lock. Many administrators cannot
// reach this database from their workstation (it sits inside the cluster);
// ManualSQL prints the same change as a psql script that takes the secret
// from the keyring instead of containing it.
package nexusdb

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/nexus-onboard/nexus-onboard/clients/redact"
)

// Table is the table this package reads and writes.
const Table = "nex_gapis"

// PlaceholderAPIKey is what the procedure stores in nex_gapis.apikey: Nexus
// authenticates to GWS with the client id and secret, not with an API key.
const PlaceholderAPIKey = "NA"

// defaultConnectTimeout bounds one connection attempt when db_url sets no
// connect_timeout: an address inside an unreachable cluster network often
// drops packets rather than refusing, and would otherwise hang for minutes.
const defaultConnectTimeout = 10 * time.Second

// Hints appended to connection errors: what the user can do next.
const (
	hintPassword    = "check the password in db_url"
	hintRole        = "check the user in db_url: the server does not accept it from this host (pg_hba.conf)"
	hintDatabase    = "check the database name in db_url"
	hintUnreachable = "the database is often only reachable from inside the cluster: choose manual mode and run the printed SQL"
	hintWrongDB     = "is db_url pointing at the Digital Channels (Nexus) database?"
	hintTLS         = "check sslmode (and sslrootcert) in db_url: the server's TLS does not match what db_url asks for"
	hintPrivilege   = "use the Nexus database owner in db_url, or choose manual mode and have an administrator run the printed SQL"
)

// DB is a connection to the Nexus database. It is safe for concurrent use:
// operations take turns on one connection, which is re-opened when it has
// been lost (a cancelled query or a network break closes it).
type DB struct {
	cfg *pgx.ConnConfig
	// turn admits one operation at a time; a channel rather than a mutex so
	// that waiting for it honours the caller's context.
	turn chan struct{}
	conn *pgx.Conn
	// password is masked in every error, whatever the driver puts in them.
	password string
	target   string
}

// Connect opens a connection to the database at dsn (a postgres:// URL or a
// key=value string) and proves it answers. It gives up when ctx ends or
// after the DSN's connect_timeout (10 s by default). Errors never contain the
// password and say what to try next.
func Connect(ctx context.Context, dsn string) (*DB, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, parseError(dsn, err)
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = defaultConnectTimeout
	}
	db := &DB{
		cfg:      cfg,
		turn:     make(chan struct{}, 1),
		password: cfg.Password,
		target:   fmt.Sprintf("%s@%s/%s", cfg.User, net.JoinHostPort(cfg.Host, fmt.Sprint(cfg.Port)), cfg.Database),
	}
	if err := db.Ping(ctx); err != nil {
		return nil, err
	}
	return db, nil
}

// String names the database without the password.
func (db *DB) String() string { return "Nexus database " + db.target }

// Close closes the connection. The DB must not be used afterwards.
func (db *DB) Close() {
	db.turn <- struct{}{}
	defer func() { <-db.turn }()
	if db.conn != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = db.conn.Close(ctx)
		db.conn = nil
	}
}

// Ping checks that the database answers, connecting if needed.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.with(ctx, func(c *pgx.Conn) error { return c.Ping(ctx) }); err != nil {
		return db.fail(ctx, "connect to the Nexus database", err)
	}
	return nil
}

// with runs fn on the connection once it is this caller's turn, opening the
// connection first if there is none or it was lost.
func (db *DB) with(ctx context.Context, fn func(*pgx.Conn) error) error {
	select {
	case db.turn <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-db.turn }()
	if db.conn == nil || db.conn.IsClosed() {
		c, err := pgx.ConnectConfig(ctx, db.cfg)
		if err != nil {
			return err
		}
		db.conn = c
	}
	return fn(db.conn)
}

// hint tells the user what to do about err, or "" when there is nothing
// better to say than the error itself.
func hint(ctx context.Context, err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "28P01": // invalid_password
			return hintPassword
		case "28000": // invalid_authorization_specification: pg_hba.conf said no
			return hintRole
		case "3D000": // invalid_catalog_name
			return hintDatabase
		case "42P01", "42703": // undefined_table, undefined_column
			return hintWrongDB
		case "42501": // insufficient_privilege
			return hintPrivilege
		}
		return ""
	}
	if ctx.Err() != nil && errors.Is(err, context.Canceled) {
		return "" // the user cancelled: nothing to fix
	}
	var connErr *pgconn.ConnectError
	if errors.As(err, &connErr) {
		if isTLSError(err) {
			return hintTLS
		}
		return hintUnreachable
	}
	return ""
}

// Gapi is one row of nex_gapis. Printing it with fmt never shows the client
// secret or a real API key.
type Gapi struct {
	// ID is the row's numeric "id" column, or 0 when the table has none.
	ID int64
	// URL is the GWS URL Nexus calls.
	URL string
	// ClientID is the auth client Nexus uses, e.g. "nexus_client".
	ClientID string
	// APIKey is PlaceholderAPIKey in rows the procedure writes.
	APIKey string
	// ClientSecret is the auth client's secret. Never printed.
	ClientSecret string
	// Created is when the row was inserted (zero if NULL).
	Created time.Time
}

// String describes the row with its secrets masked.
func (g Gapi) String() string {
	apiKey := g.APIKey
	if apiKey != PlaceholderAPIKey {
		apiKey = redact.Value(apiKey)
	}
	return fmt.Sprintf("nex_gapis{id=%d url=%q clientid=%q apikey=%q clientsecret=%q created=%s}",
		g.ID, g.URL, g.ClientID, apiKey, redact.Value(g.ClientSecret), g.Created.Format(time.RFC3339))
}

// Format makes every fmt verb (%v, %+v, %#v, %s, %q…) print String, so a
// Gapi dropped into a log line or an error cannot leak its secret.
func (g Gapi) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, g.String()) }

// Outcome says what EnsureGapi did.
type Outcome string

// Outcomes of EnsureGapi.
const (
	Inserted  Outcome = "inserted"
	Updated   Outcome = "updated"
	Unchanged Outcome = "unchanged"
)

// selectGapis reads the rows for (url, clientid). The table's key column is
// not documented, so "id" is read through to_jsonb: it yields the id when a
// numeric one exists and NULL (→ 0) when there is none, where naming the
// column would make the query fail.
const selectGapis = `
SELECT CASE WHEN to_jsonb(g) ->> 'id' ~ '^[0-9]{1,18}$' THEN (to_jsonb(g) ->> 'id')::bigint ELSE 0 END,
       g.url, g.clientid, COALESCE(g.apikey, ''), COALESCE(g.clientsecret, ''), g.created
FROM nex_gapis AS g
WHERE g.url = $1 AND g.clientid = $2
ORDER BY g.created NULLS FIRST, 1`

// FindGapis returns the rows for (url, clientID), oldest first. More than one
// means an earlier tool or script inserted duplicates.
func (db *DB) FindGapis(ctx context.Context, url, clientID string) ([]Gapi, error) {
	var gapis []Gapi
	err := db.with(ctx, func(c *pgx.Conn) error {
		var err error
		gapis, err = findGapis(ctx, c, url, clientID)
		return err
	})
	if err != nil {
		return nil, db.fail(ctx, "read "+Table, err)
	}
	return gapis, nil
}

// querier is what findGapis needs: a connection or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func findGapis(ctx context.Context, q querier, url, clientID string) ([]Gapi, error) {
	rows, err := q.Query(ctx, selectGapis, url, clientID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (Gapi, error) {
		var g Gapi
		var created *time.Time
		err := row.Scan(&g.ID, &g.URL, &g.ClientID, &g.APIKey, &g.ClientSecret, &created)
		if created != nil {
			g.Created = *created
		}
		return g, err
	})
}

// EnsureGapi makes nex_gapis hold the secret for (url, clientID): it inserts
// a row when there is none, updates the secret of the existing rows when it
// differs, and otherwise changes nothing. It is safe to re-run and to run
// concurrently: the table is locked for the transaction, because without a
// known unique constraint two writers could both see "none" and insert twice.
func (db *DB) EnsureGapi(ctx context.Context, url, clientID, secret string) (Outcome, error) {
	if url == "" || clientID == "" || secret == "" {
		return "", errors.New("write " + Table + ": the GWS URL, client id and client secret must all be set")
	}
	var outcome Outcome
	err := db.with(ctx, func(c *pgx.Conn) error {
		return pgx.BeginFunc(ctx, c, func(tx pgx.Tx) error {
			var err error
			outcome, err = ensureGapi(ctx, tx, url, clientID, secret)
			return err
		})
	})
	if err != nil {
		return "", db.fail(ctx, "write "+Table, err, secret)
	}
	return outcome, nil
}

// ensureGapi is EnsureGapi's transaction; it returns what it did.
func ensureGapi(ctx context.Context, tx pgx.Tx, url, clientID, secret string) (Outcome, error) {
	// SHARE ROW EXCLUSIVE conflicts with itself and with every write, but
	// still lets Nexus read the table meanwhile.
	if _, err := tx.Exec(ctx, "LOCK TABLE nex_gapis IN SHARE ROW EXCLUSIVE MODE"); err != nil {
		return "", err
	}
	existing, err := findGapis(ctx, tx, url, clientID)
	if err != nil {
		return "", err
	}
	if len(existing) == 0 {
		_, err := tx.Exec(ctx,
			"INSERT INTO nex_gapis (url, clientid, apikey, clientsecret, created) VALUES ($1, $2, $3, $4, now())",
			url, clientID, PlaceholderAPIKey, secret)
		return Inserted, err
	}
	// Duplicates left by earlier scripts all get the secret: whichever row
	// Nexus picks must work.
	stale := false
	for _, g := range existing {
		stale = stale || g.ClientSecret != secret
	}
	if !stale {
		return Unchanged, nil
	}
	_, err = tx.Exec(ctx, "UPDATE nex_gapis SET clientsecret = $3 WHERE url = $1 AND clientid = $2",
		url, clientID, secret)
	return Updated, err
}

// DeleteGapis deletes every row for (url, clientID) and returns how many
// there were.
func (db *DB) DeleteGapis(ctx context.Context, url, clientID string) (int64, error) {
	var deleted int64
	err := db.with(ctx, func(c *pgx.Conn) error {
		tag, err := c.Exec(ctx, "DELETE FROM nex_gapis WHERE url = $1 AND clientid = $2", url, clientID)
		deleted = tag.RowsAffected()
		return err
	})
	if err != nil {
		return 0, db.fail(ctx, "delete from "+Table, err)
	}
	return deleted, nil
}

// requiredColumns are the columns the procedure's INSERT names.
var requiredColumns = []string{"url", "clientid", "apikey", "clientsecret", "created"}

// CheckSchema verifies that nex_gapis is visible on the search path with
// the columns the procedure writes, and that the db_url user may read,
// insert and update it. Its errors say what to check.
func (db *DB) CheckSchema(ctx context.Context) error {
	const q = `
SELECT current_database(), current_user,
       to_regclass('nex_gapis') IS NOT NULL,
       COALESCE((SELECT array_agg(attname::text) FROM pg_attribute
                 WHERE attrelid = to_regclass('nex_gapis') AND attnum > 0 AND NOT attisdropped), '{}'),
       to_regclass('nex_gapis') IS NOT NULL
         AND has_table_privilege(to_regclass('nex_gapis'), 'SELECT')
         AND has_table_privilege(to_regclass('nex_gapis'), 'INSERT')
         AND has_table_privilege(to_regclass('nex_gapis'), 'UPDATE')`
	// (has_table_privilege with a list is true if ANY of them is held.)
	var (
		database, user  string
		exists, allowed bool
		columns         []string
	)
	err := db.with(ctx, func(c *pgx.Conn) error {
		return c.QueryRow(ctx, q).Scan(&database, &user, &exists, &columns, &allowed)
	})
	if err != nil {
		return db.fail(ctx, "check the "+Table+" table", err)
	}
	if !exists {
		return fmt.Errorf("table %s not found in database %q: %s", Table, database, hintWrongDB)
	}
	have := map[string]bool{}
	for _, c := range columns {
		have[c] = true
	}
	var missing []string
	for _, c := range requiredColumns {
		if !have[c] {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("table %s in database %q lacks column(s) %s: %s",
			Table, database, strings.Join(missing, ", "), hintWrongDB)
	}
	if !allowed {
		return fmt.Errorf("user %q may not read, insert and update %s in database %q: %s",
			user, Table, database, hintPrivilege)
	}
	return nil
}

// fail wraps err with what was being done and what to do about it, masking
// the database password and any extra secrets in the message.
func (db *DB) fail(ctx context.Context, doing string, err error, secrets ...string) error {
	msg := doing + ": " + maskText(err.Error(), append(secrets, db.password)...)
	if h := hint(ctx, err); h != "" {
		msg += ": " + h
	}
	return redact.WithText(msg, err)
}

// maskText replaces every given secret in s, in any encoding it could appear in.
func maskText(s string, secrets ...string) string {
	r := redact.New()
	r.Add(secrets...)
	return r.String(s)
}

// parseError explains a db_url that pgx cannot parse. pgx's own message
// quotes the connection string, and its redaction of a malformed one is best
// effort (pieces of a password with "@" or "#" in it stay visible), so when
// there is a password the message shows our redaction instead.
func parseError(dsn string, err error) error {
	const want = "expected postgres://USER:PASSWORD@HOST:5432/DATABASE, " +
		"with @ : / ? # in the password written as %40 %3A %2F %3F %23"
	if shown := RedactDSN(dsn); shown != dsn {
		return fmt.Errorf("db_url %s is not a valid PostgreSQL URL: %s", shown, want)
	}
	return fmt.Errorf("db_url is not a valid PostgreSQL URL (%v): %s", err, want)
}

// passwordSpan locates the password in a URL without trusting it to parse:
// after the first ":" of the user info, which ends at the last "@" (an
// unencoded password may hold "/", "?", "#" or "@"; hosts and paths do not).
func passwordSpan(dsn string) (from, to int, ok bool) {
	start := strings.Index(dsn, "://") + len("://")
	at := strings.LastIndex(dsn, "@")
	if at < start {
		return 0, 0, false
	}
	colon := strings.Index(dsn[start:at], ":")
	if colon < 0 {
		return 0, 0, false
	}
	return start + colon + 1, at, true
}

var (
	// keywordPassword matches password=... in a key=value DSN, quoted or not.
	keywordPassword = regexp.MustCompile(`(?i)(\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'|\S*)`)
	// queryPassword matches a password given as a URL query parameter.
	queryPassword = regexp.MustCompile(`(?i)([?&]password=)[^&#]*`)
)

func isURL(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// RedactDSN returns dsn with its password replaced by ****, for display. It
// masks the password whatever its length, also in DSNs that do not parse.
func RedactDSN(dsn string) string {
	if !isURL(dsn) {
		return keywordPassword.ReplaceAllString(dsn, "${1}"+redact.Mask)
	}
	if from, to, ok := passwordSpan(dsn); ok {
		dsn = dsn[:from] + redact.Mask + dsn[to:]
	}
	return queryPassword.ReplaceAllString(dsn, "${1}"+redact.Mask)
}

// isTLSError reports whether a connection failed over TLS: a certificate
// the client refused, or a server that speaks no TLS. By type; pgconn has
// none for "server refused TLS connection", the one message left to match.
func isTLSError(err error) bool {
	var (
		verify  *tls.CertificateVerificationError
		unknown x509.UnknownAuthorityError
		host    x509.HostnameError
		invalid x509.CertificateInvalidError
		record  tls.RecordHeaderError
	)
	return errors.As(err, &verify) || errors.As(err, &unknown) || errors.As(err, &host) ||
		errors.As(err, &invalid) || errors.As(err, &record) ||
		strings.Contains(err.Error(), "server refused TLS connection")
}
