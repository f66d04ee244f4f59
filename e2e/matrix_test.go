package e2e

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
//
// This file holds the steps under test, the table of results, the shards
// and cases, the checks every case ends with, and TestFaultMatrix itself;
// the cases are in matrix_*_test.go by family.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5"
	"go.yaml.in/yaml/v3"

	"github.com/nexus-onboard/nexus-onboard/clients/gws"
	"github.com/nexus-onboard/nexus-onboard/clients/nexus"
	"github.com/nexus-onboard/nexus-onboard/clients/sandbox"
	"github.com/nexus-onboard/nexus-onboard/clients/secrets"
	"github.com/nexus-onboard/nexus-onboard/steps"
	"github.com/nexus-onboard/nexus-onboard/testkit"
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

// expect is what a fault run must end with.
type matrixExpect struct {
	code   int
	status steps.Status
	rest   steps.Status // status of the steps after the faulted one; "" not checked
	msg    []string     // all must appear in the step's error (or warning)
	anyOf  []string     // one of these must appear too
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
	testkit.RequireKeyring(t)
	ccs := make([]string, cases)
	for i := range ccs {
		ccs[i] = testkit.UUID()
	}
	dir := t.TempDir()
	sb, err := sandbox.Start(context.Background(), sandbox.Options{ContactCenters: ccs, WithDB: true, Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	if sb.DBURL == "" {
		testkit.Need(t, "PostgreSQL", fmt.Errorf("sandbox has no database: %s", sb.DBNote))
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

// hostOfURL is the host:port of a URL, as errors name it.
func hostOfURL(u string) string {
	p, _ := url.Parse(u)
	return p.Host
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
