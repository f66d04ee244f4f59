//go:build linux

package steps

import "syscall"

// dirRoom says why the state dir cannot take a file of size bytes now
// (read-only, full), nil when it can: a statfs, no write.
func dirRoom(dir string, size int) error {
	var fs syscall.Statfs_t
	if err := syscall.Statfs(dir, &fs); err != nil {
		return err
	}
	const stRdonly = 1 // ST_RDONLY
	if fs.Flags&stRdonly != 0 {
		return syscall.EROFS
	}
	// Room for the temp file beside the old one, and a block to spare.
	if uint64(fs.Bavail)*uint64(fs.Bsize) < uint64(2*size)+uint64(fs.Bsize) {
		return syscall.ENOSPC
	}
	return nil
}
