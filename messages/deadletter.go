package messages

// IgnoreDeadLetterLogging keeps these messages out of protoactor's
// dead-letter log (actor.IgnoreDeadLetterLogging): it logs a message it
// could not deliver (at debug level in cfkd's log) with its fields, and a
// declaration's or an apply's hold `add_env` values, which are never
// logged (REFERENCE §5.5). They reach a stopped actor only at the end of
// a shutdown, when their requests are answered `cfkd is shutting down`.
func (SetServiceAttr) IgnoreDeadLetterLogging() {}

// IgnoreDeadLetterLogging: see SetServiceAttr's.
func (SetProxyAttr) IgnoreDeadLetterLogging() {}

// IgnoreDeadLetterLogging: see SetServiceAttr's.
func (Apply) IgnoreDeadLetterLogging() {}
