package sandbox

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// EnvFaults names the environment variable Start reads faults from when
// Options.FaultSpec is empty. See ParseFaults for the format.
const EnvFaults = "NEXUS_SANDBOX_FAULTS"

// Fault makes matching requests fail, slow down or lose their answer.
type Fault struct {
	// Method matches the request method; "" or "*" matches any.
	Method string
	// Path matches the request path exactly, or as a prefix when it ends in "*".
	Path string
	// Status is the HTTP status to answer with; 0 answers normally (useful with
	// Latency alone).
	Status int
	// Times is how many matching requests the fault applies to; 0 means all.
	Times int
	// Latency delays the answer.
	Latency time.Duration
	// RetryAfter, when set, is sent as the Retry-After header.
	RetryAfter string
	// Body replaces the default JSON error envelope.
	Body string
	// ContentType of Body; by default application/json for a body starting
	// with { or [, text/plain otherwise.
	ContentType string
	// AfterHandling runs the real handler first, so the write happens, and
	// then answers the fault: "the write succeeded but the answer was lost".
	AfterHandling bool
	// CloseConn drops the connection without an answer.
	CloseConn bool
}

func (f Fault) matches(method, path string) bool {
	if f.Method != "" && f.Method != "*" && !strings.EqualFold(f.Method, method) {
		return false
	}
	if prefix, ok := strings.CutSuffix(f.Path, "*"); ok {
		return strings.HasPrefix(path, prefix)
	}
	return f.Path == path
}

// Faults is the sandbox's list of active faults; it is safe for concurrent
// use. The first matching fault applies to a request.
type Faults struct {
	mu   sync.Mutex
	list []*Fault
}

// Add appends faults; they apply after those already added.
func (fs *Faults) Add(faults ...Fault) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for _, f := range faults {
		fs.list = append(fs.list, &f)
	}
}

// Clear removes every fault.
func (fs *Faults) Clear() {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.list = nil
}

// Len reports how many faults are still active.
func (fs *Faults) Len() int {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return len(fs.list)
}

// take returns the first fault matching the request and uses up one of its
// Times.
func (fs *Faults) take(method, path string) (Fault, bool) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for i, f := range fs.list {
		if !f.matches(method, path) {
			continue
		}
		got := *f
		if f.Times > 0 {
			f.Times--
			if f.Times == 0 {
				fs.list = append(fs.list[:i:i], fs.list[i+1:]...)
			}
		}
		return got, true
	}
	return Fault{}, false
}

// ParseFaults reads faults written for EnvFaults: entries separated by ";",
// each entry fields separated by spaces:
//
//	METHOD PATH [STATUS] [OPTION...]
//
// METHOD is an HTTP method or "*"; PATH is exact or a prefix ending in "*";
// STATUS is a three-digit HTTP status. OPTIONs are:
//
//	xN               apply to N requests (default: all)
//	latency=DUR      delay the answer (Go duration: 250ms, 2s)
//	retry-after=V    send Retry-After: V
//	after            run the real handler first (the write happens)
//	close            drop the connection without answering
//
// For example:
//
//	POST /nexus/v3/provisioning/tenants 500 x1; GET /environment/v3/contact-centers 503 x2 retry-after=1
func ParseFaults(spec string) ([]Fault, error) {
	var out []Fault
	for i, entry := range strings.Split(spec, ";") {
		fields := strings.Fields(entry)
		if len(fields) == 0 {
			continue
		}
		f, err := parseFault(fields)
		if err != nil {
			return nil, fmt.Errorf("%s entry %d (%q): %w", EnvFaults, i+1, strings.TrimSpace(entry), err)
		}
		out = append(out, f)
	}
	return out, nil
}

func parseFault(fields []string) (Fault, error) {
	if len(fields) < 2 {
		return Fault{}, fmt.Errorf("want METHOD PATH [STATUS] [OPTION...]")
	}
	f := Fault{Method: strings.ToUpper(fields[0]), Path: fields[1]}
	if !strings.HasPrefix(f.Path, "/") {
		return Fault{}, fmt.Errorf("path %q must start with /", f.Path)
	}
	for _, opt := range fields[2:] {
		key, val, hasVal := strings.Cut(opt, "=")
		switch {
		case len(opt) == 3 && opt[0] >= '1' && opt[0] <= '5' && isDigits(opt):
			f.Status, _ = strconv.Atoi(opt)
		case !hasVal && len(opt) > 1 && (opt[0] == 'x' || opt[0] == 'X') && isDigits(opt[1:]):
			n, _ := strconv.Atoi(opt[1:])
			if n < 1 {
				return Fault{}, fmt.Errorf("%q: the count must be at least 1 (leave it out for all requests)", opt)
			}
			f.Times = n
		case hasVal && key == "latency":
			d, err := time.ParseDuration(val)
			if err != nil || d < 0 {
				return Fault{}, fmt.Errorf("latency %q: want a Go duration such as 250ms or 2s", val)
			}
			f.Latency = d
		case hasVal && key == "retry-after":
			f.RetryAfter = val
		case !hasVal && opt == "after":
			f.AfterHandling = true
		case !hasVal && opt == "close":
			f.CloseConn = true
		default:
			return Fault{}, fmt.Errorf("unknown option %q (want STATUS, xN, latency=DUR, retry-after=V, after or close)", opt)
		}
	}
	if f.Status == 0 && f.Latency == 0 && !f.CloseConn {
		return Fault{}, fmt.Errorf("nothing to inject: give a STATUS, latency=DUR or close")
	}
	if !routeServed(f.Path) {
		return Fault{}, fmt.Errorf("no request can reach %s: the sandbox serves %s", f.Path, strings.Join(servedRoutes, ", "))
	}
	return f, nil
}

