package nexusdb

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/nexus-onboard/nexus-onboard/clients/pgserver"
	"github.com/nexus-onboard/nexus-onboard/testkit"
)

// createGapis is the table as Nexus creates it, as far as vendor scripts
// show: an id, the five columns the procedure writes, and three more.
const createGapis = `CREATE TABLE nex_gapis (
	id serial PRIMARY KEY,
	url varchar(255),
	clientid varchar(255),
	apikey varchar(255),
	clientsecret varchar(255),
	created timestamp,
	authinturl varchar(255),
	authexturl varchar(255),
	region varchar(64)
)`

// fixture is a throwaway server whose database "nexus" holds nex_gapis,
// created by the application role as Nexus itself would.
type fixture struct {
	srv *pgserver.Server
	db  *DB
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	srv := testkit.StartPostgres(t)
	appExec(t, srv.AppDSN, createGapis)
	return &fixture{srv: srv, db: connect(t, srv.AppDSN)}
}

func connect(t *testing.T, dsn string) *DB {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	db, err := Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	t.Cleanup(db.Close)
	return db
}

// appExec runs statements as whoever dsn names, outside the code under test.
func appExec(t *testing.T, dsn string, sql string, args ...any) {
	t.Helper()
	ctx := context.Background()
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// withDatabase returns dsn pointing at another database.
func withDatabase(t *testing.T, dsn, database string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + database
	return u.String()
}

func randomHex(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// only returns the single row for (url, clientID), failing otherwise.
func (f *fixture) only(t *testing.T, url, clientID string) Gapi {
	t.Helper()
	rows, err := f.db.FindGapis(context.Background(), url, clientID)
	if err != nil {
		t.Fatalf("FindGapis: %v", err)
	}
	if len(rows) != 1 {
		t.Fatalf("FindGapis(%q, %q) returned %d rows, want 1: %v", url, clientID, len(rows), rows)
	}
	return rows[0]
}

func TestEnsureGapiOutcomes(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	const gws, client = "https://gws.example.com", "nexus_client"
	steps := []struct {
		secret string
		want   Outcome
	}{
		{"first-secret", Inserted},
		{"first-secret", Unchanged},
		{"second-secret", Updated},
		{"second-secret", Unchanged},
	}
	var first Gapi
	for i, st := range steps {
		got, err := f.db.EnsureGapi(ctx, gws, client, st.secret)
		if err != nil {
			t.Fatalf("step %d: EnsureGapi: %v", i, err)
		}
		if got != st.want {
			t.Errorf("step %d: EnsureGapi(%q) = %q, want %q", i, st.secret, got, st.want)
		}
		row := f.only(t, gws, client)
		if row.ClientSecret != st.secret || row.APIKey != PlaceholderAPIKey || row.URL != gws || row.ClientID != client {
			t.Errorf("step %d: row = %+v (secret ok: %v), want url, clientid, apikey NA and the new secret",
				i, row, row.ClientSecret == st.secret)
		}
		if i == 0 {
			first = row
			if row.ID <= 0 || time.Since(row.Created) > time.Hour || row.Created.IsZero() {
				t.Errorf("inserted row has id %d, created %s: want a positive id and a recent time", row.ID, row.Created)
			}
		} else if row.ID != first.ID || !row.Created.Equal(first.Created) {
			t.Errorf("step %d: row id/created changed from %d/%s to %d/%s: an update must keep the row",
				i, first.ID, first.Created, row.ID, row.Created)
		}
	}
	// Another client id on the same GWS is another row.
	if got, err := f.db.EnsureGapi(ctx, gws, "other_client", "x-secret"); err != nil || got != Inserted {
		t.Fatalf("EnsureGapi for another client = %q, %v; want inserted", got, err)
	}
	if n, err := f.db.DeleteGapis(ctx, gws, client); err != nil || n != 1 {
		t.Fatalf("DeleteGapis = %d, %v; want 1", n, err)
	}
	if rows, err := f.db.FindGapis(ctx, gws, client); err != nil || len(rows) != 0 {
		t.Fatalf("after delete FindGapis = %v, %v; want no rows", rows, err)
	}
	f.only(t, gws, "other_client")
}

// Earlier vendor scripts inserted duplicates; all of them get the secret.
func TestEnsureGapiUpdatesDuplicates(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	const gws, client = "https://gws.example.com", "nexus_client"
	for i := 0; i < 2; i++ {
		appExec(t, f.srv.AppDSN, `INSERT INTO nex_gapis (url, clientid, apikey, clientsecret, created) VALUES ($1, $2, 'NA', 'old', now())`, gws, client)
	}
	for _, want := range []Outcome{Updated, Unchanged} {
		got, err := f.db.EnsureGapi(ctx, gws, client, "new")
		if err != nil || got != want {
			t.Fatalf("EnsureGapi = %q, %v; want %q", got, err, want)
		}
	}
	rows, err := f.db.FindGapis(ctx, gws, client)
	if err != nil || len(rows) != 2 {
		t.Fatalf("FindGapis = %d rows, %v; want the 2 duplicates", len(rows), err)
	}
	for _, r := range rows {
		if r.ClientSecret != "new" {
			t.Errorf("duplicate row %d kept its old secret", r.ID)
		}
	}
	if n, err := f.db.DeleteGapis(ctx, gws, client); err != nil || n != 2 {
		t.Fatalf("DeleteGapis = %d, %v; want 2", n, err)
	}
}

// Concurrent runs (two admins, or a retry racing the first attempt) must not
// insert twice. Each writer has its own connection, like separate processes.
func TestEnsureGapiConcurrent(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	const writers, rounds = 6, 5
	dbs := make([]*DB, writers)
	for i := range dbs {
		dbs[i] = connect(t, f.srv.AppDSN)
	}
	for round := 0; round < rounds; round++ {
		gws := fmt.Sprintf("https://gws-%d.example.com", round)
		outcomes := make([]Outcome, writers)
		errs := make([]error, writers)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i, db := range dbs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				outcomes[i], errs[i] = db.EnsureGapi(context.Background(), gws, "nexus_client", "same-secret")
			}()
		}
		close(start)
		wg.Wait()
		inserted := 0
		for i := range dbs {
			if errs[i] != nil {
				t.Fatalf("round %d writer %d: %v", round, i, errs[i])
			}
			switch outcomes[i] {
			case Inserted:
				inserted++
			case Unchanged:
			default:
				t.Errorf("round %d writer %d: outcome %q, want inserted or unchanged", round, i, outcomes[i])
			}
		}
		if inserted != 1 {
			t.Errorf("round %d: %d writers inserted, want exactly 1", round, inserted)
		}
		f.only(t, gws, "nexus_client")
	}
}

