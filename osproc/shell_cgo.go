//go:build cgo && !osusergo

package osproc

/*
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

// cfk_shell copies the login shell of user name into out (at most outlen
// bytes, NUL included), with buf as getpwnam_r's scratch. It returns
// getpwnam_r's error (ERANGE: buf too small), -1 when there is no such
// user, -2 when out is too small.
static int cfk_shell(const char *name, char *buf, size_t buflen, char *out, size_t outlen) {
	struct passwd pw, *res = NULL;
	int err = getpwnam_r(name, &pw, buf, buflen, &res);
	if (err != 0) {
		return err;
	}
	if (res == NULL) {
		return -1;
	}
	const char *sh = pw.pw_shell ? pw.pw_shell : "";
	if (strlen(sh) >= outlen) {
		return -2;
	}
	strcpy(out, sh);
	return 0;
}
*/
import "C"

import (
	"syscall"
	"unsafe"
)

// lookupShell is the login shell of user name from the name service
// (getpwnam_r: NSS, as os/user's own lookups with cgo), ok false when it
// has no entry or the lookup fails. An empty field is defaultShell.
func lookupShell(name string) (shell string, ok bool) {
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	const outLen = 4096
	out := (*C.char)(C.malloc(outLen))
	defer C.free(unsafe.Pointer(out))
	for size := C.size_t(4096); size <= 1<<20; size *= 4 {
		buf := C.malloc(size)
		rc := C.cfk_shell(cname, (*C.char)(buf), size, out, outLen)
		C.free(buf)
		switch {
		case rc == C.int(syscall.ERANGE):
			continue
		case rc != 0:
			return "", false
		}
		if sh := C.GoString(out); sh != "" {
			return sh, true
		}
		return defaultShell, true
	}
	return "", false
}
