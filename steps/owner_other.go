//go:build !unix

package steps

import "os"

// fileOwner is unknown where files have no Unix owner and mode (Windows:
// the state directory's ACL, inherited from the user profile, applies).
func fileOwner(fi os.FileInfo) (int, bool) { return 0, false }
