package steps

import (
	"context"
	"errors"

	"github.com/nexus-onboard/nexus-onboard/clients/nexus"
)

// IDUCSService provisions the UCS connection in Digital Channels.
const IDUCSService = "ucs-service"

var ucsService = Declare(Step{
	ID: IDUCSService, Title: "Provision the UCS connection",
	Doc:      "Create the PlatformUCS service in Digital Channels (only when ucs_url is set).",
	Needs:    []string{KeyNexusURL},
	Requires: func(v Values) []string { return ifSet(v, KeyUCSURL, KeyUCSAPIKey) },
	Uses:     []string{OutCCID},
	Skip: func(v Values) string {
		if v.Get(KeyUCSURL) == "" {
			return "ucs_url is not set: UCS is not used"
		}
		return ""
	},
	Plan: func(e *Env) []Planned {
		return []Planned{planned(e, "create the PlatformUCS service", e.Nexus.ProvisionUCSRequest(e.planCCID(), e.In.Get(KeyUCSAPIKey), e.In.Get(KeyUCSURL)))}
	},
	Audit: func(_ context.Context, e *Env, _ *State) *Diagnosis {
		return &Diagnosis{Status: HealthManual, Detail: "Digital Channels has no read API for provisioning services: check with its administrator that the PlatformUCS service of contact center " + e.CCID() + " points at " + e.In.Get(KeyUCSURL)}
	},
}, Does[none]{
	Run: runUCSService,
	Undo: func(e *Env, st *State) []Undo {
		if r := st.Steps[IDUCSService]; r == nil || r.Status != StatusDone {
			return nil
		}
		return []Undo{{Step: IDUCSService, Manual: true,
			What: "no documented API removes the PlatformUCS service: ask the Digital Channels administrator if it must go"}}
	},
})

func runUCSService(ctx context.Context, e *Env, _ none) (Result, error) {
	err := e.Nexus.ProvisionUCS(ctx, e.CCID(), e.In.Get(KeyUCSAPIKey), e.In.Get(KeyUCSURL))
	if errors.Is(err, nexus.ErrExists) {
		// No GET is documented for provisioning services: the answer to the
		// create is the only "already done" signal there is.
		return Result{Status: StatusAlreadyDone, Outputs: map[string]string{"url": e.In.Get(KeyUCSURL)},
			Message: "Digital Channels already has a PlatformUCS service for this contact center"}, nil
	}
	if err != nil {
		return Result{}, err
	}
	return Result{Outputs: map[string]string{"url": e.In.Get(KeyUCSURL)}, Message: "PlatformUCS points at " + e.In.Get(KeyUCSURL)}, nil
}
