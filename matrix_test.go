package main

// The fault matrix of issue 4: every step that talks to something remote,
// under every fault the issue lists, against the sandbox's fault injection, a
// real PostgreSQL and the real Secret Service. Each case asserts the step's
// status, the exit code, the error message, the state file, and that a clean
// `run` afterwards finishes with nothing duplicated.
//
// Cost: each sandbox starts its own PostgreSQL, so the cases of one step
// share two sandboxes and run one after another in each (faults are global
// to a sandbox); each case takes a fresh contact center and client id, so
// cases never see each other's objects. All sandboxes run at once.
//
// Faults are injected on the step's write (its only request for read-only
// steps). What the command line cannot do (a per-attempt timeout shorter
// than a slow answer, a hook that starts a refused service) runs the
// engine in process through steps.Runner.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"go.yaml.in/yaml/v3"

	"github.com/nexus-onboard/nexus-onboard/clients/gws"
	"github.com/nexus-onboard/nexus-onboard/clients/httpx"
	"github.com/nexus-onboard/nexus-onboard/clients/nexus"
	"github.com/nexus-onboard/nexus-onboard/clients/pgserver"
	"github.com/nexus-onboard/nexus-onboard/clients/sandbox"
	"github.com/nexus-onboard/nexus-onboard/clients/secrets"
	"github.com/nexus-onboard/nexus-onboard/steps"
)

// matrixStep is a step under test and the route its faults target: the
// step's write for steps that write, its only request otherwise.
type matrixStep struct {
	id     string
	method string // "" for the database step
	path   string // %s stands for the contact center
	svc    string // "auth", "nexus" or "db": the URL a gate fronts
	clean  steps.Status
	// shared: an earlier step sends the same request, so the fault run
	// starts at this step after a clean run of the steps before it.
	shared bool
}

var matrixSteps = []matrixStep{
	{steps.IDContactCenter, "GET", gws.ContactCentersPath, "auth", steps.StatusAlreadyDone, false},
	{steps.IDAuthClient, "POST", gws.OpsClientsPath, "auth", steps.StatusDone, false},
	{steps.IDVerifyClient, "POST", gws.TokenPath, "auth", steps.StatusDone, false},
	{steps.IDRegisterGWS, "", "", "db", steps.StatusDone, false},
	{steps.IDChatServiceURI, "POST", gws.SettingsPathFormat, "auth", steps.StatusDone, false},
	{steps.IDTenantToken, "POST", gws.TokenPath, "auth", steps.StatusDone, true},
	{steps.IDUCSService, "POST", nexus.PlatformUCSPathFormat, "nexus", steps.StatusDone, false},
	{steps.IDTenant, "POST", nexus.TenantsPath, "nexus", steps.StatusDone, false},
}

// route is the path the step's faults target, for a contact center.
func (st matrixStep) route(cc string) string {
	if strings.Contains(st.path, "%s") {
		return fmt.Sprintf(st.path, cc)
	}
	return st.path
}

// after lists the step ids that follow st in the procedure.
func (st matrixStep) after() []string {
	ids := steps.IDs()
	return ids[slices.Index(ids, st.id)+1:]
}

// before lists the step ids that come before st.
func (st matrixStep) before() []string {
	ids := steps.IDs()
	return ids[:slices.Index(ids, st.id)]
}

// Classes of HTTP faults: what surviving one means.
const (
	faultTransient = "transient" // the step ends OK in the same run, exit 0
	faultPermanent = "permanent" // exit 1 naming host, status and remedy; the next run finishes
)

// httpFault is a fault injected on a step's route.
type httpFault struct {
	name   string
	class  string
	fault  sandbox.Fault
	status int      // the status the error must name; 0: none
	says   []string // the error must say all of these
	remedy []string // and one of these
}

const marker400 = "matrix-400-marker: field redirectURIs rejected"

var matrixHugeBody = `{"status":{"code":0,"message":""},"data":"` + strings.Repeat("x", 5<<20) + `"}`

var httpFaults = []httpFault{
	{name: "dropped ×1", class: faultTransient, fault: sandbox.Fault{CloseConn: true, Times: 1}},
	{name: "503 ×2", class: faultTransient, fault: sandbox.Fault{Status: 503, Times: 2}},
	{name: "502 ×2", class: faultTransient, fault: sandbox.Fault{Status: 502, Times: 2}},
	{name: "504 ×2", class: faultTransient, fault: sandbox.Fault{Status: 504, Times: 2}},
	{name: "429 Retry-After 1", class: faultTransient, fault: sandbox.Fault{Status: 429, Times: 1, RetryAfter: "1"}},
	{name: "401", class: faultPermanent, fault: sandbox.Fault{Status: 401}, status: 401, remedy: []string{"check the credentials"}},
	{name: "403", class: faultPermanent, fault: sandbox.Fault{Status: 403}, status: 403, remedy: []string{"lacks permission"}},
	{name: "404", class: faultPermanent, fault: sandbox.Fault{Status: 404}, status: 404, remedy: []string{"check the URL"}},
	{name: "400 + message", class: faultPermanent, status: 400, remedy: []string{marker400},
		fault: sandbox.Fault{Status: 400, Body: `{"status":{"code":1,"message":"` + marker400 + `"},"error":"invalid_request","error_description":"` + marker400 + `"}`}},
	{name: "500", class: faultPermanent, fault: sandbox.Fault{Status: 500}, status: 500, remedy: []string{"check its logs"}},
	{name: "409 exists", class: faultPermanent, fault: sandbox.Fault{Status: 409, Body: `{"status":{"code":6,"message":"already exists"},"error":"conflict","error_description":"already exists"}`},
		status: 409, remedy: []string{"already exists"}},
	{name: "HTML 200", class: faultPermanent, remedy: []string{"is auth_url", "is nexus_url"},
		fault: sandbox.Fault{Status: 200, ContentType: "text/html; charset=utf-8", Body: "<html><head><title>Sign in</title></head><body>Single sign-on</body></html>"}},
	{name: "truncated JSON", class: faultPermanent, remedy: []string{"is auth_url", "is nexus_url"},
		fault: sandbox.Fault{Status: 200, ContentType: "application/json", Body: `{"status":{"code":0,"message":""},"data":{"contactCenters":[{"id":"57`}},
	{name: "huge body", class: faultPermanent, says: []string{"larger than 4 MiB"}, remedy: []string{"is this the right URL"},
		fault: sandbox.Fault{Status: 200, ContentType: "application/json", Body: matrixHugeBody}},
}

// expect is what a fault run must end with.
type matrixExpect struct {
	code   int
	status steps.Status
	rest   steps.Status // status of the steps after the faulted one; "" not checked
	msg    []string     // all must appear in the step's error (or warning)
	anyOf  []string     // one of these must appear too
}

