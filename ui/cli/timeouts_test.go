package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/nexus-onboard/nexus-onboard/clients/httpx"
	"github.com/nexus-onboard/nexus-onboard/steps"
	"github.com/nexus-onboard/nexus-onboard/ui/app"
)

// Invalid timeouts are usage errors (exit 2) that name the flag, before
// anything is loaded or sent.
func TestTimeoutFlagsUsage(t *testing.T) {
	for _, tt := range []struct {
		name    string
		args    []string
		environ []string
		want    string
	}{
		{"bad flag", []string{"run", "--request-timeout", "soon"}, nil, "--request-timeout"},
		{"zero flag", []string{"run", "--step-timeout", "0"}, nil, "--step-timeout must be a positive duration"},
		{"bad env", []string{"run"}, []string{"NEXUS_ONBOARD_STEP_TIMEOUT=1 minute"}, "NEXUS_ONBOARD_STEP_TIMEOUT (--step-timeout) must be a positive duration"},
		{"negative env", []string{"run"}, []string{"NEXUS_ONBOARD_REQUEST_TIMEOUT=-5s"}, "(--request-timeout)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			a := &App{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr, Environ: append([]string{"NEXUS_ONBOARD_STATE_DIR=" + t.TempDir()}, tt.environ...)}
			if code := a.Main(tt.args); code != app.ExitUsage {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, app.ExitUsage, stderr.String())
			}
			if !strings.Contains(stderr.String(), tt.want) {
				t.Fatalf("stderr lacks %q:\n%s", tt.want, stderr.String())
			}
		})
	}
}

// Flag > env > default.
func TestTimeoutsResolve(t *testing.T) {
	resolve := func(args, environ []string) (time.Duration, time.Duration) {
		t.Helper()
		var c common
		fs := pflag.NewFlagSet("x", pflag.ContinueOnError)
		c.register(fs)
		if err := fs.Parse(args); err != nil {
			t.Fatal(err)
		}
		r, s, err := c.timeouts(environ)
		if err != nil {
			t.Fatal(err)
		}
		return r, s
	}
	if r, s := resolve(nil, nil); r != httpx.DefaultTimeout || s != steps.DefaultStepTimeout {
		t.Errorf("defaults %v %v", r, s)
	}
	env := []string{"NEXUS_ONBOARD_REQUEST_TIMEOUT=30s", "NEXUS_ONBOARD_STEP_TIMEOUT=2m"}
	if r, s := resolve(nil, env); r != 30*time.Second || s != 2*time.Minute {
		t.Errorf("env %v %v", r, s)
	}
	if r, s := resolve([]string{"--request-timeout=5s", "--step-timeout=90s"}, env); r != 5*time.Second || s != 90*time.Second {
		t.Errorf("flags %v %v", r, s)
	}
}
