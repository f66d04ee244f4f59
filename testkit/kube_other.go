//go:build !linux

package testkit

import "syscall"

// daemonAttr: no parent death signal here; StopKube stops the servers.
func daemonAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{} }
