package steps

// All is the procedure, in order: one line per step, each declared in its
// own file (step_<id>.go). It is filled in init, because steps refer to
// the procedure (a rotation's command lists its steps).
var All []Step

func init() {
	All = []Step{
		contactCenter,
		authClient,
		verifyClient,
		registerGWS,
		chatServiceURI,
		tenantToken,
		ucsService,
		tenant,
		designerEnv,
	}
	for _, s := range All {
		for _, o := range s.Makes {
			o.Producer = s.ID
			outputs[o.Name] = o
		}
	}
}

// opsNeeds are the inputs of every call with the GWS ops credentials.
var opsNeeds = []string{KeyAuthURL, KeyAdminUser, KeyAdminPassword}
