package wizard

import (
	"strings"
	"testing"
)

// The sandbox without an OS keyring says where its secrets are, and does
// not point at secret-tool, which would find nothing.
func TestSummarySaysSecretsAreInMemory(t *testing.T) {
	m := fixtureModel(t, 100, 60)
	m.params.KeyringNote = "no OS keyring answered"
	m.state = fixtureState("")
	m.toSummary()
	view := strings.Join(m.sum.lines(100), "\n")
	if !strings.Contains(view, "Secrets in memory") || strings.Contains(view, "secret-tool lookup") {
		t.Errorf("summary with secrets in memory:\n%s", view)
	}
}
