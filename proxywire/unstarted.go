package proxywire

// ParseUnstarted recognises the line cfk-proxy writes as a last resort for
// a start it could not run at all (not even the shell that reports why):
// a stopped status with pid 0. ParseStatus refuses it (0 is not a process
// id); cfkd still needs to know that this start is answered, so that the
// next started of the same name is matched to the next start. It reports
// the service's name, and ok only for such a line (a status "stopped", a
// name, a pid 0, an integer exit_status).
func ParseUnstarted(line []byte) (name string, ok bool) {
	obj, err := object(line)
	if err != nil {
		return "", false
	}
	if st, err := str(obj, "status"); err != nil || st != StatusStopped {
		return "", false
	}
	if name, err = str(obj, "name"); err != nil || name == "" {
		return "", false
	}
	if pid, ok, err := integer(obj, "pid"); err != nil || !ok || pid != 0 {
		return "", false
	}
	if _, ok, err := integer(obj, "exit_status"); err != nil || !ok {
		return "", false
	}
	return name, true
}
