package steps

import (
	"context"
	"fmt"
	"strings"

	"github.com/nexus-onboard/nexus-onboard/clients/nexusdb"
	"github.com/nexus-onboard/nexus-onboard/clients/redact"
)

// IDRegisterGWS registers GWS in the Digital Channels database.
const IDRegisterGWS = "register-gws"

// CreatedGapiRow records (in State.Created) the nex_gapis row this tool
// inserted, as "<gws url> <client id>".
const CreatedGapiRow = "gapi_row"

// OutSQL is the output of a manual database step: the SQL to run.
const OutSQL = "sql"

var registerGWS = Declare(Step{
	ID: IDRegisterGWS, Title: "Register GWS in nex_gapis",
	Doc:         "Insert (or update) the nex_gapis row for GWS in the Digital Channels database, in one transaction with bound parameters. Without db_url: prints the SQL to run and records manual.",
	Needs:       []string{KeyGWSURL, KeyClientID},
	Uses:        []string{OutCCID, OutClientSecret},
	Environment: true,
	Holds:       []string{OutClientSecret},
	Creates:     []string{CreatedGapiRow},
	Plan:        planRegisterGWS,
	Audit: func(_ context.Context, e *Env, _ *State) *Diagnosis {
		if e.In.Get(KeyDBURL) != "" {
			return nil // the check reads nex_gapis
		}
		return &Diagnosis{Status: HealthManual,
			Detail: "db_url is not set: check nex_gapis by hand with this read-only SQL (psql; the secret is read from the keyring)",
			SQL:    nexusdb.ManualCheckSQL(e.In.Get(KeyGWSURL), e.In.Get(KeyClientID), clientSecretAccount(e))}
	},
	Manual: func(rec *Record) *ManualWork {
		if rec.Outputs[OutSQL] == "" {
			return nil
		}
		return &ManualWork{Title: "Run this with psql against the Digital Channels database", SQL: rec.Outputs[OutSQL]}
	},
}, Does[gapiSeen]{
	Check:   checkRegisterGWS,
	Intends: intendsRegisterGWS,
	Run:     runRegisterGWS,
	Undo:    undoRegisterGWS,
})

// gapiSeen is what the check found in nex_gapis.
type gapiSeen struct {
	checked bool
	rows    int // rows for this GWS URL and client id
}

func checkRegisterGWS(ctx context.Context, e *Env) (Observed[gapiSeen], error) {
	if e.In.Get(KeyDBURL) == "" {
		return Observed[gapiSeen]{}, nil
	}
	secret, err := e.need(ctx, OutClientSecret)
	if err != nil {
		return Observed[gapiSeen]{}, err
	}
	db, err := e.database(ctx)
	if err != nil {
		return Observed[gapiSeen]{}, err
	}
	rows, err := db.FindGapis(ctx, e.In.Get(KeyGWSURL), e.In.Get(KeyClientID))
	if err != nil {
		return Observed[gapiSeen]{}, err
	}
	seen := gapiSeen{checked: true, rows: len(rows)}
	if len(rows) == 0 {
		return Observed[gapiSeen]{Seen: seen}, nil
	}
	for _, r := range rows {
		if r.ClientSecret != secret {
			return Observed[gapiSeen]{Seen: seen}, nil
		}
	}
	return Observed[gapiSeen]{Done: true, Seen: seen, Result: Result{Outputs: map[string]string{"rows": fmt.Sprint(len(rows))}, Message: "nex_gapis has GWS with the current secret"}}, nil
}

func intendsRegisterGWS(e *Env, seen gapiSeen) map[string]string {
	if e.In.Get(KeyDBURL) == "" || !seen.checked || seen.rows != 0 {
		return nil // manual, or an update of a row that was there before
	}
	return map[string]string{CreatedGapiRow: e.In.Get(KeyGWSURL) + " " + e.In.Get(KeyClientID)}
}

