package cli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/nexus-onboard/nexus-onboard/clients/kube"
	"github.com/nexus-onboard/nexus-onboard/clients/secrets"
	"github.com/nexus-onboard/nexus-onboard/steps"
)

// secret_store: kubernetes keeps what the keyring and the state directory
// keep in Kubernetes, in kube_namespace (default: the pod's, else the
// kubeconfig context's):
//   - the tenant's Nexus API key in the contact center's Secret
//     nexus-onboard-<cc_id>;
//   - the Auth client secret, which belongs to the environment, once per
//     environment in the Secret nexus-onboard-env-<hash>, where <hash> is
//     the first 16 hex digits of the SHA-256 of its keyring account
//     (<auth host>/<client_id>/client_secret): every contact center of the
//     environment, and a rotation, use that one copy;
//   - the state in the ConfigMap nexus-onboard-state-<cc_id>, the locks in
//     Leases nexus-onboard-<cc_id> and nexus-onboard-env-<hash>.
// See clients/kube for the labels and the data keys.

// kubeOpTimeout bounds each call to the API server.
const kubeOpTimeout = 30 * time.Second

// kubeLease is how long a lock lasts without renewal: a pod that died
// leaves it for at most this long.
const kubeLease = 30 * time.Second

// useSecretStore connects the store the values choose: nothing to do for
// the keyring (the default); for kubernetes, a keyring and a state backend
// in the cluster. An App whose Keyring is already set (tests) keeps it.
func (c *common) useSecretStore(a *App, vals steps.Values) error {
	if vals.Get(steps.KeySecretStore) != steps.StoreKubernetes {
		return nil // the keyring; a bad value is reported by validation
	}
	if ns := vals.Get(steps.KeyKubeNamespace); ns != "" {
		if in, ok := steps.LookupInput(steps.KeyKubeNamespace); ok && steps.ValidateValue(in, ns, false) != nil {
			return nil // reported by validation; nothing to connect to
		}
	}
	cc := strings.ToLower(vals.Get(steps.KeyCCID))
	if cc == "" {
		return errors.New("with secret_store: kubernetes, give cc_id: the contact center's Secret, ConfigMap and Lease are named after it")
	}
	var opts []kube.Option
	if ns := vals.Get(steps.KeyKubeNamespace); ns != "" {
		opts = append(opts, kube.WithNamespace(ns))
	}
	client, ns, err := kube.NewClient("", opts...)
	if err != nil {
		return fmt.Errorf("kubernetes: %w", err)
	}
	ccStore, err := kube.NewSecretStore(client, ns, cc)
	if err != nil {
		return err
	}
	kr := &kubeKeyring{cc: ccStore, envStores: map[string]*kube.SecretStore{}, client: client, ns: ns}
	if a.Keyring == nil {
		a.Keyring = kr
	}
	c.backend = &kubeBackend{states: kube.NewStateStore(client, ns), ns: ns, holder: holderName()}
	return nil
}

// holderName names this run in a Lease: the pod (HOSTNAME) and the process.
func holderName() string {
	h, _ := os.Hostname()
	return fmt.Sprintf("%s/%d", h, os.Getpid())
}

// envSecretName is the suffix of the environment's Secret and Lease names
// for a client secret account: "env-" and 16 hex digits of its SHA-256.
func envSecretName(account string) string {
	sum := sha256.Sum256([]byte(account))
	return "env-" + hex.EncodeToString(sum[:8])
}

// kubeKeyring is steps.Keyring over Secrets: the API key (and anything
// else named after the contact center) in its Secret, the client secret
// (and its pending rotation) in the environment's.
type kubeKeyring struct {
	cc        *kube.SecretStore
	client    kube.API
	ns        string
	envStores map[string]*kube.SecretStore
}

func (k *kubeKeyring) store(account string) (*kube.SecretStore, error) {
	if strings.HasSuffix(account, "/"+secrets.NexusAPIKey) || strings.HasPrefix(account, "probe/") {
		return k.cc, nil
	}
	// <env>/<client_id>/client_secret[_pending]: the environment's Secret.
	base := strings.TrimSuffix(account, "_pending")
	name := envSecretName(base)
	if s, ok := k.envStores[name]; ok {
		return s, nil
	}
	s, err := kube.NewSecretStore(k.client, k.ns, name)
	if err != nil {
		return nil, err
	}
	k.envStores[name] = s
	return s, nil
}

func (k *kubeKeyring) Get(ctx context.Context, account string) (string, error) {
	s, err := k.store(account)
	if err != nil {
		return "", err
	}
	return s.Get(ctx, account)
}

func (k *kubeKeyring) Set(ctx context.Context, account, value string) error {
	s, err := k.store(account)
	if err != nil {
		return err
	}
	return s.Set(ctx, account, value)
}

func (k *kubeKeyring) Delete(ctx context.Context, account string) error {
	s, err := k.store(account)
	if err != nil {
		return err
	}
	return s.Delete(ctx, account)
}

func (k *kubeKeyring) Probe(ctx context.Context) error { return k.cc.Probe(ctx) }

// kubeBackend is steps.Backend over ConfigMaps and Leases.
type kubeBackend struct {
	states *kube.StateStore
	ns     string
	holder string
}

func kctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), kubeOpTimeout)
}

func (b *kubeBackend) Where(cc string) string {
	return "ConfigMap " + b.ns + "/" + kube.StateName(cc)
}

func (b *kubeBackend) Load(cc string) ([]byte, bool, error) {
	ctx, cancel := kctx()
	defer cancel()
	return b.states.Load(ctx, cc)
}

func (b *kubeBackend) Save(cc string, data []byte) error {
	ctx, cancel := kctx()
	defer cancel()
	return b.states.Save(ctx, cc, data)
}

func (b *kubeBackend) Delete(cc string) error {
	ctx, cancel := kctx()
	defer cancel()
	return b.states.Delete(ctx, cc)
}

func (b *kubeBackend) List() ([]string, error) {
	ctx, cancel := kctx()
	defer cancel()
	return b.states.List(ctx)
}

func (b *kubeBackend) Lock(name string) (func(), error) {
	ctx, cancel := kctx()
	defer cancel()
	unlock, err := b.states.Lock(ctx, name, b.holder, kubeLease)
	if errors.Is(err, kube.ErrLocked) {
		return nil, fmt.Errorf("%w (%s): %v", steps.ErrLocked, name, err)
	}
	return unlock, err
}
