package proxywire

// MaxSignal is the highest signal number there is (SIGRTMAX): a wait
// status that says a process ended by a higher one is none (Status.NoEnd).
const MaxSignal = 64