func TestHostileValuesStoredExactly(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	tests := []struct {
		name, url, clientID, secret string
	}{
		{"quotes", `https://gws.example.com/it's"here"`, `nexus'client`, `se'cr"et`},
		{"backslashes", `https://gws.example.com/a\b\\c`, `nexus\client`, `\x00\n\\'`},
		{"percent and underscore", "https://gws.example.com/%41%_", "nexus_%", "100%_sure"},
		{"newline and tab", "https://gws.example.com/\nline", "client\tid", "sec\nret\r\n"},
		{"unicode", "https://gws.例え.jp/ünïcode", "клиент", "秘密-🔑"},
		{"sql injection", `https://x'); DROP TABLE nex_gapis; --`, `'); DROP TABLE nex_gapis; --`, `'); DROP TABLE nex_gapis; --`},
		{"psql meta", "https://gws.example.com/:url/:'x'/`id`", `\gexec`, "`rm -rf /`:'clientsecret'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, err := f.db.EnsureGapi(ctx, tt.url, tt.clientID, tt.secret); err != nil || got != Inserted {
				t.Fatalf("EnsureGapi = %q, %v; want inserted", got, err)
			}
			row := f.only(t, tt.url, tt.clientID)
			if row.URL != tt.url || row.ClientID != tt.clientID || row.ClientSecret != tt.secret {
				t.Errorf("stored url %q clientid %q (secret exact: %v); want %q %q",
					row.URL, row.ClientID, row.ClientSecret == tt.secret, tt.url, tt.clientID)
			}
			if got, err := f.db.EnsureGapi(ctx, tt.url, tt.clientID, tt.secret); err != nil || got != Unchanged {
				t.Errorf("second EnsureGapi = %q, %v; want unchanged", got, err)
			}
		})
	}
	if err := f.db.CheckSchema(ctx); err != nil {
		t.Fatalf("table damaged by hostile values: %v", err)
	}
}

