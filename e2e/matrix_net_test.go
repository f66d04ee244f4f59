package e2e

// Fault matrix: the network under a step, in process for what the command
// line cannot do: a per-attempt timeout shorter than a slow answer, and a
// hook that brings a refused service up after its first refusal. tcpGate
// stands in front of a service for these and for the database cases.

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nexus-onboard/nexus-onboard/clients/httpx"
	"github.com/nexus-onboard/nexus-onboard/clients/sandbox"
	"github.com/nexus-onboard/nexus-onboard/clients/secrets"
	"github.com/nexus-onboard/nexus-onboard/steps"
)

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
