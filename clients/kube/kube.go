// Package kube keeps what nexus-onboard keeps per contact center — its two
// secrets, its state file and its lock — in Kubernetes instead of the OS
// keyring and the local disk (input secret_store: kubernetes), for running
// as a Job inside the cluster. It speaks to the API server through
// k8s.io/client-go and knows nothing of the steps.
//
// Everything lives in one namespace (see NewClient) and is named after the
// contact center id cc_id, lower-cased (it must be a DNS-1123 label: lower
// case letters, digits and "-", at most 63 characters, as every Genesys
// contact center id, a UUID, is). These names, labels, keys and encodings are
// a public contract: administrators' scripts and the deployment manifests'
// Role rely on them.
//
// # Objects
//
// Every object carries the labels
//
//	app.kubernetes.io/managed-by: nexus-onboard
//	app.kubernetes.io/name:       nexus-onboard
//	app.kubernetes.io/component:  secrets | state | lock
//	nexus-onboard.io/cc-id:       <cc_id>
//
// and nexus-onboard refuses to read, change or delete an object of one of
// its names that lacks the managed-by label (ErrForeign): it is someone
// else's.
//
//   - Secret nexus-onboard-<cc_id> (type Opaque, immutable: false): the
//     contact center's secrets, one data key per keyring account (see
//     SecretStore). It is deleted when its last key is.
//   - ConfigMap nexus-onboard-state-<cc_id>, data key state.json: the state
//     file, the same JSON the local state directory holds (no secrets).
//   - Lease nexus-onboard-<cc_id> (coordination.k8s.io/v1): held while a
//     run works on the contact center; spec.holderIdentity names the run.
//
// # Secret data keys
//
// A data key is the keyring account (secrets.Account,
// secrets.ClientSecretAccount), exactly as the OS keyring holds it, in
// base32 (RFC 4648 standard alphabet A–Z 2–7, upper case, without "="
// padding), because accounts hold "/" and ":" and a data key may hold only
// [-._a-zA-Z0-9]. Accounts of more than 158 bytes do not fit a data key (253
// characters) and are refused. The Secret's annotation
// nexus-onboard.io/accounts is a JSON object from each data key to its
// account, for reading; the data key alone is the contract. From a shell:
//
//	key=$(printf %s "$cc_id/nexus_api_key" | base32 -w0 | tr -d =)
//	kubectl get secret "nexus-onboard-$cc_id" -o "jsonpath={.data.$key}" | base64 -d
//
// The Auth client secret belongs to the environment, but each contact
// center's Secret holds its own copy (under the same account), so that a
// contact center's objects are all there is to it.
//
// # RBAC
//
// The Role of the service account nexus-onboard runs as needs, in its
// namespace, exactly these verbs (see the tests' Role):
//
//	""                     secrets     get create update delete
//	""                     configmaps  get list create update delete
//	"coordination.k8s.io"  leases      get create update delete
//
// Nothing is ever patched, watched, or listed but ConfigMaps (StateStore.List).
// A refusal is a *ForbiddenError that names the verb and resource to grant.
package kube

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// Labels every object nexus-onboard keeps in Kubernetes carries.
const (
	LabelManagedBy = "app.kubernetes.io/managed-by"
	LabelName      = "app.kubernetes.io/name"
	LabelComponent = "app.kubernetes.io/component"
	LabelCCID      = "nexus-onboard.io/cc-id"
	// ManagedBy is the value of LabelManagedBy and LabelName.
	ManagedBy = "nexus-onboard"
)

// Names of the objects of a contact center; see the package comment.
const (
	secretPrefix = "nexus-onboard-"
	statePrefix  = "nexus-onboard-state-"
	leasePrefix  = "nexus-onboard-"
	// StateKey is the ConfigMap data key of the state file.
	StateKey = "state.json"
	// AccountsAnnotation maps a Secret's data keys to their accounts.
	AccountsAnnotation = "nexus-onboard.io/accounts"
)

// SecretName, StateName and LeaseName name a contact center's objects.
func SecretName(ccID string) string { return secretPrefix + strings.ToLower(ccID) }

// StateName is the name of the ConfigMap holding the state of ccID.
func StateName(ccID string) string { return statePrefix + strings.ToLower(ccID) }

// LeaseName is the name of the Lease that locks ccID.
func LeaseName(ccID string) string { return leasePrefix + strings.ToLower(ccID) }

// labels returns the labels of an object of ccID for component.
func labels(ccID, component string) map[string]string {
	return map[string]string{
		LabelManagedBy: ManagedBy,
		LabelName:      ManagedBy,
		LabelComponent: component,
		LabelCCID:      strings.ToLower(ccID),
	}
}

// checkCCID refuses a contact center id that cannot name the objects.
func checkCCID(ccID string) error {
	id := strings.ToLower(ccID)
	if errs := validation.IsDNS1123Label(id); len(errs) > 0 {
		return fmt.Errorf("contact center id %q cannot name Kubernetes objects: %s", ccID, strings.Join(errs, "; "))
	}
	if errs := validation.IsDNS1123Subdomain(StateName(id)); len(errs) > 0 {
		return fmt.Errorf("contact center id %q is too long for Kubernetes object names: %s", ccID, strings.Join(errs, "; "))
	}
	return nil
}

// ErrForeign means an object of one of nexus-onboard's names exists but is
// not nexus-onboard's (no managed-by label): it is left alone.
var ErrForeign = errors.New("not managed by nexus-onboard")

// ForeignError names the object ErrForeign is about.
type ForeignError struct{ Kind, Namespace, Name string }