// expectFor derives the expected outcome of an HTTP fault on a step.
func expectFor(st matrixStep, hf httpFault, host string) matrixExpect {
	if hf.class == faultTransient {
		return matrixExpect{code: 0, status: st.clean}
	}
	e := matrixExpect{code: 1, status: steps.StatusFailed, rest: steps.StatusNotRun, msg: append([]string{host}, hf.says...), anyOf: hf.remedy}
	if hf.status != 0 {
		e.msg = append(e.msg, fmt.Sprint(hf.status))
	}
	switch {
	case hf.status == 409 && st.id == steps.IDAuthClient:
		// The POST says "exists" but the stored secret is refused: only
		// rotating the secret can fix that.
		e.anyOf = []string{"--rotate-secret"}
	case hf.status == 409 && st.id == steps.IDUCSService:
		// No read API for provisioning services: "exists" is the only
		// "already done" signal there is.
		return matrixExpect{code: 0, status: steps.StatusAlreadyDone}
	case hf.status == 409 && st.id == steps.IDTenant:
		// Exists, but its key is not in the keyring: the warning says how
		// to get it (designer-env is manual and warns too).
		return matrixExpect{code: 0, status: steps.StatusAlreadyDone, msg: []string{"secret-tool store"}}
	}
	return e
}

// ---------------------------------------------------------------------------
// Tally: fault × step, tried and survived.

// matrixTally counts, per fault and step, the cases tried and survived.
type matrixTally struct {
	mu       sync.Mutex
	faults   []string
	tried    map[[2]string]int
	survived map[[2]string]int
}

// newMatrixTally returns an empty tally.
func newMatrixTally() *matrixTally {
	return &matrixTally{tried: map[[2]string]int{}, survived: map[[2]string]int{}}
}

// track counts a case when its subtest ends: survived when nothing failed.
func (ta *matrixTally) track(t *testing.T, fault, step string) {
	t.Cleanup(func() {
		if t.Skipped() {
			return
		}
		ta.mu.Lock()
		defer ta.mu.Unlock()
		if !slices.Contains(ta.faults, fault) {
			ta.faults = append(ta.faults, fault)
		}
		k := [2]string{fault, step}
		ta.tried[k]++
		if !t.Failed() {
			ta.survived[k]++
		}
	})
}

// table renders the counts, faults in the given order, steps as columns.
func (ta *matrixTally) table(order []string) string {
	ta.mu.Lock()
	defer ta.mu.Unlock()
	var b strings.Builder
	short := map[string]string{
		steps.IDContactCenter: "cc", steps.IDAuthClient: "client", steps.IDVerifyClient: "verify",
		steps.IDRegisterGWS: "gapis", steps.IDChatServiceURI: "chat-uri", steps.IDTenantToken: "token",
		steps.IDUCSService: "ucs", steps.IDTenant: "tenant",
	}
	fmt.Fprintf(&b, "\n%-26s", "fault \\ step (surv/tried)")
	for _, s := range matrixSteps {
		fmt.Fprintf(&b, " %8s", short[s.id])
	}
	fmt.Fprintf(&b, " %9s\n", "total")
	faults := slices.Clone(ta.faults)
	slices.SortStableFunc(faults, func(a, b string) int { return slices.Index(order, a) - slices.Index(order, b) })
	var allT, allS int
	for _, f := range faults {
		fmt.Fprintf(&b, "%-26s", f)
		var rowT, rowS int
		for _, s := range matrixSteps {
			k := [2]string{f, s.id}
			if ta.tried[k] == 0 {
				fmt.Fprintf(&b, " %8s", "-")
				continue
			}
			rowT += ta.tried[k]
			rowS += ta.survived[k]
			fmt.Fprintf(&b, " %8s", fmt.Sprintf("%d/%d", ta.survived[k], ta.tried[k]))
		}
		allT += rowT
		allS += rowS
		fmt.Fprintf(&b, " %9s\n", fmt.Sprintf("%d/%d", rowS, rowT))
	}
	fmt.Fprintf(&b, "faults × steps tried %d, survived %d\n", allT, allS)
	return b.String()
}

// ---------------------------------------------------------------------------
// Shards and cases.

// shard is one sandbox (with its PostgreSQL) whose cases run in turn.
type shard struct {
	sb   *sandbox.Sandbox
	ccs  []string
	base map[string]string // the sandbox's config
	n    int
}

// newShard starts a sandbox with PostgreSQL and one contact center per case.
func newShard(t *testing.T, cases int) *shard {
	t.Helper()
	need(t, "the OS keyring (Secret Service)", secrets.Store{}.Probe(context.Background()))
	ccs := make([]string, cases)
	for i := range ccs {
		ccs[i] = randomCC(t)
	}
	dir := t.TempDir()
	sb, err := sandbox.Start(context.Background(), sandbox.Options{ContactCenters: ccs, WithDB: true, Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	if sb.DBURL == "" {
		need(t, "PostgreSQL", fmt.Errorf("sandbox has no database: %s", sb.DBNote))
	}
	data, err := os.ReadFile(sb.ConfigFile)
	if err != nil {
		t.Fatal(err)
	}
	base := map[string]string{}
	if err := yaml.Unmarshal(data, &base); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, cc := range ccs {
			secrets.Store{}.Delete(context.Background(), secrets.Account(cc, secrets.NexusAPIKey))
		}
		for i := 1; i <= len(ccs); i++ {
			secrets.Store{}.Delete(context.Background(), secrets.ClientSecretAccount(sb.AuthURL, fmt.Sprintf("nexus_client_%d", i)))
		}
	})
	return &shard{sb: sb, ccs: ccs, base: base}
}

// mcase is one case: a world of its own contact center and client id in
// the shard's sandbox.
type mcase struct {
	*world
	sh       *shard
	clientID string
	dbURL    string            // where nex_gapis is checked
	texts    map[string]string // everything the tool printed, for the leak scan
	extra    []string          // more secrets to scan for
}

// next returns a fresh case: the next contact center, its own client id,
// config and state dir.
func (sh *shard) next(t *testing.T) *mcase {
	t.Helper()
	if sh.n >= len(sh.ccs) {
		t.Fatalf("shard has only %d contact centers", len(sh.ccs))
	}
	cc := sh.ccs[sh.n]
	sh.n++
	dir := t.TempDir()
	c := &mcase{
		world:    &world{sb: sh.sb, dir: dir, cfg: filepath.Join(dir, "nexus-onboard.yaml"), stateDir: filepath.Join(dir, "state"), cc: cc},
		sh:       sh,
		clientID: fmt.Sprintf("nexus_client_%d", sh.n),
		dbURL:    sh.sb.DBURL,
		texts:    map[string]string{},
	}
	c.writeConfig(t, c.cfg, nil)
	return c
}

// account is the keyring account of a secret of the case: its client's
// secret is kept per environment and client id.
func (c *mcase) account(name string) string {
	if name == secrets.ClientSecret {
		return secrets.ClientSecretAccount(c.sb.AuthURL, c.clientID)
	}
	return secrets.Account(c.cc, name)
}

