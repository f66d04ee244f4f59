// Package sandbox simulates the Genesys services that the "Enable a tenant for
// Digital Channels" procedure talks to, over real HTTPS, so nexus-onboard can
// be tried and tested without a Genesys Multicloud CX cluster.
//
// It is written from the vendor's API (the Genesys pages "Enable a tenant for Digital
// Channels" and "Provision Genesys Authentication", summarised in the README), not from
// nexus-onboard's clients, so that it checks independently that they speak
// the real protocol. Four listeners on 127.0.0.1, each on its own port:
//
//   - Auth (AuthURL): /environment/v3/contact-centers[/{cc}/settings[/{id}]]
//     and /auth/v3/ops/clients[/{id}] with the ops credentials as HTTP basic,
//     and the OAuth token endpoint /auth/v3/oauth/token (client_credentials
//     and password grants, client authenticated by HTTP basic, parameters in
//     a form body or, for the grant type and scope only, the query). Answers are
//     wrapped as {"status":{"code":0,"message":""},"data":...}; failures carry
//     a non-zero code and a message.
//   - Nexus (NexusURL): POST /nexus/v3/provisioning/tenants with a bearer token
//     from the password grant, and POST
//     /nexus/v3/provisioning/services/{cc}/PlatformUCS with x-api-key and x-ccid.
//   - GWS (GWSURL) and UCS (UCSURL): GET / and GET /health only.
//
// The certificates come from a fresh CA (CAFile, CAPEM) that clients must
// trust explicitly. With Options.WithDB the sandbox also starts a throwaway
// PostgreSQL (clients/pgserver) holding the nex_gapis table.
//
// Every service refuses, as a strict server would, a request whose URL query
// carries a credential (a parameter named client_secret, password or
// access_token, or a value equal to a secret the sandbox knows): 400
// {"error":"invalid_request","error_description":"credentials must not be
// sent in the URL"}. Requests() keeps each request URI as received, and
// RequestsWithSecretInURL lists the offenders, so tests can prove from the
// server's side that no URL carried a secret.
//
// Faults (Sandbox.Faults) make chosen requests fail, slow down, lose their
// answer after the write, or drop the connection. The CLI sets them through
// the environment variable NEXUS_SANDBOX_FAULTS, for example
//
//	NEXUS_SANDBOX_FAULTS='POST /nexus/v3/provisioning/tenants 500 x1; GET /environment/v3/contact-centers 503 x2 retry-after=1'
//
// Entries are separated by ";"; each is METHOD PATH [STATUS] [xN]
// [latency=DUR] [retry-after=V] [after] [close]. See ParseFaults.
//
// Choices where the real behaviour is not documented: a POST of an existing
// ops client, tenant or PlatformUCS service answers 409; a POST of a setting
// with an existing name overwrites it and keeps its id; error envelope codes
// are the sandbox's own (only "non-zero" is meaningful).
package sandbox

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nexus-onboard/nexus-onboard/clients/pgserver"
	"go.yaml.in/yaml/v3"
)

// Defaults the sandbox uses and suggests in its config.
const (
	DefaultContactCenter = "578ec98e-f07c-46ad-9675-f36c22f3ba9f"
	DefaultOpsUser       = "ops"
	DefaultTenantUser    = "nexus"
	DefaultTenantName    = "sandbox_tenant"
	DefaultClientID      = "nexus_client"
	// ConfigFileName is the config Start writes into Options.Dir.
	ConfigFileName = "nexus-onboard.yaml"
	// CAFileName is the CA certificate Start writes into Options.Dir.
	CAFileName = "ca.pem"
)

