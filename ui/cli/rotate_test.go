package cli

import (
	"context"
	"strings"
	"testing"

	"github.com/nexus-onboard/nexus-onboard/steps"
	"github.com/nexus-onboard/nexus-onboard/ui/app"
)

// rotate asks first (no terminal: --yes or nothing happens), then puts one
// new secret everywhere: doctor finds nothing afterwards.
func TestRotateCommand(t *testing.T) {
	w := newDoctorWorld(t)
	vals, _, _ := steps.Load(steps.Sources{ConfigPath: w.sb.ConfigFile})
	ctx := context.Background()
	e, err := steps.NewEnv(vals, steps.Options{Keyring: w.kr})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	acct := e.Account(steps.OutClientSecret)
	old, _ := w.kr.Get(ctx, acct)
	puts := w.sb.Count("PUT", "/auth/v3/ops/clients/"+vals.Get(steps.KeyClientID))

	code, out, errOut := w.cli(t, "rotate")
	if code != app.ExitUsage || !strings.Contains(errOut, "nothing was changed") {
		t.Fatalf("rotate without --yes and no terminal: exit %d\n%s\n%s", code, out, errOut)
	}
	if now, _ := w.kr.Get(ctx, acct); now != old || w.sb.Count("PUT", "/auth/v3/ops/clients/"+vals.Get(steps.KeyClientID)) != puts {
		t.Fatal("an unconfirmed rotate changed something")
	}

	code, out, errOut = w.cli(t, "rotate", "--yes")
	if code != app.ExitOK || !strings.Contains(out, "rotated the secret") || !strings.Contains(out, "Auth refuses the old one") {
		t.Fatalf("rotate --yes: exit %d\n%s\n%s", code, out, errOut)
	}
	now, _ := w.kr.Get(ctx, acct)
	if now == old || now == "" {
		t.Fatal("the keyring's entry did not change")
	}
	for _, s := range []string{old, now} {
		if strings.Contains(out, s) || strings.Contains(errOut, s) {
			t.Error("rotate printed a secret")
		}
	}
	if code, ds := w.doctorJSON(t); code != app.ExitOK {
		t.Errorf("doctor after rotate: exit %d: %+v", code, ds)
	}
}
