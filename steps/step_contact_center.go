package steps

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/nexus-onboard/nexus-onboard/clients/gws"
)

// IDContactCenter finds (or checks) the contact center. Step ids are a
// public contract.
const IDContactCenter = "contact-center"

// OutCCID is the contact center id, found or checked.
const OutCCID = "cc_id"

var contactCenter = Declare(Step{
	ID: IDContactCenter, Title: "Find the contact center",
	Doc:      "GET the contact centers from the Environment API; fills cc_id when it is not given and checks it when it is.",
	Needs:    opsNeeds,
	Makes:    []Output{{Name: OutCCID, Where: InState}},
	ReadOnly: true,
	Plan: func(e *Env) []Planned {
		return []Planned{planned(e, "list the contact centers", e.Auth.ContactCentersRequest())}
	},
}, Does[none]{
	Check: checkContactCenter,
	Run:   runContactCenter,
})

// none is the observation of a check that sees nothing the action needs.
type none struct{}

func checkContactCenter(ctx context.Context, e *Env) (Observed[none], error) {
	if e.CCID() == "" {
		return Observed[none]{}, nil
	}
	ccs, err := e.ContactCenters(ctx)
	if err != nil {
		return Observed[none]{}, err
	}
	for _, cc := range ccs {
		if strings.EqualFold(cc.ID, e.CCID()) {
			return Observed[none]{Done: true, Result: Result{Outputs: map[string]string{OutCCID: e.CCID()}, Message: "contact center " + e.CCID() + " exists"}}, nil
		}
	}
	return Observed[none]{}, fmt.Errorf("contact center %s is not known to %s; it has: %s", e.CCID(), e.In.Get(KeyAuthURL), listCCs(ccs))
}

func runContactCenter(ctx context.Context, e *Env, _ none) (Result, error) {
	ccs, err := e.ContactCenters(ctx)
	if err != nil {
		return Result{}, err
	}
	switch len(ccs) {
	case 0:
		return Result{}, errors.New("GWS lists no contact center: provision one in GWS first")
	case 1:
		e.In.Set(KeyCCID, strings.ToLower(ccs[0].ID), FromUser)
		return Result{Outputs: map[string]string{OutCCID: e.CCID()}, Message: "found contact center " + e.CCID()}, nil
	}
	return Result{}, fmt.Errorf("GWS has %d contact centers: choose one with cc_id (%s)", len(ccs), listCCs(ccs))
}

func listCCs(ccs []gws.ContactCenter) string {
	if len(ccs) == 0 {
		return "none"
	}
	ids := make([]string, len(ccs))
	for i, cc := range ccs {
		ids[i] = cc.ID
		if len(cc.Domains) > 0 {
			ids[i] += " (" + strings.Join(cc.Domains, ", ") + ")"
		}
	}
	return strings.Join(ids, "; ")
}
