package steps

import (
	"context"
	"errors"
	"fmt"
)

// Health is the verdict of one step's drift check: a public contract
// (doctor --output json).
type Health string

// Verdicts.
const (
	HealthOK      Health = "ok"      // the work is in place, as the step would leave it
	HealthDrift   Health = "drift"   // changed or gone since: Fix repairs it
	HealthManual  Health = "manual"  // no API can tell: Detail says what to look at
	HealthUnknown Health = "unknown" // not checked: what it needs failed or is missing
	HealthError   Health = "error"   // the check could not run
)

// Diagnosis is one step's drift check.
type Diagnosis struct {
	ID     string `json:"id"`
	Status Health `json:"status"`
	Detail string `json:"detail"`
	// Fix is a command that repairs the drift, runnable as printed; "" for none.
	Fix string `json:"fix"`
	// SQL is a read-only psql script to check by hand (no db_url).
	SQL string `json:"-"`
	// Kind names the fix, typed (FixRotateSecret), for a face to offer it
	// as an action; "" when Fix is the step's own re-run.
	Kind Fix `json:"-"`
}

// Doctor checks, live and read-only, whether the work of every step is
// still in place: each step's own check (for read-only steps, the step
// itself: they only read and ask for tokens), or the step's Audit where
// no check can tell. It sends no write: GETs, SELECTs and token requests.
func Doctor(ctx context.Context, e *Env, st *State) []Diagnosis {
	e.UseState(st)
	out := make([]Diagnosis, 0, len(All))
	failed := map[string]bool{} // outputs whose producer could not vouch for them
	for _, s := range All {
		d := diagnose(ctx, e, st, s, failed)
		d.ID = s.ID
		d.Detail = e.Redactor.String(d.Detail)
		if d.Status != HealthOK && d.Status != HealthManual {
			for _, o := range s.Makes {
				failed[o.Name] = true
			}
		}
		out = append(out, d)
	}
	return out
}

func diagnose(ctx context.Context, e *Env, st *State, s Step, failed map[string]bool) Diagnosis {
	if s.Skip != nil {
		if why := s.Skip(e.In); why != "" {
			return Diagnosis{Status: HealthOK, Detail: "skipped: " + why}
		}
	}
	for _, u := range s.Uses {
		if failed[u] {
			out, _ := findOutput(u)
			return Diagnosis{Status: HealthUnknown, Detail: "not checked: it needs " + u + ", which " + out.Producer + " could not vouch for"}
		}
	}
	if missing := missingInputs(e.In, s); len(missing) > 0 {
		return Diagnosis{Status: HealthUnknown, Detail: fmt.Sprintf("not checked: needs %v", missing)}
	}
	rerun := e.Command("run", "--only", s.ID)
	if s.Audit != nil {
		if d := s.Audit(ctx, e, st); d != nil {
			return *d
		}
	}
	if s.HasCheck() {
		done, res, err := s.CheckDone(ctx, e)
		switch {
		case err != nil:
			return fromError(e, err, rerun)
		case done:
			return Diagnosis{Status: HealthOK, Detail: res.Message}
		}
		return Diagnosis{Status: HealthDrift, Detail: "not in place: " + s.Title, Fix: rerun}
	}
	if s.ReadOnly {
		res, err := s.behaviour().run(ctx, e, nil)
		if err != nil {
			return fromError(e, err, rerun)
		}
		return Diagnosis{Status: HealthOK, Detail: res.Message}
	}
	return Diagnosis{Status: HealthManual, Detail: "no read-only way to check " + s.Title}
}

// fromError: a failure that carries its fix (a refused secret: rotate) is
// drift; any other failure means the check could not run.
func fromError(e *Env, err error, rerun string) Diagnosis {
	var fe *FixableError
	if errors.As(err, &fe) {
		return Diagnosis{Status: HealthDrift, Detail: e.Redactor.Error(fe.Err), Fix: fe.Command, Kind: fe.Fix}
	}
	return Diagnosis{Status: HealthError, Detail: e.Redactor.Error(err)}
}

func missingInputs(in Values, s Step) []string {
	var out []string
	need := s.Needs
	if s.Requires != nil {
		need = append(append([]string{}, need...), s.Requires(in)...)
	}
	for _, k := range need {
		if in.Get(k) == "" {
			out = append(out, k)
		}
	}
	return out
}

// DoctorHealth sums up a doctor's diagnoses: drift beats a check that
// could not run, which beats manual and ok.
func DoctorHealth(ds []Diagnosis) Health {
	worst := HealthOK
	rank := map[Health]int{HealthOK: 0, HealthManual: 0, HealthUnknown: 1, HealthError: 1, HealthDrift: 2}
	for _, d := range ds {
		if rank[d.Status] > rank[worst] {
			worst = d.Status
		}
	}
	return worst
}