// writeConfig writes the case's config with some values replaced.
func (c *mcase) writeConfig(t *testing.T, path string, over map[string]string) {
	t.Helper()
	m := map[string]string{}
	for k, v := range c.sh.base {
		m[k] = v
	}
	m[steps.KeyCCID] = c.cc
	m[steps.KeyClientID] = c.clientID
	for k, v := range over {
		m[k] = v
	}
	out, err := yaml.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, out, 0o600); err != nil {
		t.Fatal(err)
	}
}

// matrixDoc is `run --output json`, with the fields the matrix reads.
type matrixDoc struct {
	Steps []struct {
		ID      string       `json:"id"`
		Status  steps.Status `json:"status"`
		Error   string       `json:"error"`
		Warning string       `json:"warning"`
	} `json:"steps"`
}

// step returns a step's status and its error and warning.
func (d matrixDoc) step(id string) (status steps.Status, text string) {
	for _, s := range d.Steps {
		if s.ID == id {
			return s.Status, s.Error + " " + s.Warning
		}
	}
	return "", ""
}

// cli runs the command in process with the case's state dir and JSON output.
func (c *mcase) cli(t *testing.T, label string, args ...string) (result, matrixDoc) {
	t.Helper()
	// The step matrix aims each fault at a step: without --no-preflight the
	// preflight would meet the faults on the routes it shares with the
	// steps (TestPreflightFaultsStopBeforeAnyChange covers that).
	r := c.run(t, append([]string{"run", "--state-dir", c.stateDir, "--output", "json", "--no-preflight"}, args...)...)
	return r, c.parse(t, label, r)
}

// parse keeps the output for the leak scan and decodes stdout.
func (c *mcase) parse(t *testing.T, label string, r result) matrixDoc {
	t.Helper()
	c.texts[label+" stdout"] = r.stdout
	c.texts[label+" stderr"] = r.stderr
	var d matrixDoc
	if err := json.Unmarshal([]byte(r.stdout), &d); err != nil {
		t.Fatalf("%s: stdout is not one JSON document: %v\nstderr:\n%s", label, err, r.stderr)
	}
	return d
}

// faultArgs prepares the fault run of st: a clean run of the steps before
// it when they share its route, then the arguments that run st and the rest.
func (c *mcase) faultArgs(t *testing.T, st matrixStep, cfg string) []string {
	t.Helper()
	if !st.shared {
		return []string{"--config", cfg}
	}
	c.setup(t, st)
	return []string{"--config", cfg, "--only", strings.Join(append([]string{st.id}, st.after()...), ",")}
}

// setup runs the steps before st, cleanly.
func (c *mcase) setup(t *testing.T, st matrixStep) {
	t.Helper()
	if len(st.before()) == 0 {
		return
	}
	r, _ := c.cli(t, "setup", "--config", c.cfg, "--skip", strings.Join(append([]string{st.id}, st.after()...), ","))
	if r.code != 0 {
		t.Fatalf("setup run (steps before %s): exit %d\n%s", st.id, r.code, r.stderr)
	}
}

// checkRun asserts the outcome of a fault run.
func (c *mcase) checkRun(t *testing.T, st matrixStep, r result, d matrixDoc, e matrixExpect) {
	t.Helper()
	if r.code != e.code {
		t.Errorf("exit %d, want %d\nstderr:\n%s", r.code, e.code, r.stderr)
	}
	status, text := d.step(st.id)
	if status != e.status {
		t.Errorf("%s: status %q, want %q (%s)", st.id, status, e.status, text)
	}
	for _, m := range e.msg {
		if !strings.Contains(text, m) {
			t.Errorf("%s: message lacks %q: %s", st.id, m, text)
		}
	}
	if len(e.anyOf) > 0 && !slices.ContainsFunc(e.anyOf, func(m string) bool { return strings.Contains(text, m) }) {
		t.Errorf("%s: message says none of %q: %s", st.id, e.anyOf, text)
	}
	for _, id := range st.after() {
		got, _ := d.step(id)
		if got == "" {
			continue // not selected
		}
		if e.rest != "" && got != e.rest {
			t.Errorf("%s after the fault: %q, want %q", id, got, e.rest)
		}
	}
	if e.code == 1 && !strings.Contains(r.stderr, "run again") {
		t.Errorf("stderr does not say to run again:\n%s", r.stderr)
	}
	c.checkState(t, st.id, e.status)
}

// state reads the case's state file.
func (c *mcase) state(t *testing.T) *steps.State {
	t.Helper()
	st, ok := c.stateIfAny(t)
	if !ok {
		t.Fatalf("no state file")
	}
	return st
}

// stateIfAny reads the case's state file, if there is one.
func (c *mcase) stateIfAny(t *testing.T) (*steps.State, bool) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(c.stateDir, c.cc+".json"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, false
	}
	if err != nil {
		t.Fatalf("state file: %v", err)
	}
	st := steps.NewState(c.cc)
	if err := json.Unmarshal(data, st); err != nil {
		t.Fatalf("state file is not JSON: %v", err)
	}
	return st, true
}

// checkState asserts the saved status of a step ("" when it must be absent).
func (c *mcase) checkState(t *testing.T, id string, want steps.Status) {
	t.Helper()
	st := c.state(t)
	var got steps.Status
	if rec := st.Steps[id]; rec != nil {
		got = rec.Status
	}
	if got != want {
		t.Errorf("state file: %s is %q, want %q", id, got, want)
	}
}

