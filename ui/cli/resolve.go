package cli

import (
	"errors"
	"fmt"

	"github.com/nexus-onboard/nexus-onboard/steps"
)

// load resolves the inputs: flag > env > config > last run > default.
func (c *common) load(a *App) (steps.Values, []string, steps.Problems) {
	vals, warnings, problems := steps.Load(steps.Sources{Flags: c.givenInputs(), Environ: a.Environ, ConfigPath: c.config})
	// Where secrets, states and locks are kept, before any is read.
	if err := c.useSecretStore(a, vals); err != nil {
		return vals, warnings, append(problems, steps.Problem{Key: steps.KeySecretStore, Msg: err.Error()})
	}
	// The last run's saved inputs of the contact center fill what is unset.
	st := c.store(a.Environ)
	cc, fromLast := vals.Get(steps.KeyCCID), false
	if cc == "" {
		cc, fromLast = st.Last(), true
	}
	if cc != "" {
		auth := vals.Get(steps.KeyAuthURL)
		saved, err := st.Load(cc)
		var se *steps.StateError
		switch {
		case err == nil:
			warnings = append(warnings, saved.Notes...)
			// The last-used contact center only fills in for a run aimed at
			// the same environment: never mix two environments' values.
			if !fromLast || auth == "" || auth == saved.Inputs[steps.KeyAuthURL] {
				vals.FillSaved(saved.Inputs)
			}
		case errors.As(err, &se) && (!fromLast || auth == ""):
			// The state of the contact center worked on (or whose saved
			// values would fill the inputs) is refused: an input error.
			problems = append(problems, steps.Problem{Key: stateProblemKey, Msg: stateProblemMsg(se)})
		}
	}
	return vals, warnings, problems
}

// stateProblemKey names, among input problems, a refused state file.
const stateProblemKey = "state"

// stateProblemMsg is a refused state as an input problem under
// stateProblemKey: its path and reason, from the error's fields.
func stateProblemMsg(se *steps.StateError) string {
	if se.Path == "" {
		return stateProblemKey + ": " + se.Reason
	}
	return se.Path + ": " + se.Reason
}

// stateProblems are the problems c.load reports about a refused state file.
func stateProblems(ps steps.Problems) steps.Problems {
	var out steps.Problems
	for _, p := range ps {
		if p.Key == stateProblemKey {
			out = append(out, p)
		}
	}
	return out
}

// warn tells each warning on its own line of stderr.
func (a *App) warn(warnings ...string) {
	for _, w := range warnings {
		fmt.Fprintln(a.Stderr, "warning:", w)
	}
}
