package steps

import (
	"context"
	"fmt"

	"github.com/nexus-onboard/nexus-onboard/clients/secrets"
)

// IDVerifyClient proves the client and the keyring agree.
const IDVerifyClient = "verify-client"

var verifyClient = Declare(Step{
	ID: IDVerifyClient, Title: "Verify the client",
	Doc:      "Ask Auth for a client_credentials token with the stored secret: proves the client and the keyring agree.",
	Needs:    []string{KeyAuthURL, KeyClientID},
	Uses:     []string{OutCCID, OutClientSecret},
	ReadOnly: true,
	Plan: func(e *Env) []Planned {
		return []Planned{planned(e, "client_credentials grant with the stored secret", e.Auth.ClientCredentialsTokenRequest(e.In.Get(KeyClientID), phSecret))}
	},
}, Does[none]{Run: runVerifyClient})

func runVerifyClient(ctx context.Context, e *Env, _ none) (Result, error) {
	secret, err := e.need(ctx, OutClientSecret)
	if err != nil {
		return Result{}, err
	}
	tok, err := e.Auth.ClientCredentialsToken(ctx, e.In.Get(KeyClientID), secret)
	if err != nil {
		if refused(err) {
			return Result{}, needsRotation(e, fmt.Errorf("%w: %w (%s / %s)", err, ErrStaleClientSecret, secrets.Service, clientSecretAccount(e)))
		}
		return Result{}, err
	}
	e.Redactor.Add(tok.AccessToken)
	return Result{Outputs: map[string]string{"token_type": tok.TokenType, "scope": tok.Scope}, Message: "client_credentials token issued"}, nil
}
