package testkit

import (
	"crypto/rand"
	"fmt"
)

// UUID returns a random (version 4) UUID in lower case. Tests use it as a
// contact center id of their own, so that keyring entries and state files
// of parallel or earlier tests never meet.
func UUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand panics rather)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
