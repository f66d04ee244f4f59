package pgserver

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// IsExecutable lets the external tests (server_test.go) check what
// Available found the way Available itself does.
var IsExecutable = isExecutable

func TestAvailableWithoutBinaries(t *testing.T) {
	t.Setenv("PG_BIN", t.TempDir())
	t.Setenv("PATH", t.TempDir())
	old := debianBinGlob
	debianBinGlob = filepath.Join(t.TempDir(), "*", "bin")
	t.Cleanup(func() { debianBinGlob = old })

	_, err := Available()
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "apt-get install -y postgresql") {
		t.Errorf("err = %v, want ErrNotFound with the install hint", err)
	}
	if _, err := Start(context.Background()); !errors.Is(err, ErrNotFound) {
		t.Errorf("Start err = %v, want ErrNotFound", err)
	}
}
