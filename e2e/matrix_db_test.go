package e2e

// Fault matrix: the database step's own faults — PostgreSQL down, a wrong
// password, stopped for good, and a COMMIT whose answer is lost.

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/nexus-onboard/nexus-onboard/clients/pgserver"
	"github.com/nexus-onboard/nexus-onboard/steps"
	"github.com/nexus-onboard/nexus-onboard/testkit"
)

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
		wrong := "wrong-" + testkit.UUID()[:8]
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
