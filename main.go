// Command nexus-onboard enables a tenant of Genesys Multicloud CX private
// edition for Digital Channels: an interactive wizard and a headless runner
// over the same steps. main only wires the pieces together.
package main

import (
	"context"
	"os"
	"path/filepath"
	"runtime/debug"

	"github.com/nexus-onboard/nexus-onboard/clients/sandbox"
	"github.com/nexus-onboard/nexus-onboard/ui/app"
	"github.com/nexus-onboard/nexus-onboard/ui/cli"
	"github.com/nexus-onboard/nexus-onboard/ui/wizard"
)

// Set by the linker (see .goreleaser.yaml); cli.BuildVersion fills in what
// it did not set.
var (
	version = "dev"
	commit  = "none"
	date    = "unknown"
)

func main() {
	// A go install or go run build has no -ldflags: its module version and
	// VCS revision come from the build information instead.
	v, c, d := cli.BuildVersion(version, commit, date, debug.ReadBuildInfo)
	a := &cli.App{
		Version:      v,
		Commit:       c,
		Date:         d,
		StartSandbox: startSandbox,
		Wizard:       wizard.Run,
		StartSandboxTenants: func(ctx context.Context, dir string, n int) (*app.SandboxInfo, error) {
			return startSandboxWith(ctx, sandbox.Options{WithDB: true, Dir: dir, RandomIdentity: true, ContactCenters: sandbox.RandomContactCenters(n)}, true)
		},
	}
	os.Exit(a.Main(os.Args[1:]))
}

// startSandbox runs the built-in sandbox with a throwaway database when
// PostgreSQL is installed; Start writes a ready config file into dir. Each
// sandbox gets its own random contact center id and tenant name, so that
// sandboxes (and their keyring entries and state, which are per contact
// center) never meet.
func startSandbox(ctx context.Context, dir string) (*app.SandboxInfo, error) {
	return startSandboxWith(ctx, sandbox.Options{WithDB: true, Dir: dir, RandomIdentity: true}, false)
}

// startSandboxWith starts a sandbox with o; withManifest also writes a
// batch manifest of its contact centers, secrets as files.
func startSandboxWith(ctx context.Context, o sandbox.Options, withManifest bool) (*app.SandboxInfo, error) {
	sb, err := sandbox.Start(ctx, o)
	if err != nil {
		return nil, err
	}
	manifest, secretsDir := "", ""
	if withManifest {
		manifest = filepath.Join(o.Dir, sandbox.ManifestFileName)
		if secretsDir, err = sb.WriteManifest(manifest); err != nil {
			sb.Close()
			return nil, err
		}
	}
	return &app.SandboxInfo{
		ManifestPath: manifest, SecretsDir: secretsDir,
		AuthURL: sb.AuthURL, GWSURL: sb.GWSURL, NexusURL: sb.NexusURL, UCSURL: sb.UCSURL,
		DBURL: sb.DBURL, DBNote: sb.DBNote, ConfigPath: sb.ConfigFile, CCID: sb.CCID, Faults: sb.Faults.String,
		Close: sb.Close,
	}, nil
}