// servedRoutes are the paths the sandbox answers ({x}: any one segment).
var servedRoutes = []string{
	"/", "/health",
	"/environment/v3/contact-centers", "/environment/v3/contact-centers/{cc}/settings", "/environment/v3/contact-centers/{cc}/settings/{id}",
	"/auth/v3/ops/clients", "/auth/v3/ops/clients/{id}", "/auth/v3/oauth/token",
	"/nexus/v3/provisioning/tenants", "/nexus/v3/provisioning/services/{cc}/PlatformUCS",
}

// routeServed reports whether a fault's path (exact, or a prefix ending
// in "*") can match a request the sandbox answers: a fault on a path
// nobody requests would silently never fire.
func routeServed(path string) bool {
	prefix, isPrefix := strings.CutSuffix(path, "*")
	for _, route := range servedRoutes {
		if segmentsMatch(strings.Split(prefix, "/"), strings.Split(route, "/"), isPrefix) {
			return true
		}
	}
	return false
}

func segmentsMatch(got, route []string, isPrefix bool) bool {
	if len(got) > len(route) || !isPrefix && len(got) != len(route) {
		return false
	}
	for i, g := range got {
		r := route[i]
		last := isPrefix && i == len(got)-1
		switch {
		case strings.HasPrefix(r, "{"):
			if g == "" && !last {
				return false
			}
		case last:
			if !strings.HasPrefix(r, g) {
				return false
			}
		case g != r:
			return false
		}
	}
	return true
}

// String lists the faults still active, in ParseFaults' format.
func (fs *Faults) String() string {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	var out []string
	for _, f := range fs.list {
		e := f.Method + " " + f.Path
		if f.Status != 0 {
			e += " " + strconv.Itoa(f.Status)
		}
		if f.Times > 0 {
			e += " x" + strconv.Itoa(f.Times)
		}
		if f.Latency > 0 {
			e += " latency=" + f.Latency.String()
		}
		if f.RetryAfter != "" {
			e += " retry-after=" + f.RetryAfter
		}
		if f.AfterHandling {
			e += " after"
		}
		if f.CloseConn {
			e += " close"
		}
		out = append(out, e)
	}
	return strings.Join(out, "; ")
}

func isDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// serveFault applies f to a request that next would otherwise answer.
func serveFault(w http.ResponseWriter, r *http.Request, f Fault, next http.Handler) {
	if f.Latency > 0 {
		t := time.NewTimer(f.Latency)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			// The client gave up. Returning would let net/http send an
			// implicit 200, which a racing client could still read.
			panic(http.ErrAbortHandler)
		}
	}
	if f.Status == 0 && !f.CloseConn {
		next.ServeHTTP(w, r)
		return
	}
	if f.AfterHandling {
		next.ServeHTTP(&discardWriter{header: http.Header{}}, r)
	}
	if f.CloseConn {
		// The server closes an HTTP/1 connection (and resets an HTTP/2
		// stream) without writing anything, and does not log this panic.
		panic(http.ErrAbortHandler)
	}
	if f.RetryAfter != "" {
		w.Header().Set("Retry-After", f.RetryAfter)
	}
	body, ctype := f.Body, f.ContentType
	if body == "" {
		writeError(w, f.Status, fmt.Sprintf("sandbox fault: injected %d %s", f.Status, http.StatusText(f.Status)))
		return
	}
	if ctype == "" {
		ctype = "text/plain; charset=utf-8"
		if t := strings.TrimSpace(body); strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[") {
			ctype = "application/json"
		}
	}
	w.Header().Set("Content-Type", ctype)
	w.WriteHeader(f.Status)
	_, _ = w.Write([]byte(body))
}

// discardWriter swallows the real handler's answer for AfterHandling faults.
type discardWriter struct{ header http.Header }

func (d *discardWriter) Header() http.Header         { return d.header }
func (d *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (d *discardWriter) WriteHeader(int)             {}
