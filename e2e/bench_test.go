package e2e

// Benchmarks of the headless runner: `bash .ci/test -run '^$' -bench . ./e2e/`.

import (
	"testing"
)

// BenchmarkHeadlessRun measures a full second (idempotent) run and a first
// run against the in-process sandbox, real keyring and PostgreSQL included.
func BenchmarkHeadlessRun(b *testing.B) {
	w := newWorld(b)
	if r := w.run(b, "run", "--config", w.cfg, "--state-dir", w.stateDir, "--output", "json"); r.code != 0 {
		b.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if r := w.run(b, "run", "--config", w.cfg, "--state-dir", w.stateDir, "--output", "json"); r.code != 0 {
			b.Fatalf("exit %d: %s", r.code, r.stderr)
		}
	}
}
