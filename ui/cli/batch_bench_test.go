package cli

import (
	"os"
	"strconv"
	"testing"

	"github.com/nexus-onboard/nexus-onboard/clients/secrets"
	"github.com/nexus-onboard/nexus-onboard/steps"
	"github.com/nexus-onboard/nexus-onboard/ui/app"
)

// BenchmarkBatch onboards a batch of tenants (NEXUS_BENCH_TENANTS, default
// 100) against the in-process sandbox with its real PostgreSQL, 4 at once,
// from a fresh state each iteration (a fresh sandbox too: the tenants must
// be new). The keyring is the OS keyring (bash .ci/test) unless
// NEXUS_BENCH_KEYRING=memory.
func BenchmarkBatch(b *testing.B) {
	n := 100
	if s := os.Getenv("NEXUS_BENCH_TENANTS"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	var kr steps.Keyring = secrets.Store{}
	if os.Getenv("NEXUS_BENCH_KEYRING") == "memory" {
		kr = secrets.NewMemory()
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		w := newBatchWorld(b, n, kr)
		a, stdout, stderr := testApp(w.kr)
		b.StartTimer()
		code := a.Main([]string{"batch", w.manifest, "--state-dir", w.stateDir, "--output", "json"})
		b.StopTimer()
		if code != app.ExitOK {
			b.Fatalf("batch of %d: exit %d\n%s\n%s", n, code, stdout, stderr)
		}
		// The keyring entries of this world go with it.
		a.forgetSandbox(&app.SandboxInfo{AuthURL: w.sb.AuthURL, CCID: w.sb.CCID}, steps.Store{Dir: w.stateDir})
		w.sb.Close()
	}
	b.ReportMetric(float64(n), "tenants")
}