// Options configure a sandbox; zero values get defaults.
type Options struct {
	// ContactCenters are the contact center ids; default DefaultContactCenter,
	// or a random one with RandomIdentity.
	ContactCenters []string
	// TenantName is the tenant name the config suggests; default
	// DefaultTenantName, or DefaultTenantName with a random suffix
	// ("sandbox_tenant_3fa9c1") with RandomIdentity.
	TenantName string
	// RandomIdentity makes the defaults of ContactCenters and TenantName
	// random (a lower-case v4 UUID, a random suffix), so that sandboxes
	// started side by side never share a contact center: keyring entries and
	// state are per contact center. Values given explicitly are kept.
	RandomIdentity bool
	// OpsUser and OpsPassword are the GWS ops credentials; default "ops" and a
	// random password.
	OpsUser, OpsPassword string
	// TenantUser and TenantPassword are the tenant's Person; default "nexus"
	// and a random password.
	TenantUser, TenantPassword string
	// UCSAPIKey is the key PlatformUCS provisioning accepts; default random.
	UCSAPIKey string
	// WithDB starts a throwaway PostgreSQL with the nex_gapis table. Without
	// PostgreSQL binaries the sandbox still starts, with DBURL "" and DBNote
	// saying why.
	WithDB bool
	// Dir receives ca.pem and the config; default a temporary directory that
	// Close removes.
	Dir string
	// Addr is the host to listen on; default 127.0.0.1.
	Addr string
	// FaultSpec are faults in ParseFaults' format; when empty, Start reads
	// the environment variable NEXUS_SANDBOX_FAULTS.
	FaultSpec string
}

// String shows the options with the passwords and key masked.
func (o Options) String() string {
	mask := func(s string) string {
		if s == "" {
			return ""
		}
		return "***"
	}
	return fmt.Sprintf("{ContactCenters:%v TenantName:%s RandomIdentity:%t OpsUser:%s OpsPassword:%s TenantUser:%s TenantPassword:%s UCSAPIKey:%s WithDB:%t Dir:%s Addr:%s FaultSpec:%q}",
		o.ContactCenters, o.TenantName, o.RandomIdentity, o.OpsUser, mask(o.OpsPassword), o.TenantUser, mask(o.TenantPassword), mask(o.UCSAPIKey), o.WithDB, o.Dir, o.Addr, o.FaultSpec)
}

// GoString keeps %#v from printing the secrets too.
func (o Options) GoString() string { return "sandbox.Options" + o.String() }

// Sandbox is a running set of simulated services.
type Sandbox struct {
	// AuthURL, GWSURL, NexusURL and UCSURL are the services' https base URLs.
	AuthURL, GWSURL, NexusURL, UCSURL string
	// CAFile is the path of CAPEM, the PEM CA certificate clients must trust.
	CAFile string
	CAPEM  []byte
	// ConfigFile is the nexus-onboard config Start wrote (see WriteConfig).
	ConfigFile string
	// DBURL is the DSN of the nex_gapis database as its application role, ""
	// without a database; DBNote says why there is none.
	DBURL, DBNote string
	// Postgres is the throwaway server behind DBURL, nil without one.
	Postgres *pgserver.Server
	// CCID is the first contact center id.
	CCID string
	// Opts are the options with every default filled in.
	Opts Options
	// Faults are the active fault injections.
	Faults *Faults

	ccs          []contactCenter
	servers      []*http.Server
	ownDir       bool
	closeOnce    sync.Once
	closeErr     error
	inflight     atomic.Int64 // requests being answered
	mu           sync.Mutex   // guards everything below
	requests     []RequestLog
	tokens       map[string]tokenInfo
	clientsByID  map[string]map[string]any
	clientOrder  []string
	settingsByCC map[string][]map[string]any
	tenantsByID  map[string]map[string]any
	tenantOrder  []string
	ucsByCC      map[string]map[string]any
	ucsOrder     []string
}

type contactCenter struct{ id, envID string }

// String describes the sandbox without its secrets.
func (s *Sandbox) String() string {
	return fmt.Sprintf("sandbox auth=%s gws=%s nexus=%s ucs=%s cc=%s", s.AuthURL, s.GWSURL, s.NexusURL, s.UCSURL, s.CCID)
}

