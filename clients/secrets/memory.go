package secrets

import (
	"context"
	"sync"
)

// Memory keeps secrets in this process only. The sandbox uses it when no OS
// keyring answers: its world is thrown away when it stops, and so are these
// secrets. Real runs never use it: there is no plaintext fallback.
type Memory struct {
	mu sync.Mutex
	m  map[string]string
}

// NewMemory returns an empty in-process store.
func NewMemory() *Memory { return &Memory{m: map[string]string{}} }

// Get returns the value of account, or an error wrapping ErrNotFound.
func (s *Memory) Get(ctx context.Context, account string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[account]
	if !ok {
		return "", ErrNotFound
	}
	return v, nil
}

// Set stores value for account.
func (s *Memory) Set(ctx context.Context, account, value string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[account] = value
	return nil
}

// Delete removes account; a missing entry is ErrNotFound.
func (s *Memory) Delete(ctx context.Context, account string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.m[account]; !ok {
		return ErrNotFound
	}
	delete(s.m, account)
	return nil
}

// Probe always works: memory can keep a secret for the life of the process.
func (s *Memory) Probe(ctx context.Context) error { return ctx.Err() }