func runRegisterGWS(ctx context.Context, e *Env, _ gapiSeen) (Result, error) {
	url, id := e.In.Get(KeyGWSURL), e.In.Get(KeyClientID)
	if e.In.Get(KeyDBURL) == "" {
		return Result{
			Status:  StatusManual,
			Outputs: map[string]string{OutSQL: nexusdb.ManualSQL(url, id, clientSecretAccount(e))},
			Message: "db_url is not set: run the SQL in outputs.sql with psql against the Digital Channels database (the secret is read from the keyring, not written in the SQL)",
		}, nil
	}
	secret, err := e.need(ctx, OutClientSecret)
	if err != nil {
		return Result{}, err
	}
	db, err := e.database(ctx)
	if err != nil {
		return Result{}, err
	}
	outcome, err := db.EnsureGapi(ctx, url, id, secret)
	if err != nil {
		return Result{}, err
	}
	res := Result{Outputs: map[string]string{"outcome": string(outcome)}, Message: "nex_gapis: " + string(outcome)}
	if outcome == nexusdb.Inserted {
		res.Created = map[string]string{CreatedGapiRow: url + " " + id}
	}
	return res, nil
}

func planRegisterGWS(e *Env) []Planned {
	if e.In.Get(KeyDBURL) == "" {
		return []Planned{{Note: "db_url is not set: the step prints this SQL for you to run with psql (manual)",
			SQL: nexusdb.ManualSQL(e.In.Get(KeyGWSURL), e.In.Get(KeyClientID), clientSecretAccount(e))}}
	}
	return []Planned{{
		Note: "on " + e.Redactor.URL(e.In.Get(KeyDBURL)) + ", in one transaction with bound parameters",
		SQL: fmt.Sprintf("SELECT id, clientsecret FROM nex_gapis WHERE url = '%s' AND clientid = '%s';\n"+
			"-- no row:\nINSERT INTO nex_gapis (url, clientid, apikey, clientsecret, created) VALUES ('%s', '%s', 'NA', '%s', now());\n"+
			"-- a row with another secret:\nUPDATE nex_gapis SET clientsecret = '%s' WHERE url = '%s' AND clientid = '%s';",
			e.In.Get(KeyGWSURL), e.In.Get(KeyClientID), e.In.Get(KeyGWSURL), e.In.Get(KeyClientID), redact.Mask, redact.Mask, e.In.Get(KeyGWSURL), e.In.Get(KeyClientID)),
	}}
}

// undoRegisterGWS deletes the row this tool inserted, if it still holds
// the secret in the keyring; without db_url it says what to run.
func undoRegisterGWS(e *Env, st *State) []Undo {
	row, ok := st.Created[CreatedGapiRow]
	if !ok {
		return nil
	}
	// The client id holds no space (badClientID); the URL may.
	i := strings.LastIndexByte(row, ' ')
	url, id := row[:i], row[i+1:]
	u := Undo{Step: IDRegisterGWS, What: fmt.Sprintf("delete the nex_gapis row for %s / %s, if it still holds our secret", url, id)}
	if e.In.Get(KeyDBURL) == "" {
		u.Manual = true
		u.What = "db_url is not set: run with psql: " + manualDelete(url, id)
	} else {
		u.Needs = []string{KeyDBURL}
		u.Plan = []Planned{{Note: "in one statement, bound parameters", SQL: manualDelete(url, id) + " -- only rows whose clientsecret is the one in the keyring"}}
		u.run = func(ctx context.Context, e *Env) (string, error) { return undoGapi(ctx, e, url, id) }
	}
	return []Undo{u}
}

func manualDelete(url, id string) string {
	return fmt.Sprintf("DELETE FROM %s WHERE url = '%s' AND clientid = '%s';", nexusdb.Table, strings.ReplaceAll(url, "'", "''"), strings.ReplaceAll(id, "'", "''"))
}

func undoGapi(ctx context.Context, e *Env, url, id string) (string, error) {
	secret, ok, err := e.Output(ctx, OutClientSecret)
	if err != nil {
		return "", err
	}
	db, err := e.database(ctx)
	if err != nil {
		return "", err
	}
	rows, err := db.FindGapis(ctx, url, id)
	if err != nil {
		return "", err
	}
	if len(rows) == 0 {
		return "already gone", nil
	}
	for _, r := range rows {
		if !ok || r.ClientSecret != secret {
			return "left alone: the row holds a secret this tool does not know (rotated or made by someone else)", nil
		}
	}
	n, err := db.DeleteGapis(ctx, url, id)
	if err != nil {
		return "", err
	}
	return "deleted " + Plural(int(n), "row"), nil
}