// recover clears every fault and runs again: every step must end OK, with
// exactly one of each object, and no secret anywhere the tool wrote.
func (c *mcase) recover(t *testing.T, args ...string) {
	t.Helper()
	c.sb.Faults.Clear()
	if len(args) == 0 {
		args = []string{"--config", c.cfg}
	}
	r, d := c.cli(t, "recovery", args...)
	if r.code != 0 {
		t.Fatalf("recovery run: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, s := range d.Steps {
		if !s.Status.OK() {
			t.Errorf("recovery run: %s is %s", s.ID, s.Status)
		}
	}
	c.checkSingle(t)
	c.checkNoLeak(t)
	c.checkAllCreated(t)
}

// checkAllCreated asserts the state records every object this tool made,
// so that reset can remove them (and only them).
func (c *mcase) checkAllCreated(t *testing.T) {
	t.Helper()
	created := c.state(t).Created
	want := map[string]string{
		steps.CreatedAuthClient: c.clientID,
		steps.CreatedGapiRow:    c.sb.GWSURL + " " + c.clientID,
		steps.CreatedSetting:    c.sb.NexusURL,
		steps.CreatedTenant:     c.cc,
	}
	for k, v := range want {
		switch {
		case created[k] == v:
		default:
			t.Errorf("state: created[%s] = %q, want %q", k, created[k], v)
		}
	}
}

// checkSingle asserts one client, one nex_gapis row, one chat-service-uri
// setting, one tenant and one PlatformUCS service for the case, each
// matching the keyring.
func (c *mcase) checkSingle(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	secret, err := secrets.Store{}.Get(ctx, c.account(secrets.ClientSecret))
	if err != nil {
		t.Errorf("client secret in keyring: %v", err)
	}
	apiKey, err := secrets.Store{}.Get(ctx, c.account(secrets.NexusAPIKey))
	if err != nil {
		t.Errorf("API key in keyring: %v", err)
	}
	var clients []map[string]any
	for _, cl := range c.sb.Clients() {
		if cl["client_id"] == c.clientID {
			clients = append(clients, cl)
		}
	}
	if len(clients) != 1 || clients[0]["client_secret"] != secret {
		t.Errorf("%d clients %s (want one with the keyring's secret)", len(clients), c.clientID)
	}
	rows := c.gapis(t)
	if len(rows) != 1 || rows[0] != secret {
		t.Errorf("%d nex_gapis rows for %s (want one with the keyring's secret)", len(rows), c.clientID)
	}
	var settings []map[string]any
	for _, s := range c.sb.Settings(c.cc) {
		if s["name"] == gws.ChatServiceURISetting {
			settings = append(settings, s)
		}
	}
	if len(settings) != 1 || settings[0]["value"] != c.sb.NexusURL {
		t.Errorf("%d chat-service-uri settings (want one, %s): %v", len(settings), c.sb.NexusURL, settings)
	}
	var tenants []map[string]any
	for _, tn := range c.sb.Tenants() {
		if tn["id"] == c.cc {
			tenants = append(tenants, tn)
		}
	}
	if len(tenants) != 1 || tenants[0]["xapikey"] != apiKey {
		t.Errorf("%d tenants (want one whose key is in the keyring)", len(tenants))
	}
	n := 0
	for _, u := range c.sb.UCSServices() {
		if u["ccid"] == c.cc {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d PlatformUCS services, want 1", n)
	}
}

// gapis returns the client secrets of the case's nex_gapis rows.
func (c *mcase) gapis(t *testing.T) []string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, c.dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, "SELECT COALESCE(clientsecret, '') FROM nex_gapis WHERE url = $1 AND clientid = $2", c.sb.GWSURL, c.clientID)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// checkNoLeak scans what the tool printed and the state dir for every secret.
func (c *mcase) checkNoLeak(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	o := c.sb.Opts
	all := append([]string{o.OpsPassword, o.TenantPassword, o.UCSAPIKey}, c.extra...)
	for _, dsn := range []string{c.sb.DBURL, c.dbURL} {
		if u, err := url.Parse(dsn); err == nil {
			p, _ := u.User.Password()
			all = append(all, p)
		}
	}
	for _, n := range []string{secrets.ClientSecret, secrets.NexusAPIKey} {
		if v, err := (secrets.Store{}).Get(ctx, c.account(n)); err == nil {
			all = append(all, v)
		}
	}
	all = append(all, c.sb.IssuedTokens()...)
	texts := map[string]string{}
	for k, v := range c.texts {
		texts[k] = v
	}
	if l := leaks(all, texts, c.stateDir); len(l) > 0 {
		t.Errorf("secret leak:\n%s", strings.Join(l, "\n"))
	}
}

// ---------------------------------------------------------------------------
// HTTP faults through the command line.

// httpCase injects an HTTP fault on the step's route during a command-line run.
func httpCase(t *testing.T, sh *shard, st matrixStep, hf httpFault) {
	c := sh.next(t)
	args := c.faultArgs(t, st, c.cfg)
	f := hf.fault
	f.Method, f.Path = st.method, st.route(c.cc)
	before := c.sb.Count(f.Method, f.Path)
	c.sb.Faults.Add(f)
	defer c.sb.Faults.Clear()
	r, d := c.cli(t, "fault", args...)
	hits := c.sb.Count(f.Method, f.Path) - before
	if f.Times > 0 && c.sb.Faults.Len() != 0 {
		t.Errorf("the fault was not used up: %d of %d requests hit %s %s", hits, f.Times, f.Method, f.Path)
	}
	if hits == 0 {
		t.Errorf("no request hit %s %s", f.Method, f.Path)
	}
	host := hostOfURL(c.sb.AuthURL)
	if st.svc == "nexus" {
		host = hostOfURL(c.sb.NexusURL)
	}
	c.checkRun(t, st, r, d, expectFor(st, hf, host))
	c.recover(t)
}

// hostOfURL is the host:port of a URL, as errors name it.
func hostOfURL(u string) string {
	p, _ := url.Parse(u)
	return p.Host
}

// ---------------------------------------------------------------------------
// In-process runs, for what the command line cannot do: a per-attempt
// timeout shorter than a slow answer, and a hook that brings a refused
// service up after its first refusal.

const attemptTimeout = 500 * time.Millisecond

// inProcess runs the selected steps through steps.Runner with a short
// per-attempt timeout and fast retries.
func (c *mcase) inProcess(t *testing.T, cfg string, only []string, onEvent func(steps.Event)) (map[string]*steps.Record, error) {
	t.Helper()
	vals, _, problems := steps.Load(steps.Sources{ConfigPath: cfg})
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	env, err := steps.NewEnv(vals, steps.Options{HTTP: httpx.Options{Timeout: attemptTimeout, BaseBackoff: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	sel, err := steps.Select(only, nil, vals)
	if err != nil {
		t.Fatal(err)
	}
	if ps := sel.Preflight(context.Background(), env); len(ps) > 0 {
		t.Fatalf("preflight: %v", ps)
	}
	r := &steps.Runner{Env: env, Store: steps.Store{Dir: c.stateDir}, OnEvent: onEvent, RetryDelay: 20 * time.Millisecond}
	defer r.Close()
	recs, err := r.Run(context.Background(), sel)
	out := map[string]*steps.Record{}
	for _, rec := range recs {
		out[rec.ID] = rec
		data, _ := json.Marshal(rec)
		c.texts["in-process "+rec.ID] = string(data)
	}
	return out, err
}

// transcriptHas reports whether an attempt of the step failed saying s.
func transcriptHas(rec *steps.Record, s string) bool {
	return rec != nil && slices.ContainsFunc(rec.Transcript, func(x httpx.Exchange) bool { return strings.Contains(x.Error, s) })
}

// refusedCase: nothing listens on the step's service until its first
// request is refused; then it comes up.
func refusedCase(t *testing.T, sh *shard, st matrixStep) {
	c := sh.next(t)
	c.setup(t, st)
	target, key := c.sb.AuthURL, steps.KeyAuthURL
	if st.svc == "nexus" {
		target, key = c.sb.NexusURL, steps.KeyNexusURL
	}
	g := newTCPGate(t, hostOfURL(target))
	cfg := filepath.Join(c.dir, "gated.yaml")
	c.writeConfig(t, cfg, map[string]string{key: "https://" + g.addr})
	if key == steps.KeyAuthURL {
		// The client secret is kept per Auth URL: the gate is another URL
		// of the same Auth, so it gets the same secret.
		ctx := context.Background()
		gated := secrets.ClientSecretAccount("https://"+g.addr, c.clientID)
		if v, err := (secrets.Store{}).Get(ctx, c.account(secrets.ClientSecret)); err == nil {
			if err := (secrets.Store{}).Set(ctx, gated, v); err != nil {
				t.Fatal(err)
			}
		}
		t.Cleanup(func() { secrets.Store{}.Delete(ctx, gated) })
	}
	var refused atomic.Int32
	recs, err := c.inProcess(t, cfg, []string{st.id}, func(ev steps.Event) {
		if ev.Kind == steps.EventExchange && ev.Step == st.id && ev.Exchange.Status == 0 && strings.Contains(ev.Exchange.Error, "refused") {
			refused.Add(1)
			g.open(t)
		}
	})
	if err != nil {
		t.Errorf("run: %v", err)
	}
	rec := recs[st.id]
	if rec == nil {
		t.Fatalf("%s did not run", st.id)
	}
	if refused.Load() == 0 || !transcriptHas(rec, "nothing listens there") {
		t.Errorf("no refused connection was seen or explained")
	}
	if got := rec.Status; got != st.clean && got != steps.StatusDone {
		t.Errorf("%s: status %q, want %q (%s)", st.id, got, st.clean, rec.Error)
	}
	c.recover(t)
}

// slowCase: the first answer comes after the per-attempt timeout.
func slowCase(t *testing.T, sh *shard, st matrixStep) {
	c := sh.next(t)
	c.setup(t, st)
	c.sb.Faults.Add(sandbox.Fault{Method: st.method, Path: st.route(c.cc), Latency: 10 * attemptTimeout, Times: 1})
	defer c.sb.Faults.Clear()
	recs, err := c.inProcess(t, c.cfg, []string{st.id}, nil)
	if err != nil {
		t.Errorf("run: %v", err)
	}
	rec := recs[st.id]
	if rec == nil {
		t.Fatalf("%s did not run", st.id)
	}
	if c.sb.Faults.Len() != 0 || !transcriptHas(rec, "no answer within") {
		t.Errorf("no attempt timed out: %s %s", rec.Status, rec.Error)
	}
	if got := rec.Status; got != st.clean && got != steps.StatusDone {
		t.Errorf("%s: status %q, want %q (%s)", st.id, got, st.clean, rec.Error)
	}
	c.recover(t)
}

// ---------------------------------------------------------------------------
// tcpGate stands in front of a service: closed (connection refused), open
// (forwarding), or cutting a PostgreSQL connection right after COMMIT.

// tcpGate forwards TCP connections to target once open.
type tcpGate struct {
	addr, target string
	cutAtCommit  bool

	mu    sync.Mutex
	ln    net.Listener
	conns []net.Conn
	cuts  atomic.Int32
}

// newGate reserves a port on which nothing listens yet.
func newTCPGate(t *testing.T, target string) *tcpGate {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g := &tcpGate{addr: ln.Addr().String(), target: target}
	ln.Close()
	t.Cleanup(g.shut)
	return g
}

// open starts listening on the reserved port and forwarding.
func (g *tcpGate) open(t *testing.T) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.ln != nil {
		return
	}
	ln, err := net.Listen("tcp", g.addr)
	if err != nil {
		t.Errorf("gate: %v", err)
		return
	}
	g.ln = ln
	go func() {
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", g.target)
			if err != nil {
				in.Close()
				continue
			}
			g.mu.Lock()
			g.conns = append(g.conns, in, out)
			g.mu.Unlock()
			go g.pipe(in, out)
		}
	}()
}

// shut stops listening and drops every forwarded connection.
func (g *tcpGate) shut() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.ln != nil {
		g.ln.Close()
		g.ln = nil
	}
	for _, c := range g.conns {
		c.Close()
	}
	g.conns = nil
}

// pipe copies both ways; with cutAtCommit it drops the answer to COMMIT.
func (g *tcpGate) pipe(in, out net.Conn) {
	var cut atomic.Bool
	go func() {
		buf := make([]byte, 32<<10)
		for {
			n, err := out.Read(buf)
			if n > 0 && !cut.Load() {
				in.Write(buf[:n])
			}
			if err != nil {
				in.Close()
				return
			}
		}
	}()
	buf := make([]byte, 32<<10)
	for {
		n, err := in.Read(buf)
		if n > 0 {
			if g.cutAtCommit && bytes.Contains(bytes.ToLower(buf[:n]), []byte("commit\x00")) {
				// Let COMMIT reach the server, drop its answer and the
				// connection: the write landed, the client cannot know.
				cut.Store(true)
				out.Write(buf[:n])
				time.Sleep(200 * time.Millisecond)
				g.cuts.Add(1)
				in.Close()
				out.Close()
				return
			}
			out.Write(buf[:n])
		}
		if err != nil {
			out.Close()
			return
		}
	}
}

// dsnVia points a PostgreSQL URL at another host:port.
func dsnVia(t *testing.T, dsn, hostport string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	u.Host = hostport
	return u.String()
}

// ---------------------------------------------------------------------------
// Holding a step in flight, for signals and for breaking the state dir
// while the step works.

// stepHold keeps a step's request in flight until released.
type stepHold struct {
	seen    func() bool
	release func()
}

// holdStep delays the step's request: an HTTP answer by latency, the database
// by a table lock the test holds until release.
func (c *mcase) holdStep(t *testing.T, st matrixStep, latency time.Duration) stepHold {
	t.Helper()
	if st.svc != "db" {
		c.sb.Faults.Add(sandbox.Fault{Method: st.method, Path: st.route(c.cc), Latency: latency, Times: 1})
		return stepHold{seen: func() bool { return c.sb.Faults.Len() == 0 }, release: func() {}}
	}
	ctx := context.Background()
	locker, err := pgx.Connect(ctx, c.dbURL)
	if err != nil {
		t.Fatal(err)
	}
	watcher, err := pgx.Connect(ctx, c.dbURL)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := locker.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "LOCK TABLE nex_gapis IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	release := func() {
		once.Do(func() {
			tx.Rollback(ctx)
			locker.Close(ctx)
			watcher.Close(ctx)
		})
	}
	t.Cleanup(release)
	return stepHold{
		seen: func() bool {
			var n int
			err := watcher.QueryRow(ctx, "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid()").Scan(&n)
			return err == nil && n > 0
		},
		release: release,
	}
}

