package kube

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ErrConflict means the state changed in Kubernetes since this store read
// or wrote it: another run worked on the contact center (without its lock).
var ErrConflict = errors.New("the state of the contact center changed since this run read it")

// StateStore keeps the state file of each contact center (opaque JSON, no
// secrets) in its ConfigMap nexus-onboard-state-<cc_id>, data key
// state.json. Saves are optimistic: Save writes over the version this store
// last loaded or saved, and fails with ErrConflict if another writer got
// there first. It is safe for concurrent use.
type StateStore struct {
	client    API
	namespace string

	mu sync.Mutex
	// seen holds, per contact center, the resourceVersion last read or
	// written; "" means it was seen absent.
	seen map[string]string
}

// NewStateStore returns the state store of namespace.
func NewStateStore(client API, namespace string) *StateStore {
	return &StateStore{client: client, namespace: namespace, seen: map[string]string{}}
}

func (s *StateStore) see(ccID, rv string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seen[strings.ToLower(ccID)] = rv
}

func (s *StateStore) seenRV(ccID string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rv, ok := s.seen[strings.ToLower(ccID)]
	return rv, ok
}

func (s *StateStore) get(ctx context.Context, ccID string) (*corev1.ConfigMap, error) {
	name := StateName(ccID)
	cm, err := s.client.ConfigMaps(s.namespace).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, apiErr(err, "get", "configmaps", s.namespace, name)
	}
	if err := checkOwned("ConfigMap", cm); err != nil {
		return nil, err
	}
	return cm, nil
}

// Load returns the state of ccID; found is false when it has none.
func (s *StateStore) Load(ctx context.Context, ccID string) (data []byte, found bool, err error) {
	if err := checkCCID(ccID); err != nil {
		return nil, false, err
	}
	cm, err := s.get(ctx, ccID)
	if err != nil {
		return nil, false, err
	}
	if cm == nil {
		s.see(ccID, "")
		return nil, false, nil
	}
	v, ok := cm.Data[StateKey]
	if !ok {
		return nil, false, fmt.Errorf("ConfigMap %s/%s has no key %s", s.namespace, cm.Name, StateKey)
	}
	s.see(ccID, cm.ResourceVersion)
	return []byte(v), true, nil
}

// Save stores data as the state of ccID.
func (s *StateStore) Save(ctx context.Context, ccID string, data []byte) error {
	if err := checkCCID(ccID); err != nil {
		return err
	}
	if !utf8.Valid(data) {
		return errors.New("state is not UTF-8 text: a ConfigMap's data holds text")
	}
	name := StateName(ccID)
	api := s.client.ConfigMaps(s.namespace)
	rv, seen := s.seenRV(ccID)
	if !seen { // never read: write over whatever is there now
		cm, err := s.get(ctx, ccID)
		if err != nil {
			return err
		}
		if cm != nil {
			rv = cm.ResourceVersion
		}
	}
	conflict := func() error {
		return fmt.Errorf("%w (ConfigMap %s/%s): load it again and retry; is another run working on this contact center?", ErrConflict, s.namespace, name)
	}
	if rv == "" {
		cm, err := api.Create(ctx, &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: s.namespace, Labels: labels(ccID, "state")},
			Data:       map[string]string{StateKey: string(data)},
		}, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) {
			return conflict()
		}
		if err != nil {
			return apiErr(err, "create", "configmaps", s.namespace, name)
		}
		s.see(ccID, cm.ResourceVersion)
		return nil
	}
	// The ConfigMap as last seen, with the new data: the update fails if
	// anyone changed it since, labels included.
	cm, err := s.get(ctx, ccID)
	if err != nil {
		return err
	}
	if cm == nil || cm.ResourceVersion != rv {
		return conflict()
	}
	cm.Data = map[string]string{StateKey: string(data)}
	cm.BinaryData = nil
	cm, err = api.Update(ctx, cm, metav1.UpdateOptions{})
	if apierrors.IsConflict(err) {
		return conflict()
	}
	if err != nil {
		return apiErr(err, "update", "configmaps", s.namespace, name)
	}
	s.see(ccID, cm.ResourceVersion)
	return nil
}

// Delete removes the state of ccID; none is no error.
func (s *StateStore) Delete(ctx context.Context, ccID string) error {
	if err := checkCCID(ccID); err != nil {
		return err
	}
	cm, err := s.get(ctx, ccID)
	if err != nil {
		return err
	}
	if cm != nil {
		err = s.client.ConfigMaps(s.namespace).Delete(ctx, cm.Name, metav1.DeleteOptions{
			Preconditions: &metav1.Preconditions{UID: &cm.UID},
		})
		if err != nil && !apierrors.IsNotFound(err) {
			return apiErr(err, "delete", "configmaps", s.namespace, cm.Name)
		}
	}
	s.see(ccID, "")
	return nil
}

// List returns the contact centers that have a state, sorted.
func (s *StateStore) List(ctx context.Context) ([]string, error) {
	list, err := s.client.ConfigMaps(s.namespace).List(ctx, metav1.ListOptions{
		LabelSelector: LabelManagedBy + "=" + ManagedBy + "," + LabelComponent + "=state",
	})
	if err != nil {
		return nil, apiErr(err, "list", "configmaps", s.namespace, "")
	}
	var ids []string
	for _, cm := range list.Items {
		id := cm.Labels[LabelCCID]
		if id != "" && cm.Name == StateName(id) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids, nil
}
