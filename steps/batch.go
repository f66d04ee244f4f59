package steps

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/nexus-onboard/nexus-onboard/clients/gws"
	"github.com/nexus-onboard/nexus-onboard/clients/httpx"
)

// DefaultParallel is how many tenants a batch onboards at once.
const DefaultParallel = 4

// BatchTenant is one tenant of a batch: its index in the manifest and its
// resolved, validated inputs.
type BatchTenant struct {
	Index  int
	Values Values
}

// Tenant statuses of a batch: a public contract (batch --output json).
const (
	TenantOK          = "ok"
	TenantFailed      = "failed"
	TenantInterrupted = "interrupted"
)

// BatchResult is how one tenant's run ended.
type BatchResult struct {
	Index            int
	CCID, TenantName string
	Records          []*Record
	// Err is nil when every step ended OK; a *StepFailedError, ErrInterrupted
	// (also for a tenant the interrupt kept from starting), or an error
	// outside any step (lock, state, client setup).
	Err     error
	Elapsed time.Duration
}

// Status is the tenant's outcome: ok, failed or interrupted.
func (r BatchResult) Status() string {
	switch {
	case r.Err == nil:
		return TenantOK
	case errors.Is(r.Err, ErrInterrupted):
		return TenantInterrupted
	}
	return TenantFailed
}

// Failure names the step that failed ("" for a failure outside any step)
// and why, redacted; both "" when the tenant did not fail.
func (r BatchResult) Failure() (step, why string) {
	var sf *StepFailedError
	switch {
	case r.Err == nil:
		return "", ""
	case errors.As(r.Err, &sf):
		return sf.Step, sf.Err
	}
	return "", r.Err.Error()
}

// Batch onboards many tenants, each with its own Env, Runner, state file
// and lock (so a re-run resumes only what is unfinished), at most Parallel
// at once, over shared HTTP transports.
//
// What belongs to an environment (Step.Environment: the Auth client, the
// nex_gapis row) must be made once: tenants that share an Auth client
// (auth_url, client_id) or a nex_gapis row (gws_url, client_id, db_url)
// form one group, and a group's first tenant runs alone, before the others
// of its group start. Once its environment steps ended OK, the others find
// that work done and only read it; when they did not (it failed, say), the
// next tenant leads in its place. Groups run side by side.
type Batch struct {
	Tenants  []BatchTenant
	Store    Store
	Parallel int // default DefaultParallel
	// Options are each tenant's Env options; HTTP.Transport is set to the
	// batch's shared transport for the tenant's TLS settings.
	Options     Options
	StepTimeout time.Duration
	// OnStart, OnEvent and OnDone report progress, from the goroutine
	// running the tenant; they must not block for long.
	OnStart func(index int)
	OnEvent func(index int, ev Event)
	OnDone  func(BatchResult)

	mu         sync.Mutex
	transports map[string]*httpx.Transport
	ccLists    map[string]*ccList
}

// ccList is the contact centers of one environment as its ops credentials
// see them, read once for every tenant of a batch: GWS answers with all of
// them, so a GET per tenant would make a batch's work grow with the square
// of its size. A failed read is not kept: the next tenant (or a retry)
// reads again.
type ccList struct {
	mu  sync.Mutex
	ccs []gws.ContactCenter
	ok  bool
}

func (l *ccList) get(ctx context.Context, e *Env) ([]gws.ContactCenter, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ok {
		return l.ccs, nil
	}
	ccs, err := e.Auth.ContactCenters(ctx)
	if err != nil {
		return nil, err
	}
	l.ccs, l.ok = ccs, true
	return ccs, nil
}

// contactCenters is the shared list for a tenant's Auth and credentials.
func (b *Batch) contactCenters(in Values) *ccList {
	sum := sha256.Sum256([]byte(in.Get(KeyAdminPassword)))
	key := strings.Join([]string{in.Get(KeyAuthURL), in.Get(KeyAdminUser), hex.EncodeToString(sum[:]), in.Get(KeyCAFile), in.Get(KeyInsecure)}, "\x00")
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ccLists == nil {
		b.ccLists = map[string]*ccList{}
	}
	l, ok := b.ccLists[key]
	if !ok {
		l = &ccList{}
		b.ccLists[key] = l
	}
	return l
}

// Run onboards every tenant and returns their results in Tenants' order.
// When ctx ends, running tenants stop after saving their state and the
// tenants not started are reported interrupted.
func (b *Batch) Run(ctx context.Context) []BatchResult {
	parallel := b.Parallel
	if parallel <= 0 {
		parallel = DefaultParallel
	}
	sem := make(chan struct{}, parallel)
	results := make([]BatchResult, len(b.Tenants))
	run := func(pos int) BatchResult {
		t := b.Tenants[pos]
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			r := BatchResult{Index: t.Index, CCID: t.Values.Get(KeyCCID), TenantName: t.Values.Get(KeyTenantName), Err: ErrInterrupted}
			results[pos] = r
			b.done(r)
			return r
		}
		defer func() { <-sem }()
		r := b.runTenant(ctx, t, parallel)
		results[pos] = r
		b.done(r)
		return r
	}
	var wg sync.WaitGroup
	for _, group := range b.groups() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rest := group
			for len(rest) > 0 {
				lead := rest[0]
				rest = rest[1:]
				if r := run(lead); environmentSettled(r) || ctx.Err() != nil {
					break
				}
			}
			var inner sync.WaitGroup
			for _, pos := range rest {
				inner.Add(1)
				go func() { defer inner.Done(); run(pos) }()
			}
			inner.Wait()
		}()
	}
	wg.Wait()
	return results
}