func TestEnsureGapiRejectsEmptyValues(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tests := []struct{ url, clientID, secret string }{
		{"", "nexus_client", "s"},
		{"https://gws", "", "s"},
		{"https://gws", "nexus_client", ""},
	}
	for _, tt := range tests {
		if _, err := f.db.EnsureGapi(context.Background(), tt.url, tt.clientID, tt.secret); err == nil {
			t.Errorf("EnsureGapi(%q, %q, %q) succeeded, want an error", tt.url, tt.clientID, tt.secret)
		}
	}
	var n int
	if err := f.db.with(context.Background(), func(c *pgx.Conn) error {
		return c.QueryRow(context.Background(), "SELECT count(*) FROM nex_gapis").Scan(&n)
	}); err != nil || n != 0 {
		t.Fatalf("rows after rejected writes: %d, %v; want 0", n, err)
	}
}

// A write stuck behind another transaction's lock gives up when ctx ends,
// and the DB recovers: the next call reconnects.
func TestEnsureGapiHonoursContextAndRecovers(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	blocker, err := pgx.Connect(ctx, f.srv.AppDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer blocker.Close(ctx)
	tx, err := blocker.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "LOCK TABLE nex_gapis IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = f.db.EnsureGapi(short, "https://gws", "nexus_client", "secret-behind-lock")
	if err == nil || !errors.Is(err, context.DeadlineExceeded) && !pgconn.Timeout(err) {
		t.Fatalf("EnsureGapi behind a lock: %v; want a deadline error", err)
	}
	if strings.Contains(err.Error(), "secret-behind-lock") {
		t.Errorf("error contains the secret: %v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("EnsureGapi took %s with a 300ms deadline", d)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if got, err := f.db.EnsureGapi(ctx, "https://gws", "nexus_client", "s"); err != nil || got != Inserted {
		t.Fatalf("EnsureGapi after the lock was released = %q, %v; want inserted", got, err)
	}
}

// closedPort returns a local address where nothing listens.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func TestConnectErrors(t *testing.T) {
	t.Parallel()
	srv := testkit.StartPostgres(t)
	wrongPassword := "Wrong-" + randomHex(t, 8)
	// pgx's own redaction leaves pieces of such a password visible in a
	// malformed URL; the tail is checked separately for that reason.
	hostileTail := randomHex(t, 4)
	hostile := "p@ss:w/o?rd#" + hostileTail
	tests := []struct {
		name     string
		dsn      string
		timeout  time.Duration
		hint     string
		code     string // SQLSTATE the error must carry, if any
		secrets  []string
		within   time.Duration
		notValid bool
	}{
		{name: "wrong password", dsn: srv.DSNWithPassword("nexus", wrongPassword), hint: hintPassword, code: "28P01",
			secrets: []string{wrongPassword}},
		{name: "password with URL characters", dsn: srv.DSNWithPassword("nexus", hostile), hint: hintPassword, code: "28P01",
			secrets: []string{hostile, url.QueryEscape(hostile), hostileTail}},
		{name: "no password", dsn: strings.Replace(srv.AppDSN, ":"+srv.AppPassword+"@", "@", 1), hint: hintPassword},
		{name: "user not allowed", dsn: srv.DSNWithPassword("postgres", wrongPassword), hint: hintRole, code: "28000",
			secrets: []string{wrongPassword}},
		{name: "no such database", dsn: withDatabase(t, srv.AppDSN, "nexus_missing"), hint: hintDatabase, code: "3D000",
			secrets: []string{srv.AppPassword}},
		{name: "TLS required, server has none", dsn: strings.Replace(srv.AppDSN, "sslmode=disable", "sslmode=require", 1),
			hint: hintTLS, secrets: []string{srv.AppPassword}},
		{name: "nothing listening", dsn: "postgres://nexus:" + wrongPassword + "@" + closedPort(t) + "/nexus?sslmode=disable",
			hint: hintUnreachable, secrets: []string{wrongPassword}, within: 2 * time.Second},
		{name: "server never answers, connect_timeout", dsn: "postgres://nexus:" + wrongPassword + "@" + testkit.SilentListener(t) + "/nexus?sslmode=disable&connect_timeout=1",
			hint: hintUnreachable, secrets: []string{wrongPassword}, within: 3 * time.Second},
		{name: "server never answers, context deadline", dsn: "postgres://nexus:" + wrongPassword + "@" + testkit.SilentListener(t) + "/nexus?sslmode=disable",
			timeout: 500 * time.Millisecond, hint: hintUnreachable, secrets: []string{wrongPassword}, within: 2 * time.Second},
		{name: "malformed URL", dsn: "postgres://nexus:" + wrongPassword + "@127.0.0.1:notaport/nexus",
			hint: "expected postgres://USER:PASSWORD@HOST:5432/DATABASE", secrets: []string{wrongPassword}, notValid: true},
		{name: "malformed URL without password", dsn: "postgres://nexus@127.0.0.1:notaport/nexus",
			hint: "invalid port", notValid: true},
		{name: "malformed URL, password with URL characters", dsn: "postgres://nexus:" + hostile + "@127.0.0.1:notaport/nexus",
			hint: "expected postgres://", secrets: []string{hostile, hostileTail}, notValid: true},
		{name: "malformed key=value", dsn: "host=127.0.0.1 password='" + wrongPassword + "' port=x",
			hint: "expected postgres://", secrets: []string{wrongPassword}, notValid: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			timeout := tt.timeout
			if timeout == 0 {
				timeout = 20 * time.Second
			}
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			start := time.Now()
			db, err := Connect(ctx, tt.dsn)
			elapsed := time.Since(start)
			if err == nil {
				db.Close()
				t.Fatal("Connect succeeded, want an error")
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.hint) {
				t.Errorf("error %q lacks the hint %q", msg, tt.hint)
			}
			for _, s := range tt.secrets {
				if strings.Contains(msg, s) {
					t.Errorf("error contains the password %q: %q", s, msg)
				}
			}
			if tt.code != "" {
				var pgErr *pgconn.PgError
				if !errors.As(err, &pgErr) || pgErr.Code != tt.code {
					t.Errorf("error %q: want SQLSTATE %s reachable with errors.As", msg, tt.code)
				}
			}
			if !tt.notValid && !strings.Contains(msg, "connect to the Nexus database") {
				t.Errorf("error %q does not say what failed", msg)
			}
			if tt.within > 0 && elapsed > tt.within {
				t.Errorf("Connect took %s, want at most %s", elapsed, tt.within)
			}
			t.Logf("after %s: %s", elapsed.Round(time.Millisecond), msg)
		})
	}
}

