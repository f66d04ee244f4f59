package steps

import "testing"

func TestPlaceholdersShowAsWritten(t *testing.T) {
	for in, want := range map[string]string{
		"https://a.example.com/environment/v3/contact-centers/x/settings/%3Csetting%20id%3E": "https://a.example.com/environment/v3/contact-centers/x/settings/<setting id>",
		"https://a.example.com/auth/v3/ops/clients/nexus%20client":                           "https://a.example.com/auth/v3/ops/clients/nexus%20client",
		"https://a.example.com/x/%3C":                                                        "https://a.example.com/x/%3C",
	} {
		if got := showPlaceholders(in); got != want {
			t.Errorf("showPlaceholders(%q) = %q, want %q", in, got, want)
		}
	}
}
