package messages

// Respell gives the values a former cfkd kept as they were written (its
// state of an upgrade in place, REFERENCE §13.2) the one spelling the
// parser gives them now: a numeric user or group without its leading
// zeros, a ready=tcp: address as parseReady writes it. Without it, the
// first apply after an upgrade from such a cfkd found `user=007` (the
// state's) and `user=7` (the file's, parsed) apart, said `~ a: user`, and
// restarted a process that was the same (REFERENCE §1.4). A value the
// parser would refuse is kept as it is: the upgrade changes nothing.
func (c *ServiceConfig) Respell() {
	c.User = respelled(parseAccount, SvcUser, c.User)
	c.Group = respelled(parseAccount, SvcGroup, c.Group)
	c.Ready = respelled(parseReady, SvcReady, c.Ready)
}

// Respell is ServiceConfig.Respell for a socket's user and group.
func (c *SocketConfig) Respell() {
	c.User = respelled(parseAccount, SockUser, c.User)
	c.Group = respelled(parseAccount, SockGroup, c.Group)
}

func respelled[A ~string](parse func(attr, v string) (Value, error), attr A, v string) string {
	if v == "" {
		return v
	}
	if n, err := parse(string(attr), v); err == nil && n.Str != "" {
		return n.Str
	}
	return v
}
