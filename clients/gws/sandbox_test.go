package gws_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/nexus-onboard/nexus-onboard/clients/gws"
	"github.com/nexus-onboard/nexus-onboard/clients/httpx"
	"github.com/nexus-onboard/nexus-onboard/clients/sandbox"
)

// TestAgainstSandboxNoSecretInURL runs every call against the sandbox, which
// refuses a credential in a URL as a strict server would, and asserts from
// the server's side that no request URI carried a secret.
func TestAgainstSandboxNoSecretInURL(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sb, err := sandbox.Start(ctx, sandbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	h, err := httpx.New(httpx.Options{CAPEM: sb.CAPEM, Timeout: 5 * time.Second, MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	c := gws.New(h, sb.AuthURL, sb.Opts.OpsUser, sb.Opts.OpsPassword)
	const id = "nexus_client"
	secret := "Zq8&client+secret%:" + sb.CCID
	nexusURL := sb.NexusURL

	if _, err := c.ContactCenters(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.CreateClient(ctx, gws.NexusClient(id, secret, nexusURL)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetClient(ctx, id); err != nil {
		t.Fatal(err)
	}
	if err := c.UpdateClient(ctx, gws.NexusClient(id, secret, nexusURL)); err != nil {
		t.Fatal(err)
	}
	cc, err := c.ClientCredentialsToken(ctx, id, secret)
	if err != nil {
		t.Fatalf("client_credentials: %v", err)
	}
	pw, err := c.PasswordToken(ctx, id, secret, sb.CCID+`\`+sb.Opts.TenantUser, sb.Opts.TenantPassword)
	if err != nil {
		t.Fatalf("password grant: %v", err)
	}
	if err := c.CreateSetting(ctx, sb.CCID, gws.Setting{Name: gws.ChatServiceURISetting, Location: "/", Value: nexusURL}); err != nil {
		t.Fatal(err)
	}
	set, err := c.Settings(ctx, sb.CCID)
	if err != nil || len(set) != 1 {
		t.Fatalf("settings = %v, %v", set, err)
	}
	if err := c.DeleteSetting(ctx, sb.CCID, set[0].ID); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteClient(ctx, id); err != nil {
		t.Fatal(err)
	}
	if err := c.Ping(ctx); err != nil {
		t.Fatal(err)
	}

	if bad := sb.RequestsWithSecretInURL(); len(bad) != 0 {
		t.Errorf("the sandbox saw secrets in URLs: %v", bad)
	}
	secrets := []string{secret, sb.Opts.OpsPassword, sb.Opts.TenantPassword, cc.AccessToken, pw.AccessToken, pw.RefreshToken}
	logs := sb.Requests()
	if len(logs) != 11 {
		t.Errorf("sandbox saw %d requests, want 11", len(logs))
	}
	for _, l := range logs {
		if l.Status >= 300 && l.Path != "/" {
			t.Errorf("%v answered %d", l, l.Status)
		}
		if strings.Contains(l.URI, "?") {
			t.Errorf("%s %s carried a query", l.Method, l.Path)
		}
		for _, s := range secrets {
			if s != "" && (strings.Contains(l.URI, s) || strings.Contains(l.URI, url.QueryEscape(s)) || strings.Contains(l.URI, url.PathEscape(s))) {
				t.Errorf("%s %s: the URI holds a secret", l.Method, l.Path)
			}
		}
	}
}
