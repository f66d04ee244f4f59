//go:build !linux

package secrets

var osKeyring backend = goKeyring{}