func (b *Batch) done(r BatchResult) {
	if b.OnDone != nil {
		b.OnDone(r)
	}
}

// environmentSettled reports whether a tenant's run left the environment's
// work (Step.Environment) in place: its steps ended OK.
func environmentSettled(r BatchResult) bool {
	settled := false
	for _, rec := range r.Records {
		if st, ok := Lookup(rec.ID); ok && st.Environment {
			if !rec.Status.OK() {
				return false
			}
			settled = true
		}
	}
	return settled
}

// groups are the positions in Tenants of the tenants that share an
// environment's work, each group in manifest order, groups by their first.
func (b *Batch) groups() [][]int {
	parent := make([]int, len(b.Tenants))
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	owner := map[string]int{}
	for i, t := range b.Tenants {
		v := t.Values
		for _, key := range []string{
			"auth\x00" + v.Get(KeyAuthURL) + "\x00" + v.Get(KeyClientID),
			"gapis\x00" + v.Get(KeyGWSURL) + "\x00" + v.Get(KeyClientID) + "\x00" + dsnWithoutPassword(v.Get(KeyDBURL)),
		} {
			if j, ok := owner[key]; ok {
				if a, c := find(i), find(j); a != c {
					parent[max(a, c)] = min(a, c)
				}
			} else {
				owner[key] = i
			}
		}
	}
	var out [][]int
	at := map[int]int{}
	for i := range b.Tenants {
		root := find(i)
		g, ok := at[root]
		if !ok {
			g = len(out)
			at[root] = g
			out = append(out, nil)
		}
		out[g] = append(out[g], i)
	}
	return out
}

// transport is the shared transport for a tenant's TLS settings: one per
// (ca_file, insecure_skip_verify), at most parallel connections per host.
func (b *Batch) transport(in Values, parallel int) (*httpx.Transport, error) {
	key := in.Get(KeyCAFile) + "\x00" + in.Get(KeyInsecure)
	b.mu.Lock()
	defer b.mu.Unlock()
	if tr, ok := b.transports[key]; ok {
		return tr, nil
	}
	ho := b.Options.HTTP
	ho.CAFile, ho.InsecureSkipVerify, ho.MaxConnsPerHost = in.Get(KeyCAFile), in.Bool(KeyInsecure), parallel
	tr, err := httpx.NewTransport(ho)
	if err != nil {
		return nil, err
	}
	if b.transports == nil {
		b.transports = map[string]*httpx.Transport{}
	}
	b.transports[key] = tr
	return tr, nil
}

// CloseIdle closes the shared transports' idle connections.
func (b *Batch) CloseIdle() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, tr := range b.transports {
		tr.CloseIdleConnections()
	}
}

// runTenant runs the whole procedure for one tenant.
func (b *Batch) runTenant(ctx context.Context, t BatchTenant, parallel int) BatchResult {
	start := time.Now()
	r := BatchResult{Index: t.Index, CCID: t.Values.Get(KeyCCID), TenantName: t.Values.Get(KeyTenantName)}
	if b.OnStart != nil {
		b.OnStart(t.Index)
	}
	tr, err := b.transport(t.Values, parallel)
	if err != nil {
		r.Err = err
		r.Elapsed = time.Since(start)
		return r
	}
	opts := b.Options
	opts.HTTP.Transport = tr
	opts.ContactCenters = b.contactCenters(t.Values).get
	if opts.Invocation.Config == "" {
		// A suggested command names the tenant's (non-secret) inputs.
		opts.Invocation.Flags = t.Values.NonSecret()
	}
	if warn := b.Options.Warn; warn != nil {
		opts.Warn = func(s string) { warn(fmt.Sprintf("%s: %s", TenantPart(t.Index), s)) }
	}
	env, err := NewEnv(t.Values, opts)
	if err != nil {
		r.Err, r.Elapsed = err, time.Since(start)
		return r
	}
	defer env.Close()
	runner := &Runner{Env: env, Store: b.Store, StepTimeout: b.StepTimeout}
	if b.OnEvent != nil {
		runner.OnEvent = func(ev Event) { b.OnEvent(t.Index, ev) }
	}
	defer runner.Close()
	sel, err := Select(nil, nil, t.Values)
	if err == nil {
		r.Records, err = runner.Run(ctx, sel)
	}
	if err != nil && !errors.Is(err, ErrInterrupted) {
		var sf *StepFailedError
		if !errors.As(err, &sf) {
			err = env.Redactor.Wrap(err)
		}
	}
	r.Err, r.Elapsed = err, time.Since(start)
	return r
}
