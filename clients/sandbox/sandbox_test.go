package sandbox

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/nexus-onboard/nexus-onboard/clients/pgserver"
	"github.com/nexus-onboard/nexus-onboard/testkit"
	"go.yaml.in/yaml/v3"
)

func TestDefaults(t *testing.T) {
	e := start(t, Options{})
	o := e.sb.Opts
	if o.OpsUser != "ops" || o.TenantUser != "nexus" || e.sb.CCID != DefaultContactCenter {
		t.Errorf("defaults = %v, CCID %s", o, e.sb.CCID)
	}
	for name, pw := range map[string]string{"ops": o.OpsPassword, "tenant": o.TenantPassword} {
		if len(pw) < 16 || !strings.ContainsAny(pw, passwordSymbols) {
			t.Errorf("%s password %q is short or has no symbol", name, pw)
		}
		for _, c := range pw {
			if c <= ' ' || c > '~' {
				t.Errorf("%s password has an unprintable character %q", name, c)
			}
		}
	}
	if o.OpsPassword == o.TenantPassword || !uuidRE.MatchString(o.UCSAPIKey) {
		t.Errorf("passwords equal or UCS key %q not a UUID", o.UCSAPIKey)
	}
	other := start(t, Options{})
	if other.sb.Opts.OpsPassword == o.OpsPassword {
		t.Error("two sandboxes got the same random password")
	}

	if _, err := Start(context.Background(), Options{ContactCenters: []string{"a", "a"}}); err == nil {
		t.Error("duplicate contact centers accepted")
	}
}

func TestWriteConfig(t *testing.T) {
	dir := t.TempDir()
	e := start(t, Options{Dir: dir, OpsPassword: `pa ss:#"x`})
	if e.sb.ConfigFile != filepath.Join(dir, ConfigFileName) || e.sb.CAFile != filepath.Join(dir, CAFileName) {
		t.Fatalf("ConfigFile %q, CAFile %q", e.sb.ConfigFile, e.sb.CAFile)
	}
	// An existing, too open file must end up 0600.
	path := filepath.Join(dir, "again.yaml")
	if err := os.WriteFile(path, []byte("old: content\nmore: lines that must go\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := e.sb.WriteConfig(path); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{e.sb.ConfigFile, path} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s mode = %v, want 0600", p, fi.Mode().Perm())
		}
		raw, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var got map[string]string
		if err := yaml.Unmarshal(raw, &got); err != nil {
			t.Fatal(err)
		}
		want := map[string]string{
			"gws_url": e.sb.GWSURL, "auth_url": e.sb.AuthURL, "nexus_url": e.sb.NexusURL, "ucs_url": e.sb.UCSURL,
			"gws_admin_user": "ops", "gws_admin_password": `pa ss:#"x`,
			"tenant_user": "nexus", "tenant_password": e.sb.Opts.TenantPassword,
			"cc_id": e.sb.CCID, "tenant_name": "sandbox_tenant", "ucs_api_key": e.sb.Opts.UCSAPIKey,
			"client_id": "nexus_client", "ca_file": e.sb.CAFile,
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s:\n got %v\nwant %v", p, got, want)
		}
	}
	caOnDisk, err := os.ReadFile(e.sb.CAFile)
	if err != nil || string(caOnDisk) != string(e.sb.CAPEM) {
		t.Errorf("ca.pem on disk differs from CAPEM (%v)", err)
	}

	// A directory the caller gave survives Close; one Start made does not.
	own := start(t, Options{})
	ownDir := own.sb.Opts.Dir
	if err := e.sb.Close(); err != nil {
		t.Fatal(err)
	}
	if err := own.sb.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(e.sb.ConfigFile); err != nil {
		t.Errorf("Close removed the caller's directory: %v", err)
	}
	if _, err := os.Stat(ownDir); !os.IsNotExist(err) {
		t.Errorf("Close left its temporary directory: %v", err)
	}
}