// Start starts the four services (and PostgreSQL with WithDB), writes ca.pem
// and the config into Options.Dir, and returns when all are listening.
func Start(ctx context.Context, o Options) (*Sandbox, error) {
	o, err := resolve(o)
	if err != nil {
		return nil, err
	}
	s := &Sandbox{
		Opts:         o,
		CCID:         o.ContactCenters[0],
		Faults:       &Faults{},
		tokens:       map[string]tokenInfo{},
		clientsByID:  map[string]map[string]any{},
		settingsByCC: map[string][]map[string]any{},
		tenantsByID:  map[string]map[string]any{},
		ucsByCC:      map[string]map[string]any{},
	}
	for _, cc := range o.ContactCenters {
		s.ccs = append(s.ccs, contactCenter{id: cc, envID: newUUID()})
	}
	spec := o.FaultSpec
	if spec == "" {
		spec = os.Getenv(EnvFaults)
	}
	faults, err := ParseFaults(spec)
	if err != nil {
		return nil, fmt.Errorf("sandbox faults: %w", err)
	}
	s.Faults.Add(faults...)

	if o.Dir == "" {
		dir, err := os.MkdirTemp("", "nexus-sandbox-")
		if err != nil {
			return nil, fmt.Errorf("create the sandbox directory: %w", err)
		}
		s.Opts.Dir, s.ownDir = dir, true
	} else if err := os.MkdirAll(o.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("create the sandbox directory %s: %w", o.Dir, err)
	}

	if err := s.start(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func (s *Sandbox) start(ctx context.Context) error {
	caPEM, leaf, err := newCA(s.Opts.Addr)
	if err != nil {
		return err
	}
	s.CAPEM = caPEM
	s.CAFile = filepath.Join(s.Opts.Dir, CAFileName)
	if err := os.WriteFile(s.CAFile, caPEM, 0o644); err != nil {
		return fmt.Errorf("write the sandbox CA: %w", err)
	}
	tlsConf := &tls.Config{Certificates: []tls.Certificate{leaf}, MinVersion: tls.VersionTLS12}

	for _, svc := range []struct {
		name string
		url  *string
		mux  http.Handler
	}{
		{"auth", &s.AuthURL, s.authMux()},
		{"gws", &s.GWSURL, plainMux("gws")},
		{"nexus", &s.NexusURL, s.nexusMux()},
		{"ucs", &s.UCSURL, plainMux("ucs")},
	} {
		u, err := s.serve(svc.name, svc.mux, tlsConf)
		if err != nil {
			return err
		}
		*svc.url = u
	}

	if s.Opts.WithDB {
		if err := s.startDB(ctx); err != nil {
			return err
		}
	}
	s.ConfigFile = filepath.Join(s.Opts.Dir, ConfigFileName)
	return s.WriteConfig(s.ConfigFile)
}

// serve starts one service on its own port and returns its base URL.
func (s *Sandbox) serve(name string, mux http.Handler, tlsConf *tls.Config) (string, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort(s.Opts.Addr, "0"))
	if err != nil {
		return "", fmt.Errorf("listen for the sandbox %s service on %s: %w", name, s.Opts.Addr, err)
	}
	srv := &http.Server{
		Handler:           s.wrap(name, mux),
		TLSConfig:         tlsConf.Clone(),
		ReadHeaderTimeout: 10 * time.Second,
		// Handshake failures from untrusting clients are expected in tests.
		ErrorLog: log.New(io.Discard, "", 0),
	}
	s.servers = append(s.servers, srv)
	go func() { _ = srv.ServeTLS(ln, "", "") }()
	host := s.Opts.Addr
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	port := ln.Addr().(*net.TCPAddr).Port
	return "https://" + net.JoinHostPort(host, strconv.Itoa(port)), nil
}

// wrap logs each request and applies faults before the service's handlers.
func (s *Sandbox) wrap(service string, mux http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		s.inflight.Add(1)
		// Deferred so that dropped connections (a panic) are logged too.
		uri := r.RequestURI
		if uri == "" {
			uri = r.URL.RequestURI()
		}
		// As a strict server (or ingress) would: a credential in the URL is
		// refused before anything else, since it is already in access logs.
		// Most requests carry no query: the secrets are listed only for one.
		leaked := r.URL.RawQuery != "" && secretInQuery(r.URL.RawQuery, s.knownSecrets())
		defer func() {
			s.inflight.Add(-1)
			s.mu.Lock()
			s.requests = append(s.requests, RequestLog{Time: start, Service: service, Host: r.Host,
				Method: r.Method, Path: r.URL.Path, URI: uri, SecretInURL: leaked, Status: sw.status, Duration: time.Since(start)})
			s.mu.Unlock()
		}()
		if leaked {
			oauthError(sw, http.StatusBadRequest, "invalid_request", "credentials must not be sent in the URL")
			return
		}
		if f, ok := s.Faults.take(r.Method, r.URL.Path); ok {
			serveFault(sw, r, f, mux)
			return
		}
		mux.ServeHTTP(sw, r)
	})
}