func TestCheckSchema(t *testing.T) {
	t.Parallel()
	srv := testkit.StartPostgres(t)
	ctx := context.Background()
	for _, stmt := range []string{
		"CREATE DATABASE nexus_empty OWNER nexus",
		"CREATE DATABASE nexus_partial OWNER nexus",
		"CREATE DATABASE nexus_foreign OWNER nexus",
	} {
		if err := srv.Exec(ctx, stmt); err != nil {
			t.Fatal(err)
		}
	}
	appExec(t, srv.AppDSN, createGapis)
	appExec(t, withDatabase(t, srv.AppDSN, "nexus_partial"), "CREATE TABLE nex_gapis (id serial, url text, clientid text)")
	// A table the db_url user may not write: owned by the superuser.
	if err := srv.ExecIn(ctx, "nexus_foreign", createGapis+"; GRANT SELECT ON nex_gapis TO nexus"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		database string
		want     []string // substrings of the error; nil means no error
	}{
		{"nexus", nil},
		{"nexus_empty", []string{"table nex_gapis not found", `"nexus_empty"`, hintWrongDB}},
		{"nexus_partial", []string{"lacks column(s) apikey, clientsecret, created", hintWrongDB}},
		{"nexus_foreign", []string{`user "nexus" may not read, insert and update nex_gapis`, hintPrivilege}},
	}
	for _, tt := range tests {
		t.Run(tt.database, func(t *testing.T) {
			db := connect(t, withDatabase(t, srv.AppDSN, tt.database))
			err := db.CheckSchema(ctx)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("CheckSchema: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("CheckSchema succeeded, want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
	// The operations themselves fail with the same hint when the table is missing.
	db := connect(t, withDatabase(t, srv.AppDSN, "nexus_empty"))
	if _, err := db.EnsureGapi(ctx, "https://gws", "nexus_client", "s3cret-value"); err == nil ||
		!strings.Contains(err.Error(), hintWrongDB) || strings.Contains(err.Error(), "s3cret-value") {
		t.Errorf("EnsureGapi without the table: %v; want the hint %q and no secret", err, hintWrongDB)
	}
}

// The table's key column is undocumented: without an "id" the rows still read.
func TestFindGapisWithoutIDColumn(t *testing.T) {
	t.Parallel()
	srv := testkit.StartPostgres(t)
	appExec(t, srv.AppDSN, "CREATE TABLE nex_gapis (url text, clientid text, apikey text, clientsecret text, created timestamptz)")
	db := connect(t, srv.AppDSN)
	ctx := context.Background()
	if got, err := db.EnsureGapi(ctx, "https://gws", "nexus_client", "s"); err != nil || got != Inserted {
		t.Fatalf("EnsureGapi = %q, %v", got, err)
	}
	rows, err := db.FindGapis(ctx, "https://gws", "nexus_client")
	if err != nil || len(rows) != 1 || rows[0].ID != 0 || rows[0].ClientSecret != "s" {
		t.Fatalf("FindGapis = %v, %v; want one row with ID 0", rows, err)
	}
}

func TestGapiNeverPrintsSecrets(t *testing.T) {
	t.Parallel()
	const secret, apiKey = "the-client-secret-value", "real-api-key-value"
	g := Gapi{ID: 7, URL: "https://gws", ClientID: "nexus_client", APIKey: apiKey, ClientSecret: secret,
		Created: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)}
	placeholder := g
	placeholder.APIKey = PlaceholderAPIKey
	tests := []struct {
		name string
		text string
	}{
		{"%v", fmt.Sprintf("%v", g)},
		{"%+v", fmt.Sprintf("%+v", g)},
		{"%#v", fmt.Sprintf("%#v", g)},
		{"%s", fmt.Sprintf("%s", g)},
		{"%q", fmt.Sprintf("%q", g)},
		{"pointer %+v", fmt.Sprintf("%+v", &g)},
		{"slice %v", fmt.Sprintf("%v", []Gapi{g})},
		{"String", g.String()},
		{"error %v", fmt.Errorf("row %v", g).Error()},
	}
	for _, tt := range tests {
		if strings.Contains(tt.text, secret) || strings.Contains(tt.text, apiKey) {
			t.Errorf("%s leaks a secret: %s", tt.name, tt.text)
		}
		if !strings.Contains(tt.text, "****") || !strings.Contains(tt.text, "nexus_client") {
			t.Errorf("%s = %s: want the mask and the visible fields", tt.name, tt.text)
		}
	}
	if s := placeholder.String(); !strings.Contains(s, `apikey="NA"`) {
		t.Errorf("placeholder API key hidden: %s", s)
	}
}

func TestRedactDSN(t *testing.T) {
	t.Parallel()
	tests := []struct {
		dsn, want string
	}{
		{"postgres://nexus:s3cret@db.example.com:5432/nexus?sslmode=require",
			"postgres://nexus:****@db.example.com:5432/nexus?sslmode=require"},
		{"postgresql://nexus:p%40ss%2Fw@db:5432/nexus", "postgresql://nexus:****@db:5432/nexus"},
		{"postgres://nexus@db/nexus?password=s3cret", "postgres://nexus@db/nexus?password=****"},
		{"postgres://nexus@db/nexus", "postgres://nexus@db/nexus"},
		{"postgres://nexus:ab@db:notaport/nexus", "postgres://nexus:****@db:notaport/nexus"},
		{"postgres://nexus:a/b?c@d@db:notaport/nexus", "postgres://nexus:****@db:notaport/nexus"},
		{"host=db user=nexus password=s3cret dbname=nexus", "host=db user=nexus password=**** dbname=nexus"},
		{"host=db password='se cr\\'et' dbname=nexus", "host=db password=**** dbname=nexus"},
		{"host=db PASSWORD = x dbname=nexus", "host=db PASSWORD = **** dbname=nexus"},
		{"postgres://db/nexus?sslmode=require&password=a%26b&user=x", "postgres://db/nexus?sslmode=require&password=****&user=x"},
		{"postgres://nexus:123/45@db/nexus", "postgres://nexus:****@db/nexus"},
	}
	for _, tt := range tests {
		if got := RedactDSN(tt.dsn); got != tt.want {
			t.Errorf("RedactDSN(%q) = %q, want %q", tt.dsn, got, tt.want)
		}
	}
}

func TestDBStringHidesPassword(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	s := fmt.Sprintf("%v %s %+v", f.db, f.db, f.db)
	if strings.Contains(s, f.srv.AppPassword) {
		t.Fatalf("DB printed its password: %s", s)
	}
	if !strings.Contains(f.db.String(), "nexus@127.0.0.1:") {
		t.Errorf("DB.String() = %q, want user@host:port/database", f.db.String())
	}
}