// waitUntil polls cond for up to 20 s.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// ---------------------------------------------------------------------------
// Local faults.

// keyringAbsentCase: no Secret Service on the bus: exit 2 before any request.
func keyringAbsentCase(t *testing.T, sh *shard, st matrixStep) {
	c := sh.next(t)
	before := len(c.sb.Requests())
	r := c.runChild(t, []string{"DBUS_SESSION_BUS_ADDRESS=unix:path=" + filepath.Join(c.dir, "no-bus")},
		"run", "--config", c.cfg, "--state-dir", c.stateDir, "--only", st.id)
	c.texts["no keyring stderr"] = r.stderr
	if r.code != 2 {
		t.Errorf("exit %d, want 2\n%s", r.code, r.stderr)
	}
	for _, want := range []string{"keyring", "gnome-keyring", "Nothing was changed"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if n := len(c.sb.Requests()) - before; n != 0 {
		t.Errorf("%d requests sent without a keyring", n)
	}
	if _, err := os.Stat(filepath.Join(c.stateDir, c.cc+".json")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a state file was written without a keyring: %v", err)
	}
	c.recover(t)
}

// stateDirFault breaks the state dir while the step is in flight: "full"
// fills a small tmpfs, "read-only" remounts it read-only. Without the right
// to mount, the state dir is swapped for a regular file instead.
func stateDirFault(t *testing.T, sh *shard, st matrixStep, kind string) {
	c := sh.next(t)
	// The step's work lands while its record cannot be saved; the next run
	// finds it done, and the intent saved before the write says it is ours.
	if err := os.MkdirAll(c.stateDir, 0o700); err != nil {
		t.Fatal(err)
	}
	mounted := syscall.Mount("tmpfs", c.stateDir, "tmpfs", 0, "size=1m,mode=0700") == nil
	if mounted {
		t.Cleanup(func() { syscall.Unmount(c.stateDir, syscall.MNT_DETACH) })
	} else {
		t.Logf("cannot mount a tmpfs here: the state dir is replaced by a regular file instead")
	}
	args := c.faultArgs(t, st, c.cfg)
	// Long enough to break the state dir while the answer waits.
	h := c.holdStep(t, st, 1500*time.Millisecond)
	done := make(chan result, 1)
	go func() {
		done <- c.run(t, append([]string{"run", "--state-dir", c.stateDir, "--output", "json", "--no-preflight"}, args...)...)
	}()
	waitUntil(t, st.id+" in flight", h.seen)
	before, had := c.stateIfAny(t)
	var undo func()
	var wantErr string
	switch {
	case !mounted:
		away := c.stateDir + ".away"
		if err := os.Rename(c.stateDir, away); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(c.stateDir, []byte("not a directory"), 0o600)
		undo = func() { os.Remove(c.stateDir); os.Rename(away, c.stateDir) }
		wantErr = "not a directory"
	case kind == "full":
		filler := filepath.Join(c.stateDir, "filler")
		f, err := os.Create(filler)
		if err != nil {
			t.Fatal(err)
		}
		chunk := make([]byte, 64<<10)
		for {
			if _, err := f.Write(chunk); err != nil {
				break
			}
		}
		f.Close()
		undo = func() { os.Remove(filler) }
		wantErr = "no space left on device"
	default:
		// The run holds its lock file open for writing, so the tmpfs cannot
		// be remounted read-only (EBUSY): stack a read-only bind mount on it.
		if err := syscall.Mount(c.stateDir, c.stateDir, "", syscall.MS_BIND, ""); err != nil {
			t.Fatalf("bind mount: %v", err)
		}
		if err := syscall.Mount("", c.stateDir, "", syscall.MS_BIND|syscall.MS_REMOUNT|syscall.MS_RDONLY, ""); err != nil {
			syscall.Unmount(c.stateDir, syscall.MNT_DETACH)
			t.Fatalf("remount read-only: %v", err)
		}
		undo = func() {
			if err := syscall.Unmount(c.stateDir, syscall.MNT_DETACH); err != nil {
				t.Errorf("unmount the read-only bind: %v", err)
			}
		}
		wantErr = "read-only file system"
	}
	var once sync.Once
	t.Cleanup(func() { once.Do(undo) }) // also when the case fails first
	h.release()
	r := <-done
	d := c.parse(t, "state fault", r)
	once.Do(undo)
	if r.code != 1 {
		t.Errorf("exit %d, want 1\n%s", r.code, r.stderr)
	}
	for _, want := range []string{wantErr, "step " + st.id, "could not be saved", "then run again"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	// register-gws is held in its check (a table lock), so the state dir
	// breaks before the write: the intent cannot be saved, and no write is
	// sent. The other steps are held on their write, after the intent.
	if status, text := d.step(st.id); st.id == steps.IDRegisterGWS {
		if status != steps.StatusFailed || !strings.Contains(text, "nothing was sent") {
			t.Errorf("%s: %s (%s), want failed before any write", st.id, status, text)
		}
	} else if !status.OK() {
		t.Errorf("%s: %s (%s), want its work done before the save failed", st.id, status, text)
	}
	// The state file is the one from before the step: whole, never half written.
	after, has := c.stateIfAny(t)
	if has != had || (had && !after.Updated.Equal(before.Updated)) {
		t.Errorf("the state file changed although the state dir was broken")
	}
	if leftovers, _ := filepath.Glob(filepath.Join(c.stateDir, ".*.json.*")); len(leftovers) > 0 {
		t.Errorf("temporary state files left behind: %v", leftovers)
	}
	c.recover(t)
}

// signalCase interrupts the command while the step's request is in flight.
func signalCase(t *testing.T, sh *shard, st matrixStep, sig syscall.Signal) {
	c := sh.next(t)
	args := c.faultArgs(t, st, c.cfg)
	h := c.holdStep(t, st, time.Minute)
	cmd := exec.Command(os.Args[0], append([]string{"run", "--state-dir", c.stateDir, "--output", "json", "--no-preflight"}, args...)...)
	cmd.Env = append(os.Environ(), "NEXUS_ONBOARD_TEST_AS_MAIN=1")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	waitUntil(t, st.id+" in flight", func() bool {
		select {
		case err := <-exited:
			t.Fatalf("the command ended before %s was in flight: %v\n%s", st.id, err, errb.String())
		default:
		}
		return h.seen()
	})
	if err := cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	var err error
	select {
	case err = <-exited:
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("%v did not stop the command within 20 s", sig)
	}
	h.release()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	}
	r := result{code: code, stdout: out.String(), stderr: errb.String()}
	d := c.parse(t, "signal", r)
	if r.code != 130 {
		t.Errorf("exit %d, want 130\n%s", r.code, r.stderr)
	}
	status, text := d.step(st.id)
	if status != steps.StatusFailed || !strings.Contains(text, "interrupted") {
		t.Errorf("%s: %s (%s), want failed: interrupted", st.id, status, text)
	}
	for _, id := range st.after() {
		if got, _ := d.step(id); got != "" && got != steps.StatusNotRun {
			t.Errorf("%s after the interrupt: %s, want not-run", id, got)
		}
	}
	if !strings.Contains(r.stderr, "run again to resume") {
		t.Errorf("stderr does not say how to resume:\n%s", r.stderr)
	}
	c.checkState(t, st.id, steps.StatusFailed)
	c.recover(t)
}

// wrongCredentialCase gives the step a wrong credential (no injection: the
// sandbox itself refuses it).
func wrongCredentialCase(t *testing.T, sh *shard, st matrixStep, key string) {
	c := sh.next(t)
	wrong := "wrong-" + randomCC(t)[:8]
	c.extra = append(c.extra, wrong)
	cfg := filepath.Join(c.dir, "wrong.yaml")
	c.writeConfig(t, cfg, map[string]string{key: wrong})
	host, status, remedy := hostOfURL(c.sb.AuthURL), "401", "check the credentials"
	switch key {
	case steps.KeyTenantPass:
		// OAuth answers a bad user password with 400 invalid_grant.
		status, remedy = "400", "Bad credentials"
	case steps.KeyUCSAPIKey:
		host = hostOfURL(c.sb.NexusURL)
	}
	r, d := c.cli(t, "wrong "+key, "--config", cfg)
	c.checkRun(t, st, r, d, matrixExpect{code: 1, status: steps.StatusFailed, rest: steps.StatusNotRun, msg: []string{host, status, remedy}})
	c.recover(t)
}

// ---------------------------------------------------------------------------
// The database step's own faults.

// dbCase runs register-gws against a broken db_url.
func dbCase(t *testing.T, sh *shard, kind string) {
	st := matrixSteps[slices.IndexFunc(matrixSteps, func(s matrixStep) bool { return s.id == steps.IDRegisterGWS })]
	c := sh.next(t)
	pg := c.sb.Postgres
	var dsn string
	var want []string
	switch kind {
	case "down":
		g := newTCPGate(t, net.JoinHostPort("127.0.0.1", fmt.Sprint(pg.Port)))
		dsn = dsnVia(t, c.sb.DBURL, g.addr)
		want = []string{g.addr, "refused", "manual"}
	case "wrong password":
		wrong := "wrong-" + randomCC(t)[:8]
		c.extra = append(c.extra, wrong)
		dsn = pg.DSNWithPassword(pgserver.AppUser, wrong)
		want = []string{fmt.Sprintf("127.0.0.1:%d", pg.Port), "check the password in db_url"}
	}
	cfg := filepath.Join(c.dir, "broken-db.yaml")
	c.writeConfig(t, cfg, map[string]string{steps.KeyDBURL: dsn})
	r, d := c.cli(t, "db fault", "--config", cfg)
	c.checkRun(t, st, r, d, matrixExpect{code: 1, status: steps.StatusFailed, rest: steps.StatusNotRun, msg: want})
	c.recover(t)
}

// dbStoppedCase stops the sandbox's PostgreSQL for good, then recovers
// against a new server: run it last on its shard.
func dbStoppedCase(t *testing.T, sh *shard) {
	st := matrixSteps[slices.IndexFunc(matrixSteps, func(s matrixStep) bool { return s.id == steps.IDRegisterGWS })]
	c := sh.next(t)
	port := c.sb.Postgres.Port
	if err := c.sb.Postgres.Stop(); err != nil {
		t.Fatal(err)
	}
	r, d := c.cli(t, "db stopped", "--config", c.cfg)
	c.checkRun(t, st, r, d, matrixExpect{code: 1, status: steps.StatusFailed, rest: steps.StatusNotRun,
		msg: []string{fmt.Sprintf("127.0.0.1:%d", port), "connect"}, anyOf: []string{"manual"}})

	// The database comes back (a new server: a stopped sandbox one is gone).
	pg, err := pgserver.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pg.Stop() })
	conn, err := pgx.Connect(context.Background(), pg.AppDSN)
	if err != nil {
		t.Fatal(err)
	}
	_, err = conn.Exec(context.Background(), `CREATE TABLE nex_gapis (id serial PRIMARY KEY, url text NOT NULL, clientid text NOT NULL,
		apikey text, clientsecret text, created timestamptz, authinturl text, authexturl text, region text)`)
	conn.Close(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	c.dbURL = pg.AppDSN
	cfg := filepath.Join(c.dir, "new-db.yaml")
	c.writeConfig(t, cfg, map[string]string{steps.KeyDBURL: pg.AppDSN})
	c.recover(t, "--config", cfg)
}

