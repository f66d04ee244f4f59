package steps_test

import (
	"context"
	"testing"

	"github.com/nexus-onboard/nexus-onboard/steps"
)

// A server certificate signed by a CA this machine does not trust carries
// the typed fix "give ca_file": the faces offer it without reading text.
func TestUntrustedCertificateCarriesTheCAFileFix(t *testing.T) {
	f := newFixture(t)
	vals := f.vals.Clone()
	vals.Set(steps.KeyCAFile, "", steps.FromUser)
	e, err := steps.NewEnv(vals, steps.Options{Keyring: f.kr})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	_, err = steps.DiscoverContactCenters(context.Background(), e)
	if err == nil {
		t.Fatal("the sandbox's certificate was trusted without its CA")
	}
	if got := steps.FixOf(err); got != steps.FixCAFile {
		t.Errorf("FixOf = %q, want %q (%v)", got, steps.FixCAFile, err)
	}
}
