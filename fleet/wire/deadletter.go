package wire

// IgnoreDeadLetterLogging keeps a Request out of protoactor's dead-letter
// log (actor.IgnoreDeadLetterLogging): it logs a message it could not
// deliver whole (at debug level in cfkd's log), and a request's lines
// hold what is never logged, an add_env value, or an apply's DATA which
// holds them (REFERENCE §5.5). A request to a host that is down or a
// gateway that stopped is answered and reported by the fleet itself.
func (*Request) IgnoreDeadLetterLogging() {}