// ---------------------------------------------------------------------------
// Writes whose answer is lost: the retry must check before it writes again.

// lostFault lets a write land and loses its answer.
type lostFault struct {
	name  string
	fault sandbox.Fault
}

var lostFaults = []lostFault{
	{"lost answer 502", sandbox.Fault{Status: 502, Times: 1, AfterHandling: true}},
	{"lost answer 504", sandbox.Fault{Status: 504, Times: 1, AfterHandling: true}},
	{"lost connection", sandbox.Fault{CloseConn: true, Times: 1, AfterHandling: true}},
}

// lostWriteCase lets the step's write land and loses its answer.
func lostWriteCase(t *testing.T, sh *shard, st matrixStep, lf lostFault) {
	c := sh.next(t)
	f := lf.fault
	f.Method, f.Path = st.method, st.route(c.cc)
	before := c.sb.Count(f.Method, f.Path)
	c.sb.Faults.Add(f)
	defer c.sb.Faults.Clear()
	r, d := c.cli(t, "lost write", "--config", c.cfg)
	if c.sb.Faults.Len() != 0 {
		t.Fatalf("the write was never sent")
	}
	writes := c.sb.Count(f.Method, f.Path) - before
	status, text := d.step(st.id)
	switch st.id {
	case steps.IDAuthClient, steps.IDChatServiceURI:
		// The check (GET) runs before the retry and finds our write.
		if r.code != 0 || status != steps.StatusDone {
			t.Errorf("exit %d, %s %s (%s), want 0 and done", r.code, st.id, status, text)
		}
		if writes != 1 {
			t.Errorf("%s %s sent %d times, want once", f.Method, f.Path, writes)
		}
	case steps.IDUCSService:
		// No read API: the create is sent again and answers "exists".
		if r.code != 0 || status != steps.StatusAlreadyDone {
			t.Errorf("exit %d, %s %s (%s), want 0 and already-done", r.code, st.id, status, text)
		}
		if writes != 2 {
			t.Errorf("%s %s sent %d times, want 2 (the second answered 409)", f.Method, f.Path, writes)
		}
	case steps.IDTenant:
		// The key exists only in the lost answer: the tenant is there once,
		// and the warnings say how to get the key.
		if r.code != 0 || status != steps.StatusAlreadyDone || !strings.Contains(text, "secret-tool store") {
			t.Errorf("exit %d, %s %s (%s), want 0, already-done and how to store the key", r.code, st.id, status, text)
		}
		if writes != 2 {
			t.Errorf("%s %s sent %d times, want 2 (the second answered 409)", f.Method, f.Path, writes)
		}
		if de, text := d.step(steps.IDDesignerEnv); de != steps.StatusManual || !strings.Contains(text, "not in the keyring") {
			t.Errorf("designer-env: %s (%s), want manual with a warning that the key is missing", de, text)
		}
		// What the warning asks of the admin: store the key from Digital Channels.
		for _, tn := range c.sb.Tenants() {
			if tn["id"] == c.cc {
				secrets.Store{}.Set(context.Background(), c.account(secrets.NexusAPIKey), tn["xapikey"].(string))
			}
		}
	}
	c.checkCreated(t, st)
	c.recover(t)
}

