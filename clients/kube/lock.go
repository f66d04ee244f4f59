package kube

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ErrLocked means another run holds the contact center's Lease.
var ErrLocked = errors.New("another nexus-onboard run is working on this contact center")

// LockedError says who holds the Lease and until when.
type LockedError struct {
	Namespace, Lease, Holder string
	// Until is when the Lease expires unless its holder renews it.
	Until time.Time
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("%v: %q holds Lease %s/%s until %s (renewed while it runs): wait for it to finish; if it died, the lock expires by itself",
		ErrLocked, e.Holder, e.Namespace, e.Lease, e.Until.UTC().Format(time.RFC3339))
}

// Unwrap makes errors.Is(err, ErrLocked) true.
func (e *LockedError) Unwrap() error { return ErrLocked }

// Lock takes the Lease nexus-onboard-<cc_id> in the namespace for holder (a
// name for this run, shown to a run it refuses), unless another holder's
// Lease has not expired: its spec.renewTime plus leaseDurationSeconds is
// still ahead (by this machine's clock). duration, rounded up to whole
// seconds, is how long the Lease outlives a holder that died; while the lock
// is held it is renewed every duration/3, whatever becomes of ctx (which
// bounds taking the lock only). unlock stops the renewal and deletes the
// Lease, unless it was taken over meanwhile (after this run failed to renew
// it for duration). A refusal is a *LockedError.
func (s *StateStore) Lock(ctx context.Context, ccID, holder string, duration time.Duration) (unlock func(), err error) {
	if err := checkCCID(ccID); err != nil {
		return nil, err
	}
	if holder == "" {
		return nil, errors.New("a Lease needs a holder name")
	}
	secs := int32(math.Ceil(duration.Seconds()))
	if secs < 1 {
		secs = 1
	}
	l := &lease{
		api:       s.client.Leases(s.namespace),
		namespace: s.namespace,
		name:      LeaseName(ccID),
		ccID:      ccID,
		holder:    holder,
		secs:      secs,
	}
	if err := l.acquire(ctx); err != nil {
		return nil, err
	}
	// Prove now that unlock will be allowed to delete the Lease: a Role
	// without that verb would otherwise show only as the next run waiting
	// for the lock to expire. The Lease stays until it expires.
	err = l.api.Delete(ctx, l.name, metav1.DeleteOptions{DryRun: []string{metav1.DryRunAll}, Preconditions: &metav1.Preconditions{
		UID: &l.held.UID, ResourceVersion: &l.held.ResourceVersion,
	}})
	if err != nil {
		return nil, apiErr(err, "delete", "leases", l.namespace, l.name)
	}
	stop, done := make(chan struct{}), make(chan struct{})
	go l.renew(duration/3, stop, done)
	var once sync.Once
	return func() {
		once.Do(func() {
			close(stop)
			<-done
			l.release()
		})
	}, nil
}

type lease struct {
	api                           LeasesAPI
	namespace, name, ccID, holder string
	secs                          int32

	mu   sync.Mutex
	held *coordinationv1.Lease // as last written by this run; nil once lost
}

func (l *lease) acquire(ctx context.Context) error {
	for attempt := 1; ; attempt++ {
		cur, err := l.api.Get(ctx, l.name, metav1.GetOptions{})
		now := metav1.NewMicroTime(time.Now())
		if apierrors.IsNotFound(err) {
			created, err := l.api.Create(ctx, &coordinationv1.Lease{
				ObjectMeta: metav1.ObjectMeta{Name: l.name, Namespace: l.namespace, Labels: labels(l.ccID, "lock")},
				Spec: coordinationv1.LeaseSpec{
					HolderIdentity: &l.holder, LeaseDurationSeconds: &l.secs,
					AcquireTime: &now, RenewTime: &now,
				},
			}, metav1.CreateOptions{})
			if apierrors.IsAlreadyExists(err) && attempt < maxAttempts {
				continue // another run created it first: is it still held?
			}
			if err != nil {
				return apiErr(err, "create", "leases", l.namespace, l.name)
			}
			l.held = created
			return nil
		}
		if err != nil {
			return apiErr(err, "get", "leases", l.namespace, l.name)
		}
		if err := checkOwned("Lease", cur); err != nil {
			return err
		}
		if holder, until, held := heldBy(cur); held && until.After(now.Time) {
			return &LockedError{Namespace: l.namespace, Lease: l.name, Holder: holder, Until: until}
		}
		// Expired or released: take it over.
		next := cur.DeepCopy()
		transitions := int32(0)
		if next.Spec.LeaseTransitions != nil {
			transitions = *next.Spec.LeaseTransitions
		}
		transitions++
		next.Spec = coordinationv1.LeaseSpec{
			HolderIdentity: &l.holder, LeaseDurationSeconds: &l.secs,
			AcquireTime: &now, RenewTime: &now, LeaseTransitions: &transitions,
		}
		updated, err := l.api.Update(ctx, next, metav1.UpdateOptions{})
		if apierrors.IsConflict(err) && attempt < maxAttempts {
			continue // another run took it over first
		}
		if err != nil {
			return apiErr(err, "update", "leases", l.namespace, l.name)
		}
		l.held = updated
		return nil
	}
}

// heldBy says who holds the Lease and until when; held is false when no
// one does.
func heldBy(le *coordinationv1.Lease) (holder string, until time.Time, held bool) {
	s := le.Spec
	if s.HolderIdentity == nil || *s.HolderIdentity == "" {
		return "", time.Time{}, false
	}
	renewed := time.Time{}
	switch {
	case s.RenewTime != nil:
		renewed = s.RenewTime.Time
	case s.AcquireTime != nil:
		renewed = s.AcquireTime.Time
	}
	var secs int32
	if s.LeaseDurationSeconds != nil {
		secs = *s.LeaseDurationSeconds
	}
	return *s.HolderIdentity, renewed.Add(time.Duration(secs) * time.Second), true
}

// renew moves renewTime forward every interval until stop is closed or the
// Lease is lost (someone else changed or deleted it). A failed renewal is
// tried again at the next tick: the Lease lasts three of them.
func (l *lease) renew(interval time.Duration, stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	if interval < 100*time.Millisecond {
		interval = 100 * time.Millisecond
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		l.mu.Lock()
		held := l.held
		l.mu.Unlock()
		if held == nil {
			return
		}
		next := held.DeepCopy()
		now := metav1.NewMicroTime(time.Now())
		next.Spec.RenewTime = &now
		ctx, cancel := context.WithTimeout(context.Background(), interval)
		updated, err := l.api.Update(ctx, next, metav1.UpdateOptions{})
		cancel()
		l.mu.Lock()
		switch {
		case err == nil:
			l.held = updated
		case apierrors.IsConflict(err) || apierrors.IsNotFound(err):
			l.held = nil // taken over or removed: no longer ours
		}
		l.mu.Unlock()
	}
}

// release deletes the Lease if it is still the one this run last wrote.
func (l *lease) release() {
	l.mu.Lock()
	held := l.held
	l.held = nil
	l.mu.Unlock()
	if held == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// Not deleted (someone else's by now, or the API unreachable): it
	// expires by itself.
	_ = l.api.Delete(ctx, l.name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{
		UID: &held.UID, ResourceVersion: &held.ResourceVersion,
	}})
}
