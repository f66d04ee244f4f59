package kube

import (
	"os"
	"slices"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	"sigs.k8s.io/yaml"
)

// The deployment's Role grants exactly the verbs the code uses (roleRules,
// which TestLeastPrivilegeRole proves are each needed and enough): no more,
// no fewer.
func TestDeployRoleGrantsExactlyWhatTheCodeUses(t *testing.T) {
	data, err := os.ReadFile("../../deploy/kubernetes/role.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var role rbacv1.Role
	if err := yaml.UnmarshalStrict(data, &role); err != nil {
		t.Fatalf("role.yaml: %v", err)
	}
	grants := func(rules []rbacv1.PolicyRule) []string {
		var out []string
		for _, r := range rules {
			for _, g := range r.APIGroups {
				for _, res := range r.Resources {
					for _, v := range r.Verbs {
						out = append(out, g+"/"+res+":"+v)
					}
				}
			}
		}
		slices.Sort(out)
		return slices.Compact(out)
	}
	got, want := grants(role.Rules), grants(roleRules)
	if !slices.Equal(got, want) {
		t.Errorf("role.yaml grants\n  %s\nthe code uses\n  %s", strings.Join(got, " "), strings.Join(want, " "))
	}
}
