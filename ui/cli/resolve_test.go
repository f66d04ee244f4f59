package cli

// Inputs resolution: a refused state is an input problem built from the
// error's fields, not its text.

import (
	"strings"
	"testing"

	"github.com/nexus-onboard/nexus-onboard/steps"
)

// The input problem of a refused state is built from the error's fields
// and reads as before: the path and reason, without the "state " prefix.
func TestStateProblemMsgFromFields(t *testing.T) {
	for _, se := range []*steps.StateError{
		{Path: "/s/" + stateCC + ".json", Reason: "is damaged: move it aside to start afresh"},
		{Reason: `"x" is not a contact center id`},
	} {
		if got, want := stateProblemMsg(se), strings.TrimPrefix(se.Error(), "state "); got != want {
			t.Errorf("%q, want %q", got, want)
		}
	}
}
