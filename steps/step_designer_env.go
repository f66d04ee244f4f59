package steps

import (
	"context"
	"fmt"
	"strings"

	"github.com/nexus-onboard/nexus-onboard/clients/redact"
	"github.com/nexus-onboard/nexus-onboard/clients/secrets"
)

// IDDesignerEnv shows the DesignerEnv transaction's values (manual).
const IDDesignerEnv = "designer-env"

const (
	designerBaseURL     = "/nexus/v1"
	designerURL         = "/nexus/v3"
	designerTransaction = "DesignerEnv"
)

var designerEnv = Declare(Step{
	ID: IDDesignerEnv, Title: "DesignerEnv transaction (manual)",
	Doc:  "Routing with Designer needs the DesignerEnv list transaction in Agent Setup; no public API: the tool shows the exact values to enter.",
	Uses: []string{OutCCID},
	Plan: func(e *Env) []Planned {
		var b strings.Builder
		b.WriteString("-- manual, in Agent Setup: Environment tenant > Transactions > List \"DesignerEnv\" (name and alias)\n")
		for _, kv := range DesignerEnv(redact.Mask + " (the tenant's Nexus API key)") {
			fmt.Fprintf(&b, "--   %-8s = %s\n", kv[0], kv[1])
		}
		return []Planned{{Note: "nothing is sent: the tool shows these values", SQL: strings.TrimRight(b.String(), "\n")}}
	},
	Manual: func(*Record) *ManualWork {
		w := &ManualWork{Title: "Agent Setup > Environment tenant > Transactions: List \"DesignerEnv\" (name and alias)"}
		for _, kv := range DesignerEnv("") {
			v := ManualValue{Name: kv[0], Value: kv[1]}
			if kv[0] == "password" {
				v.Secret = OutAPIKey
			}
			w.Values = append(w.Values, v)
		}
		return w
	},
	Audit: func(context.Context, *Env, *State) *Diagnosis {
		return &Diagnosis{Status: HealthManual, Detail: "no API: in Agent Setup, check that the DesignerEnv transaction has baseurl " + designerBaseURL + ", url " + designerURL + " and the tenant's Nexus API key as password"}
	},
}, Does[none]{
	Run: runDesignerEnv,
	Undo: func(e *Env, st *State) []Undo {
		if r := st.Steps[IDDesignerEnv]; r == nil || (r.Status != StatusManual && r.Status != StatusDone && r.Status != StatusAlreadyDone) {
			return nil
		}
		return []Undo{{Step: IDDesignerEnv, Manual: true,
			What: "if you entered them: remove baseurl, password and url from the DesignerEnv transaction in Agent Setup"}}
	},
})

// DesignerEnv returns the DesignerEnv transaction options; the password is
// the tenant's Nexus API key.
func DesignerEnv(apiKey string) [][2]string {
	return [][2]string{{"baseurl", designerBaseURL}, {"password", apiKey}, {"url", designerURL}}
}

func runDesignerEnv(ctx context.Context, e *Env, _ none) (Result, error) {
	_, _, ok, why, err := TenantKey(ctx, e)
	if err != nil {
		return Result{}, err
	}
	res := Result{
		Status: StatusManual,
		Outputs: map[string]string{
			"transaction": designerTransaction, "type": "List",
			"baseurl": designerBaseURL, "url": designerURL,
			"password": "the Nexus API key (keyring " + secrets.Service + " / " + apiKeyAccount(e) + ")",
		},
		Message: "In Agent Setup (Environment tenant), open or create the List transaction DesignerEnv (name and alias) and set baseurl, password and url as shown",
	}
	if !ok {
		res.Warning = why + ": password must be this tenant's key; see the tenant step"
	}
	return res, nil
}
