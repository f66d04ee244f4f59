package sandbox

import (
	"fmt"
	"os"
	"path/filepath"

	"go.yaml.in/yaml/v3"
)

// ManifestFileName is the batch manifest WriteManifest writes into
// Options.Dir when asked (sandbox --serve --tenants N).
const ManifestFileName = "tenants.yaml"

// SecretsDirName holds the secret files the manifest refers to.
const SecretsDirName = "secrets"

// manifestDefaults are the inputs every tenant of the sandbox shares; the
// secrets are references to files (<key>_file), never clear values.
type manifestDefaults struct {
	GWSURL              string `yaml:"gws_url"`
	AuthURL             string `yaml:"auth_url"`
	NexusURL            string `yaml:"nexus_url"`
	UCSURL              string `yaml:"ucs_url"`
	CAFile              string `yaml:"ca_file"`
	ClientID            string `yaml:"client_id"`
	GWSAdminUser        string `yaml:"gws_admin_user"`
	GWSAdminPasswordRef string `yaml:"gws_admin_password_file"`
	TenantUser          string `yaml:"tenant_user"`
	TenantPasswordRef   string `yaml:"tenant_password_file"`
	UCSAPIKeyRef        string `yaml:"ucs_api_key_file"`
	DBURLRef            string `yaml:"db_url_file,omitempty"`
}

type manifestTenant struct {
	CCID       string `yaml:"cc_id"`
	TenantName string `yaml:"tenant_name"`
}

// WriteManifest writes a nexus-onboard batch manifest with one tenant per
// contact center of the sandbox (tenant names <TenantName>_<i>) to path,
// and the secrets it refers to as files (mode 0600) under
// <Dir>/secrets: the manifest holds no secret in clear. It returns the
// secrets directory.
func (s *Sandbox) WriteManifest(path string) (string, error) {
	dir := filepath.Join(s.Opts.Dir, SecretsDirName)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("create the sandbox secrets directory: %w", err)
	}
	files := map[string]string{
		"gws_admin_password": s.Opts.OpsPassword,
		"tenant_password":    s.Opts.TenantPassword,
		"ucs_api_key":        s.Opts.UCSAPIKey,
	}
	if s.DBURL != "" {
		files["db_url"] = s.DBURL
	}
	for name, v := range files {
		if err := writePrivate(filepath.Join(dir, name), []byte(v+"\n")); err != nil {
			return "", err
		}
	}
	ref := func(name string) string {
		if _, ok := files[name]; !ok {
			return ""
		}
		return filepath.Join(dir, name)
	}
	doc := struct {
		Defaults manifestDefaults `yaml:"defaults"`
		Tenants  []manifestTenant `yaml:"tenants"`
	}{Defaults: manifestDefaults{
		GWSURL: s.GWSURL, AuthURL: s.AuthURL, NexusURL: s.NexusURL, UCSURL: s.UCSURL, CAFile: s.CAFile,
		ClientID: DefaultClientID, GWSAdminUser: s.Opts.OpsUser, GWSAdminPasswordRef: ref("gws_admin_password"),
		TenantUser: s.Opts.TenantUser, TenantPasswordRef: ref("tenant_password"), UCSAPIKeyRef: ref("ucs_api_key"), DBURLRef: ref("db_url"),
	}}
	for i, cc := range s.Opts.ContactCenters {
		doc.Tenants = append(doc.Tenants, manifestTenant{CCID: cc, TenantName: fmt.Sprintf("%s_%d", s.Opts.TenantName, i)})
	}
	out, err := yaml.Marshal(doc)
	if err != nil {
		return "", fmt.Errorf("encode the sandbox manifest: %w", err)
	}
	return dir, writePrivate(path, out)
}

// writePrivate writes a file only its owner can read.
func writePrivate(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return fmt.Errorf("restrict %s to its owner: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}

// RandomContactCenters returns n distinct random contact center ids, for
// Options.ContactCenters (sandbox --tenants N).
func RandomContactCenters(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = newUUID()
	}
	return out
}
