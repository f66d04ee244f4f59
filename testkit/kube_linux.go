package testkit

import "syscall"

// daemonAttr kills a server the tests started when the test binary dies,
// so that a shared API server never outlives its tests.
func daemonAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