func TestClose(t *testing.T) {
	e := start(t, Options{})
	// Close is graceful: a request being answered still gets its answer.
	e.sb.Faults.Add(Fault{Path: "/health", Latency: 200 * time.Millisecond, Times: 1})
	done := make(chan resp, 1)
	go func() {
		r, _ := e.try(req{method: "GET", url: e.sb.GWSURL + "/health"})
		done <- r
	}()
	for e.sb.inflight.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	if err := e.sb.Close(); err != nil {
		t.Fatal(err)
	}
	if r := <-done; r.status != 200 {
		t.Errorf("in-flight request during Close got %d, want 200", r.status)
	}
	if _, err := e.try(req{method: "GET", url: e.sb.GWSURL + "/health"}); err == nil {
		t.Error("service still answers after Close")
	}
	if err := e.sb.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestRequestLogHoldsNoSecrets(t *testing.T) {
	e := start(t, Options{})
	secret := e.createClient("nexus_client")
	q := url.Values{"grant_type": {"client_credentials"}, "client_id": {"nexus_client"}, "client_secret": {secret}}.Encode()
	e.send(req{method: "POST", url: e.sb.AuthURL + "/auth/v3/oauth/token?" + q, basic: []string{"nexus_client", secret}})
	e.send(req{method: "GET", url: e.sb.AuthURL + "/nowhere?a=1"})

	logs := e.sb.Requests()
	if len(logs) != 3 {
		t.Fatalf("Requests() = %+v", logs)
	}
	want := []RequestLog{
		{Service: "auth", Method: "POST", Path: "/auth/v3/ops/clients", URI: "/auth/v3/ops/clients", Status: 200},
		{Service: "auth", Method: "POST", Path: "/auth/v3/oauth/token", URI: "/auth/v3/oauth/token?" + q, SecretInURL: true, Status: 400},
		{Service: "auth", Method: "GET", Path: "/nowhere", URI: "/nowhere?a=1", Status: 404},
	}
	for i, l := range logs {
		if l.Service != want[i].Service || l.Method != want[i].Method || l.Path != want[i].Path || l.Status != want[i].Status ||
			l.URI != want[i].URI || l.SecretInURL != want[i].SecretInURL {
			t.Errorf("log %d = %+v (URI %q), want %+v", i, l, l.URI, want[i])
		}
		if l.Time.IsZero() || !strings.HasPrefix(e.sb.AuthURL, "https://"+l.Host) {
			t.Errorf("log %d time/host = %v %q", i, l.Time, l.Host)
		}
		// Printed, the log never shows the query; the URI field keeps it
		// for tests to scan.
		for _, printed := range []string{fmt.Sprintf("%v", l), fmt.Sprintf("%+v", l), fmt.Sprintf("%#v", l), fmt.Sprint(logs)} {
			if strings.Contains(printed, secret) || strings.Contains(printed, url.QueryEscape(secret)) {
				t.Errorf("printed log %d holds the client secret: %s", i, printed)
			}
		}
	}
	if bad := e.sb.RequestsWithSecretInURL(); len(bad) != 1 || bad[0].Path != "/auth/v3/oauth/token" {
		t.Errorf("RequestsWithSecretInURL() = %v", bad)
	}
	tests := []struct {
		method, path string
		want         int
	}{
		{"POST", "/auth/v3/oauth/token", 1},
		{"GET", "/auth/v3/oauth/token", 0},
		{"", "/auth/v3/ops/clients", 1},
		{"*", "/nowhere", 1},
	}
	for _, tt := range tests {
		if got := e.sb.Count(tt.method, tt.path); got != tt.want {
			t.Errorf("Count(%q, %q) = %d, want %d", tt.method, tt.path, got, tt.want)
		}
	}
}

func TestPrintingHidesSecrets(t *testing.T) {
	e := start(t, Options{})
	o := e.sb.Opts
	printed := strings.Join([]string{
		fmt.Sprint(o), fmt.Sprintf("%+v", o), fmt.Sprintf("%#v", o),
		fmt.Sprint(e.sb), fmt.Sprintf("%+v", e.sb), fmt.Sprintf("%#v", e.sb.Opts),
	}, "\n")
	for name, secret := range map[string]string{"ops": o.OpsPassword, "tenant": o.TenantPassword, "ucs key": o.UCSAPIKey} {
		if strings.Contains(printed, secret) {
			t.Errorf("printing the sandbox shows the %s secret", name)
		}
	}
	if !strings.Contains(printed, e.sb.AuthURL) {
		t.Error("printing the sandbox does not show its URLs")
	}
}

func TestWithDB(t *testing.T) {
	if _, err := pgserver.Available(); err != nil {
		t.Run("without binaries the sandbox still starts", func(t *testing.T) {
			e := start(t, Options{WithDB: true})
			if e.sb.DBURL != "" || !strings.Contains(e.sb.DBNote, "apt-get install") {
				t.Errorf("DBURL %q, DBNote %q", e.sb.DBURL, e.sb.DBNote)
			}
		})
		testkit.Need(t, "PostgreSQL", err)
	}
	e := start(t, Options{WithDB: true})
	if e.sb.DBURL == "" || e.sb.Postgres == nil {
		t.Fatalf("no database: %s", e.sb.DBNote)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, e.sb.DBURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)

	var owner string
	if err := conn.QueryRow(ctx, "SELECT tableowner FROM pg_tables WHERE tablename = 'nex_gapis'").Scan(&owner); err != nil {
		t.Fatalf("nex_gapis missing: %v", err)
	}
	if owner != pgserver.AppUser {
		t.Errorf("nex_gapis owner = %q, want %q", owner, pgserver.AppUser)
	}
	rows, err := conn.Query(ctx, "SELECT column_name FROM information_schema.columns WHERE table_name = 'nex_gapis' ORDER BY ordinal_position")
	if err != nil {
		t.Fatal(err)
	}
	cols, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	wantCols := []string{"id", "url", "clientid", "apikey", "clientsecret", "created", "authinturl", "authexturl", "region"}
	if !slices.Equal(cols, wantCols) {
		t.Errorf("columns = %v, want %v", cols, wantCols)
	}
	// The vendor page's insert, with bound parameters.
	var id int
	err = conn.QueryRow(ctx, "INSERT INTO nex_gapis (url, clientid, apikey, clientsecret, created) VALUES ($1, $2, 'NA', $3, now()) RETURNING id",
		e.sb.GWSURL, "nexus_client", "s3cret").Scan(&id)
	if err != nil || id != 1 {
		t.Errorf("insert: id %d, %v", id, err)
	}
	if _, err := conn.Exec(ctx, "INSERT INTO nex_gapis (clientid) VALUES ('x')"); err == nil {
		t.Error("url NOT NULL not enforced")
	}

	raw, err := os.ReadFile(e.sb.ConfigFile)
	if err != nil || !strings.Contains(string(raw), "db_url: "+e.sb.DBURL) {
		t.Errorf("config lacks db_url (%v):\n%s", err, raw)
	}

	wrong, err := pgx.Connect(ctx, e.sb.Postgres.DSNWithPassword(pgserver.AppUser, "wrong"))
	var pgErr *pgconn.PgError
	if err == nil {
		wrong.Close(ctx)
		t.Error("wrong password accepted")
	} else if !errors.As(err, &pgErr) || pgErr.Code != "28P01" {
		t.Errorf("wrong password: %v, want SQLSTATE 28P01", err)
	}

	dir := e.sb.Postgres.Dir
	if err := e.sb.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("Close left the database directory: %v", err)
	}
}
