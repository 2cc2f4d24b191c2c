// Package sockets will hold the shared-socket actor (SPEC §3): listening
// sockets bound once by cfkd and handed to many services as fd 0 or as
// systemd-style LISTEN_FDS. It is filled by the "Shared sockets" issue;
// until then the controller refuses `socket` declarations with a clear
// error and `command bind` answers `unknown socket 'NAME'`.
package sockets
