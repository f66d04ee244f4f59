package cli

import (
	"context"
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

// versionOptions are what `version` prints from.
type versionOptions struct {
	app *App
}

func newCmdVersion(a *App) *cobra.Command {
	opts := &versionOptions{app: a}
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version, commit and build time",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return versionRun(cmd.Context(), opts)
		},
	}
}

func versionRun(_ context.Context, opts *versionOptions) error {
	a := opts.app
	fmt.Fprintln(a.Stdout, versionLine(a.Version, a.Commit, a.Date))
	return nil
}

// versionLine is what `version` prints; what is not known is left out.
func versionLine(version, commit, date string) string {
	if version == "" {
		version = unsetVersion
	}
	var known []string
	if commit != "" && commit != unsetCommit {
		known = append(known, "commit "+commit)
	}
	if date != "" && date != unsetDate {
		known = append(known, "built "+date)
	}
	if len(known) == 0 {
		return "nexus-onboard " + version
	}
	return "nexus-onboard " + version + " (" + strings.Join(known, ", ") + ")"
}

// What main's version, commit and date hold when the linker set none (see
// .goreleaser.yaml: -X main.version=… -X main.commit=… -X main.date=…).
const (
	unsetVersion = "dev"
	unsetCommit  = "none"
	unsetDate    = "unknown"
)

// BuildVersion completes the version, commit and date the linker set with
// the build information Go records (pass debug.ReadBuildInfo): a `go
// install module@v1.2.0` build knows its module version, and a build in a
// Git checkout (go build, go run) its VCS revision and commit time. What the
// linker set always wins.
func BuildVersion(version, commit, date string, readBuildInfo func() (*debug.BuildInfo, bool)) (string, string, string) {
	if version == "" {
		version = unsetVersion
	}
	if commit == "" {
		commit = unsetCommit
	}
	if date == "" {
		date = unsetDate
	}
	if readBuildInfo == nil {
		return version, commit, date
	}
	info, ok := readBuildInfo()
	if !ok || info == nil {
		return version, commit, date
	}
	if v := info.Main.Version; version == unsetVersion && v != "" && v != "(devel)" {
		version = v
	}
	rev, when, modified := vcsInfo(info)
	if commit == unsetCommit && rev != "" {
		commit = rev
		if modified {
			commit += "-dirty"
		}
	}
	if date == unsetDate && when != "" {
		date = when
	}
	return version, commit, date
}

// vcsInfo is the revision, commit time and dirtiness Go recorded.
func vcsInfo(info *debug.BuildInfo) (rev, when string, modified bool) {
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			when = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	return rev, when, modified
}
