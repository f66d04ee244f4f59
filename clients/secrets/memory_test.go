package secrets

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestMemoryKeepsAndForgets(t *testing.T) {
	ctx := context.Background()
	m := NewMemory()
	if err := m.Probe(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Get(ctx, "a"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get of nothing: %v", err)
	}
	if err := m.Set(ctx, "a", "v1"); err != nil {
		t.Fatal(err)
	}
	if v, err := m.Get(ctx, "a"); err != nil || v != "v1" {
		t.Fatalf("Get = %q, %v", v, err)
	}
	if err := m.Delete(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if err := m.Delete(ctx, "a"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second Delete: %v", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := m.Set(cancelled, "b", "v"); err == nil {
		t.Error("Set ignores a cancelled context")
	}
}

func TestRemedyGivesCommands(t *testing.T) {
	for goos, want := range map[string]string{"linux": "dbus-run-session", "darwin": "security unlock-keychain", "windows": "cmdkey"} {
		if r := remedyFor(goos); !strings.Contains(r, want) {
			t.Errorf("%s remedy %q lacks %q", goos, r, want)
		}
	}
}
