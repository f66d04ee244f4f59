package kube

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/nexus-onboard/nexus-onboard/clients/secrets"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
)

// maxAttempts bounds the retries of a write that lost a race (Conflict,
// AlreadyExists) to another writer of the same object.
const maxAttempts = 5

// dataKeyEncoding turns an account into a Secret data key; see the package
// comment. It is the contract: change it and every stored secret is lost.
var dataKeyEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// DataKey returns the Secret data key that holds account.
func DataKey(account string) (string, error) {
	if account == "" {
		return "", errors.New("empty keyring account")
	}
	key := dataKeyEncoding.EncodeToString([]byte(account))
	if errs := validation.IsConfigMapKey(key); len(errs) > 0 {
		return "", fmt.Errorf("keyring account %q is too long for a Secret data key (%d bytes, at most 158)", account, len(account))
	}
	return key, nil
}

// AccountOf returns the account a Secret data key holds (DataKey reversed).
func AccountOf(key string) (string, error) {
	b, err := dataKeyEncoding.DecodeString(key)
	if err != nil {
		return "", fmt.Errorf("Secret data key %q is not a base32 keyring account: %w", key, err)
	}
	return string(b), nil
}

// SecretStore keeps the secrets of one contact center in its Secret
// nexus-onboard-<cc_id>: the Keyring of steps, backed by Kubernetes. A
// missing account (or Secret) is secrets.ErrNotFound. No error it returns
// holds a value, and values go nowhere but the Secret's data.
type SecretStore struct {
	client    API
	namespace string
	ccID      string
	name      string
}

// NewSecretStore returns the store of ccID's secrets in namespace.
func NewSecretStore(client API, namespace, ccID string) (*SecretStore, error) {
	if err := checkCCID(ccID); err != nil {
		return nil, err
	}
	return &SecretStore{client: client, namespace: namespace, ccID: ccID, name: SecretName(ccID)}, nil
}

// Name is the Secret's name.
func (s *SecretStore) Name() string { return s.name }

func (s *SecretStore) api() SecretsAPI { return s.client.Secrets(s.namespace) }

// get returns the Secret, nil when absent, or ErrForeign.
func (s *SecretStore) get(ctx context.Context) (*corev1.Secret, error) {
	sec, err := s.api().Get(ctx, s.name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, apiErr(err, "get", "secrets", s.namespace, s.name)
	}
	if err := checkOwned("Secret", sec); err != nil {
		return nil, err
	}
	return sec, nil
}

func (s *SecretStore) notFound(account string) error {
	return fmt.Errorf("%w: Secret %s/%s has no entry for %s", secrets.ErrNotFound, s.namespace, s.name, account)
}

// Get returns the value of account.
func (s *SecretStore) Get(ctx context.Context, account string) (string, error) {
	key, err := DataKey(account)
	if err != nil {
		return "", err
	}
	sec, err := s.get(ctx)
	if err != nil {
		return "", err
	}
	if sec == nil {
		return "", s.notFound(account)
	}
	v, ok := sec.Data[key]
	if !ok {
		return "", s.notFound(account)
	}
	return string(v), nil
}

// Set stores value for account, creating the Secret when absent.
func (s *SecretStore) Set(ctx context.Context, account, value string) error {
	key, err := DataKey(account)
	if err != nil {
		return err
	}
	for attempt := 1; ; attempt++ {
		sec, err := s.get(ctx)
		if err != nil {
			return err
		}
		if sec == nil {
			immutable := false
			sec = &corev1.Secret{
				ObjectMeta: metav1.ObjectMeta{Name: s.name, Namespace: s.namespace, Labels: labels(s.ccID, "secrets")},
				Type:       corev1.SecretTypeOpaque,
				Immutable:  &immutable,
				Data:       map[string][]byte{key: []byte(value)},
			}
			setAccounts(sec)
			_, err = s.api().Create(ctx, sec, metav1.CreateOptions{})
			if apierrors.IsAlreadyExists(err) && attempt < maxAttempts {
				continue // created meanwhile: update it
			}
			return apiErr(err, "create", "secrets", s.namespace, s.name)
		}
		if sec.Data == nil {
			sec.Data = map[string][]byte{}
		}
		sec.Data[key] = []byte(value)
		setAccounts(sec)
		_, err = s.api().Update(ctx, sec, metav1.UpdateOptions{}) // sec carries its resourceVersion
		if apierrors.IsConflict(err) && attempt < maxAttempts {
			continue
		}
		return apiErr(err, "update", "secrets", s.namespace, s.name)
	}
}