// checkCreated asserts the fault run's state records what the step made
// although the answer to its write was lost.
func (c *mcase) checkCreated(t *testing.T, st matrixStep) {
	t.Helper()
	created := c.state(t).Created
	want := map[string]string{
		steps.IDAuthClient:     steps.CreatedAuthClient,
		steps.IDChatServiceURI: steps.CreatedSetting,
		steps.IDTenant:         steps.CreatedTenant,
	}[st.id]
	if want != "" && created[want] == "" {
		t.Errorf("state does not record that this run created %s: %v", want, created)
	}
}

// lostCommitCase lets the nex_gapis transaction commit and cuts the
// connection before its answer.
func lostCommitCase(t *testing.T, sh *shard) {
	st := matrixSteps[slices.IndexFunc(matrixSteps, func(s matrixStep) bool { return s.id == steps.IDRegisterGWS })]
	c := sh.next(t)
	// A database error is not retried in the run; the next run finds the
	// row, and the intent saved before the write says it is ours.
	g := newTCPGate(t, net.JoinHostPort("127.0.0.1", fmt.Sprint(c.sb.Postgres.Port)))
	g.cutAtCommit = true
	g.open(t)
	cfg := filepath.Join(c.dir, "gated-db.yaml")
	c.writeConfig(t, cfg, map[string]string{steps.KeyDBURL: dsnVia(t, c.sb.DBURL, g.addr)})
	r, d := c.cli(t, "lost commit", "--config", cfg)
	if g.cuts.Load() != 1 {
		t.Fatalf("the COMMIT was cut %d times, want once", g.cuts.Load())
	}
	if rows := c.gapis(t); len(rows) != 1 {
		t.Errorf("%d nex_gapis rows after the lost COMMIT answer, want 1", len(rows))
	}
	status, text := d.step(st.id)
	if !(r.code == 0 && status.OK()) && !(r.code == 1 && status == steps.StatusFailed && strings.Contains(text, "nex_gapis")) {
		t.Errorf("exit %d, %s %s (%s)", r.code, st.id, status, text)
	}
	c.recover(t, "--config", cfg)
}

