package messages

// Reply answers one request: body lines on success, or an error. On the
// admin socket it becomes the body lines then `OK`, or `ERROR: ` + Err.
type Reply struct {
	Lines []string
	Err   error
}

// OK reports whether the reply is a success.
func (r Reply) OK() bool { return r.Err == nil }

// ErrorReply builds a failed reply.
func ErrorReply(err error) Reply { return Reply{Err: err} }
