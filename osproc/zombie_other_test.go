//go:build !linux

package osproc

func peekHelper() {}
