package steps

import (
	"context"
	"fmt"
)

// IDTenantToken logs in as the tenant user.
const IDTenantToken = "tenant-token"

// OutAccessToken is the tenant user's access token, in memory only.
const OutAccessToken = "access_token"

var tenantToken = Declare(Step{
	ID: IDTenantToken, Title: "Log in as the tenant user",
	Doc:      "Password grant as <cc_id>\\<tenant_user> with the auth client; the token stays in memory.",
	Needs:    []string{KeyAuthURL, KeyClientID, KeyTenantUser, KeyTenantPass},
	Uses:     []string{OutCCID, OutClientSecret},
	Makes:    []Output{{Name: OutAccessToken, Where: InMemory}},
	ReadOnly: true,
	Plan: func(e *Env) []Planned {
		return []Planned{planned(e, "password grant; the token stays in memory",
			e.Auth.PasswordTokenRequest(e.In.Get(KeyClientID), phSecret, TenantUsername(e.planCCID(), e.In.Get(KeyTenantUser)), e.In.Get(KeyTenantPass)))}
	},
}, Does[none]{Run: runTenantToken})

// TenantUsername is the password grant username: <cc_id>\<tenant_user>, one backslash.
func TenantUsername(ccID, user string) string { return ccID + `\` + user }

func runTenantToken(ctx context.Context, e *Env, _ none) (Result, error) {
	secret, err := e.need(ctx, OutClientSecret)
	if err != nil {
		return Result{}, err
	}
	tok, err := e.Auth.PasswordToken(ctx, e.In.Get(KeyClientID), secret, TenantUsername(e.CCID(), e.In.Get(KeyTenantUser)), e.In.Get(KeyTenantPass))
	if err != nil {
		return Result{}, err
	}
	e.remember(OutAccessToken, tok.AccessToken, true)
	if tok.RefreshToken != "" {
		e.Redactor.Add(tok.RefreshToken)
	}
	return Result{Outputs: map[string]string{"expires_in": fmt.Sprint(tok.ExpiresIn)}, Message: "token issued for " + TenantUsername(e.CCID(), e.In.Get(KeyTenantUser)) + " (kept in memory)"}, nil
}
