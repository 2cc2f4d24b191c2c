package proxywire

// The environment variables that hand a proxy its pipes and sockets
// (REFERENCE §4.1, compat): cfkd sets them, a proxy reads them. Each holds
// an inherited fd number; EnvSockPrefix + a socket's name, one per bound
// socket. They all begin with EnvPrefix.
const (
	EnvPrefix     = "_CFK_"
	EnvCommandFd  = "_CFK_COMMAND_FD"
	EnvStatusFd   = "_CFK_STATUS_FD"
	EnvLogFd      = "_CFK_LOG_FD"
	EnvSockPrefix = "_CFK_SOCK_"
)