// Delete removes account, and the Secret with its last account.
func (s *SecretStore) Delete(ctx context.Context, account string) error {
	key, err := DataKey(account)
	if err != nil {
		return err
	}
	for attempt := 1; ; attempt++ {
		sec, err := s.get(ctx)
		if err != nil {
			return err
		}
		if sec == nil {
			return s.notFound(account)
		}
		if _, ok := sec.Data[key]; !ok {
			return s.notFound(account)
		}
		delete(sec.Data, key)
		if len(sec.Data) == 0 {
			// Only the Secret as read: a key added meanwhile is not lost.
			err = s.api().Delete(ctx, s.name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{
				UID: &sec.UID, ResourceVersion: &sec.ResourceVersion,
			}})
			if apierrors.IsNotFound(err) {
				return nil
			}
			if apierrors.IsConflict(err) && attempt < maxAttempts {
				continue
			}
			return apiErr(err, "delete", "secrets", s.namespace, s.name)
		}
		setAccounts(sec)
		_, err = s.api().Update(ctx, sec, metav1.UpdateOptions{})
		if apierrors.IsConflict(err) && attempt < maxAttempts {
			continue
		}
		return apiErr(err, "update", "secrets", s.namespace, s.name)
	}
}

// probeAccount is the entry Probe writes; no keyring account looks like it.
const probeAccount = ".nexus-onboard-probe"

// Probe proves the store can keep a secret: it writes, reads back and
// deletes a probe entry, then asks the API server, in a dry run that
// changes nothing, for each of the verbs get, create, update and delete on
// the Secret that the round trip did not need (it needs create and delete
// when the Secret is absent, update when it exists). A verb the Role lacks
// is a *ForbiddenError naming it.
func (s *SecretStore) Probe(ctx context.Context) error {
	existed, err := s.get(ctx)
	if err != nil {
		return err
	}
	b := make([]byte, 16)
	rand.Read(b)
	want := hex.EncodeToString(b)
	if err := s.Set(ctx, probeAccount, want); err != nil {
		return fmt.Errorf("Kubernetes Secret store cannot keep a secret: %w", err)
	}
	got, err := s.Get(ctx, probeAccount)
	if err == nil && got != want {
		err = errors.New("read back a different value than it wrote")
	}
	if err != nil {
		s.Delete(ctx, probeAccount)
		return fmt.Errorf("Kubernetes Secret store cannot read back a secret: %w", err)
	}
	if err := s.Delete(ctx, probeAccount); err != nil {
		return fmt.Errorf("Kubernetes Secret store cannot delete a secret: %w", err)
	}

	dry := []string{metav1.DryRunAll}
	probe := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: s.name, Namespace: s.namespace, Labels: labels(s.ccID, "secrets")}, Type: corev1.SecretTypeOpaque}
	if existed != nil {
		// The round trip updated it; may this run create and delete it too?
		_, err := s.api().Create(ctx, probe, metav1.CreateOptions{DryRun: dry})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return apiErr(err, "create", "secrets", s.namespace, s.name)
		}
		err = s.api().Delete(ctx, s.name, metav1.DeleteOptions{DryRun: dry})
		if err != nil && !apierrors.IsNotFound(err) {
			return apiErr(err, "delete", "secrets", s.namespace, s.name)
		}
		return nil
	}
	// The round trip created and deleted it; may this run update it?
	probe.ResourceVersion = "1"
	_, err = s.api().Update(ctx, probe, metav1.UpdateOptions{DryRun: dry})
	if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		return apiErr(err, "update", "secrets", s.namespace, s.name)
	}
	return nil
}

// setAccounts rewrites the annotation mapping data keys to accounts from
// the data keys themselves.
func setAccounts(sec *corev1.Secret) {
	m := map[string]string{}
	for key := range sec.Data {
		if account, err := AccountOf(key); err == nil {
			m[key] = account
		}
	}
	b, _ := json.Marshal(m) // sorted keys
	if sec.Annotations == nil {
		sec.Annotations = map[string]string{}
	}
	sec.Annotations[AccountsAnnotation] = string(b)
}