// ---------------------------------------------------------------------------

// TestFaultMatrix runs every fault of issue 4 against every step with a
// remote call and logs the table of faults × steps tried and survived.
func TestFaultMatrix(t *testing.T) {
	if testing.Short() {
		t.Skip("the fault matrix starts sixteen sandboxes")
	}
	ta := newMatrixTally()
	// Rows of the table: transient, permanent, local, lost writes.
	order := []string{"refused → up", "slow > timeout"}
	for _, f := range httpFaults {
		order = append(order, f.name)
	}
	order = append(order, "wrong credential", "db down", "db wrong password", "db stopped", "keyring absent", "state dir full", "state dir read-only", "SIGINT", "SIGTERM")
	for _, lf := range lostFaults {
		order = append(order, lf.name)
	}
	order = append(order, "lost COMMIT answer")

	// Each step has two sandboxes: one for the faults that wait (retry
	// delays, Retry-After), one for the rest. All sixteen run at once, from
	// goroutines rather than t.Parallel, whose limit (GOMAXPROCS) would
	// queue shards that mostly sleep.
	t.Run("matrix", func(t *testing.T) {
		var wg sync.WaitGroup
		defer wg.Wait()
		for _, st := range matrixSteps {
			shardRun := func(name string, cases int, body func(sub func(string, func(*testing.T)), sh *shard)) {
				wg.Go(func() {
					t.Run(st.id+" "+name, func(t *testing.T) {
						sh := newShard(t, cases)
						body(func(fault string, f func(t *testing.T)) {
							t.Run(fault, func(t *testing.T) {
								ta.track(t, fault, st.id)
								f(t)
							})
						}, sh)
					})
				})
			}
			shardRun("waits", 16, func(sub func(string, func(*testing.T)), sh *shard) {
				for _, hf := range httpFaults {
					if hf.class == faultTransient && st.svc != "db" {
						sub(hf.name, func(t *testing.T) { httpCase(t, sh, st, hf) })
					}
				}
				switch {
				case st.svc == "db":
					sub("lost COMMIT answer", func(t *testing.T) { lostCommitCase(t, sh) })
				case st.method == "POST" && st.path != gws.TokenPath:
					for _, lf := range lostFaults {
						sub(lf.name, func(t *testing.T) { lostWriteCase(t, sh, st, lf) })
					}
				}
			})
			shardRun("others", 24, func(sub func(string, func(*testing.T)), sh *shard) {
				if key := map[string]string{
					steps.IDContactCenter: steps.KeyAdminPassword,
					steps.IDTenantToken:   steps.KeyTenantPass,
					steps.IDUCSService:    steps.KeyUCSAPIKey,
				}[st.id]; key != "" {
					sub("wrong credential", func(t *testing.T) { wrongCredentialCase(t, sh, st, key) })
				}
				if st.svc != "db" {
					sub("refused → up", func(t *testing.T) { refusedCase(t, sh, st) })
					sub("slow > timeout", func(t *testing.T) { slowCase(t, sh, st) })
					for _, hf := range httpFaults {
						if hf.class != faultTransient {
							sub(hf.name, func(t *testing.T) { httpCase(t, sh, st, hf) })
						}
					}
				}
				sub("keyring absent", func(t *testing.T) { keyringAbsentCase(t, sh, st) })
				sub("state dir full", func(t *testing.T) { stateDirFault(t, sh, st, "full") })
				sub("state dir read-only", func(t *testing.T) { stateDirFault(t, sh, st, "read-only") })
				sub("SIGINT", func(t *testing.T) { signalCase(t, sh, st, syscall.SIGINT) })
				sub("SIGTERM", func(t *testing.T) { signalCase(t, sh, st, syscall.SIGTERM) })
				if st.svc == "db" {
					sub("db down", func(t *testing.T) { dbCase(t, sh, "down") })
					sub("db wrong password", func(t *testing.T) { dbCase(t, sh, "wrong password") })
					// Last: it stops the shard's database for good.
					sub("db stopped", func(t *testing.T) { dbStoppedCase(t, sh) })
				}
			})
		}
	})
	t.Log(ta.table(order))
}