func (e *ForeignError) Error() string {
	return fmt.Sprintf("%s %s/%s exists but is %v (label %s=%s missing): nexus-onboard leaves it alone; rename or remove it, or use another namespace",
		e.Kind, e.Namespace, e.Name, ErrForeign, LabelManagedBy, ManagedBy)
}

// Unwrap makes errors.Is(err, ErrForeign) true.
func (e *ForeignError) Unwrap() error { return ErrForeign }

func checkOwned(kind string, m metav1.Object) error {
	if m.GetLabels()[LabelManagedBy] != ManagedBy {
		return &ForeignError{Kind: kind, Namespace: m.GetNamespace(), Name: m.GetName()}
	}
	return nil
}

// ForbiddenError is the API server's RBAC refusal of one verb on one
// resource: what the Role must grant.
type ForbiddenError struct {
	Verb, Resource, Namespace string
	Err                       error // the API server's Forbidden
}

func (e *ForbiddenError) Error() string {
	group := `""`
	if e.Resource == "leases" {
		group = "coordination.k8s.io"
	}
	return fmt.Sprintf("Kubernetes RBAC refused %q on %s in namespace %s: grant the service account the verb %q on resource %q (apiGroup %s) in its Role (%v)",
		e.Verb, e.Resource, e.Namespace, e.Verb, e.Resource, group, e.Err)
}

func (e *ForbiddenError) Unwrap() error { return e.Err }

// apiErr wraps an API error: a Forbidden becomes a *ForbiddenError naming
// verb and resource; anything else says what was being done. No value of a
// secret is ever passed here.
func apiErr(err error, verb, resource, ns, name string) error {
	if err == nil {
		return nil
	}
	if apierrors.IsForbidden(err) {
		return &ForbiddenError{Verb: verb, Resource: resource, Namespace: ns, Err: err}
	}
	return fmt.Errorf("%s %s %s/%s: %w", verb, resource, ns, name, err)
}

// serviceAccountDir is where a pod finds its service account's token,
// CA and namespace; a variable so that tests can play a pod.
var serviceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount"

// Option changes what NewClient chooses.
type Option func(*clientOptions)

type clientOptions struct{ namespace string }

// WithNamespace makes NewClient use namespace (the user's explicit choice)
// instead of the pod's or the kubeconfig context's; empty changes nothing.
func WithNamespace(namespace string) Option {
	return func(o *clientOptions) { o.namespace = namespace }
}

// NewClient connects to the cluster nexus-onboard runs in or for, and says
// which namespace its objects live in:
//
//   - kubeconfigPath, when not empty: that file, the namespace of its
//     current context (default "default");
//   - else in a pod (KUBERNETES_SERVICE_HOST set and the service account's
//     token and namespace files present): the in-cluster config, the pod's
//     namespace;
//   - else $KUBECONFIG or ~/.kube/config, the namespace of the current
//     context (default "default").
//
// WithNamespace overrides the namespace in every case. The client re-reads
// a service account token when the kubelet rotates it.
func NewClient(kubeconfigPath string, opts ...Option) (API, string, error) {
	var o clientOptions
	for _, opt := range opts {
		opt(&o)
	}
	cfg, ns, err := config(kubeconfigPath)
	if err != nil {
		return nil, "", err
	}
	if o.namespace != "" {
		ns = o.namespace
	}
	if errs := validation.IsDNS1123Label(ns); len(errs) > 0 {
		return nil, "", fmt.Errorf("namespace %q: %s", ns, strings.Join(errs, "; "))
	}
	api, err := NewForConfig(cfg)
	if err != nil {
		return nil, "", fmt.Errorf("Kubernetes client: %w", err)
	}
	return api, ns, nil
}

func config(kubeconfigPath string) (*rest.Config, string, error) {
	if kubeconfigPath == "" {
		if cfg, ns, ok, err := inCluster(); ok || err != nil {
			return cfg, ns, err
		}
	}
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = kubeconfigPath
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{})
	cfg, err := cc.ClientConfig()
	if err != nil {
		where := kubeconfigPath
		if where == "" {
			where = "$KUBECONFIG or ~/.kube/config"
		}
		return nil, "", fmt.Errorf("Kubernetes configuration from %s: %w (give a kubeconfig file, or run in a pod with a service account)", where, err)
	}
	ns, _, err := cc.Namespace()
	if err != nil {
		return nil, "", fmt.Errorf("namespace of the kubeconfig context: %w", err)
	}
	return cfg, ns, nil
}

// inCluster is rest.InClusterConfig reading from serviceAccountDir; ok is
// false outside a pod.
func inCluster() (cfg *rest.Config, ns string, ok bool, err error) {
	host, port := os.Getenv("KUBERNETES_SERVICE_HOST"), os.Getenv("KUBERNETES_SERVICE_PORT")
	tokenFile := filepath.Join(serviceAccountDir, "token")
	nsFile := filepath.Join(serviceAccountDir, "namespace")
	if host == "" {
		return nil, "", false, nil
	}
	if _, err := os.Stat(tokenFile); err != nil {
		return nil, "", false, nil
	}
	nsBytes, err := os.ReadFile(nsFile)
	if err != nil {
		return nil, "", false, nil
	}
	token, err := os.ReadFile(tokenFile)
	if err != nil {
		return nil, "", true, fmt.Errorf("service account token: %w", err)
	}
	if port == "" {
		port = "443"
	}
	cfg = &rest.Config{
		Host:            "https://" + net.JoinHostPort(host, port),
		BearerToken:     strings.TrimSpace(string(token)),
		BearerTokenFile: tokenFile, // re-read: the kubelet rotates it
		TLSClientConfig: rest.TLSClientConfig{CAFile: filepath.Join(serviceAccountDir, "ca.crt")},
	}
	return cfg, strings.TrimSpace(string(nsBytes)), true, nil
}
