// Command cfkctl controls cfkd, the cfk process supervisor: a thin main
// over package ctl, mapping its result to the exit status (0, 1 on an
// ERROR reply, 2 on a usage error). See `cfkctl --help`.
package main