// knownSecrets are the secrets the sandbox knows at this moment: the ops and
// tenant passwords, the UCS API key, every client secret, every token issued
// and every tenant's API key.
func (s *Sandbox) knownSecrets() []string {
	out := []string{s.Opts.OpsPassword, s.Opts.TenantPassword, s.Opts.UCSAPIKey}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.clientsByID {
		out = append(out, str(c, "client_secret"))
	}
	for tok, info := range s.tokens {
		out = append(out, tok, info.refresh)
	}
	for _, t := range s.tenantsByID {
		out = append(out, str(t, "xapikey"))
	}
	return out
}

// startDB starts PostgreSQL and creates nex_gapis as the application role,
// which then owns it, as Digital Channels' own role would.
func (s *Sandbox) startDB(ctx context.Context) error {
	if _, err := pgserver.Available(); err != nil {
		s.DBNote = "no database: " + err.Error()
		return nil
	}
	pg, err := pgserver.Start(ctx)
	if err != nil {
		return fmt.Errorf("start the sandbox database: %w", err)
	}
	s.Postgres = pg
	conn, err := pgx.Connect(ctx, pg.AppDSN)
	if err != nil {
		return fmt.Errorf("connect to the sandbox database: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	const ddl = `CREATE TABLE nex_gapis (
	id serial PRIMARY KEY,
	url text NOT NULL,
	clientid text NOT NULL,
	apikey text,
	clientsecret text,
	created timestamptz,
	authinturl text,
	authexturl text,
	region text
)`
	if _, err := conn.Exec(ctx, ddl); err != nil {
		return fmt.Errorf("create nex_gapis in the sandbox database: %w", err)
	}
	s.DBURL = pg.AppDSN
	return nil
}

func resolve(o Options) (Options, error) {
	if len(o.ContactCenters) == 0 {
		o.ContactCenters = []string{DefaultContactCenter}
		if o.RandomIdentity {
			o.ContactCenters = []string{newUUID()}
		}
	}
	if o.TenantName == "" {
		o.TenantName = DefaultTenantName
		if o.RandomIdentity {
			o.TenantName = DefaultTenantName + "_" + randomHex(3)
		}
	}
	o.ContactCenters = slices.Clone(o.ContactCenters)
	for i, cc := range o.ContactCenters {
		if cc == "" || slices.Contains(o.ContactCenters[:i], cc) {
			return o, fmt.Errorf("sandbox contact centers must be non-empty and distinct, got %q", o.ContactCenters)
		}
	}
	if o.OpsUser == "" {
		o.OpsUser = DefaultOpsUser
	}
	if o.OpsPassword == "" {
		o.OpsPassword = newPassword()
	}
	if o.TenantUser == "" {
		o.TenantUser = DefaultTenantUser
	}
	if o.TenantPassword == "" {
		o.TenantPassword = newPassword()
	}
	if o.UCSAPIKey == "" {
		o.UCSAPIKey = newUUID()
	}
	if o.Addr == "" {
		o.Addr = "127.0.0.1"
	}
	return o, nil
}

// Close stops the services and the database and removes the temporary
// directory Start made. It is safe to call more than once.
func (s *Sandbox) Close() error {
	s.closeOnce.Do(func() {
		var errs []error
		// Shutdown waits for requests being answered, but also up to a
		// second for idle HTTP/2 clients to hang up; stop waiting as soon as
		// no request is in flight, and after 2 s at most (Latency faults).
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		go func() {
			for s.inflight.Load() > 0 && ctx.Err() == nil {
				time.Sleep(5 * time.Millisecond)
			}
			cancel()
		}()
		for _, srv := range s.servers {
			_ = srv.Shutdown(ctx)
		}
		for _, srv := range s.servers {
			_ = srv.Close()
		}
		if s.Postgres != nil {
			if err := s.Postgres.Stop(); err != nil {
				errs = append(errs, err)
			}
		}
		if s.ownDir {
			if err := os.RemoveAll(s.Opts.Dir); err != nil {
				errs = append(errs, fmt.Errorf("remove the sandbox directory: %w", err))
			}
		}
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}

// config is the nexus-onboard config file, with its keys.
type config struct {
	GWSURL           string `yaml:"gws_url"`
	AuthURL          string `yaml:"auth_url"`
	NexusURL         string `yaml:"nexus_url"`
	UCSURL           string `yaml:"ucs_url"`
	GWSAdminUser     string `yaml:"gws_admin_user"`
	GWSAdminPassword string `yaml:"gws_admin_password"`
	TenantUser       string `yaml:"tenant_user"`
	TenantPassword   string `yaml:"tenant_password"`
	CCID             string `yaml:"cc_id"`
	TenantName       string `yaml:"tenant_name"`
	DBURL            string `yaml:"db_url,omitempty"`
	UCSAPIKey        string `yaml:"ucs_api_key"`
	ClientID         string `yaml:"client_id"`
	CAFile           string `yaml:"ca_file"`
}

// WriteConfig writes a nexus-onboard config for this sandbox to path, mode
// 0600 because it holds the passwords.
func (s *Sandbox) WriteConfig(path string) error {
	out, err := yaml.Marshal(config{
		GWSURL: s.GWSURL, AuthURL: s.AuthURL, NexusURL: s.NexusURL, UCSURL: s.UCSURL,
		GWSAdminUser: s.Opts.OpsUser, GWSAdminPassword: s.Opts.OpsPassword,
		TenantUser: s.Opts.TenantUser, TenantPassword: s.Opts.TenantPassword,
		CCID: s.CCID, TenantName: s.Opts.TenantName, DBURL: s.DBURL,
		UCSAPIKey: s.Opts.UCSAPIKey, ClientID: DefaultClientID, CAFile: s.CAFile,
	})
	if err != nil {
		return fmt.Errorf("encode the sandbox config: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("write the sandbox config: %w", err)
	}
	// An existing file keeps its mode on open; tighten it before writing.
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return fmt.Errorf("restrict the sandbox config to its owner: %w", err)
	}
	if _, err := f.Write(out); err != nil {
		f.Close()
		return fmt.Errorf("write the sandbox config: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write the sandbox config: %w", err)
	}
	return nil
}

// Clients returns the ops clients created so far, client_secret included.
func (s *Sandbox) Clients() []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]map[string]any, 0, len(s.clientOrder))
	for _, id := range s.clientOrder {
		out = append(out, copyMap(s.clientsByID[id]))
	}
	return out
}

// Settings returns a contact center's settings.
func (s *Sandbox) Settings(ccID string) []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]map[string]any, 0, len(s.settingsByCC[ccID]))
	for _, st := range s.settingsByCC[ccID] {
		out = append(out, copyMap(st))
	}
	return out
}

// Tenants returns the provisioned tenants with their xapikey.
func (s *Sandbox) Tenants() []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]map[string]any, 0, len(s.tenantOrder))
	for _, id := range s.tenantOrder {
		out = append(out, copyMap(s.tenantsByID[id]))
	}
	return out
}

// UCSServices returns the provisioned PlatformUCS services.
func (s *Sandbox) UCSServices() []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]map[string]any, 0, len(s.ucsOrder))
	for _, cc := range s.ucsOrder {
		out = append(out, copyMap(s.ucsByCC[cc]))
	}
	return out
}

// settle waits, at most a second, for the requests being answered to
// finish: a request is logged when its answer is done, and a client that
// gave up early (a body too large, a timeout) may be gone before the
// sandbox has finished writing to it. Readers of the log wait for it, so a
// test reading the log right after a run sees every request the run sent.
func (s *Sandbox) settle() {
	for deadline := time.Now().Add(time.Second); s.inflight.Load() > 0 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
}

// Requests returns every request answered so far, oldest first.
func (s *Sandbox) Requests() []RequestLog {
	s.settle()
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// RequestsWithSecretInURL returns the requests whose URL carried a
// credential (each was answered 400), oldest first: a test asserts it is
// empty to prove from the server's side that no URL held a secret.
func (s *Sandbox) RequestsWithSecretInURL() []RequestLog {
	s.settle()
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []RequestLog
	for _, r := range s.requests {
		if r.SecretInURL {
			out = append(out, r)
		}
	}
	return out
}

// Count reports how many requests hit method and path; method "" or "*"
// counts every method.
func (s *Sandbox) Count(method, path string) int {
	s.settle()
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.requests {
		if (method == "" || method == "*" || r.Method == method) && r.Path == path {
			n++
		}
	}
	return n
}

// IssuedTokens returns every access and refresh token the sandbox has issued,
// so that tests can prove no token leaked into output or files.
func (s *Sandbox) IssuedTokens() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.tokens))
	for tok, info := range s.tokens {
		out = append(out, tok)
		if info.refresh != "" {
			out = append(out, info.refresh)
		}
	}
	return out
}
