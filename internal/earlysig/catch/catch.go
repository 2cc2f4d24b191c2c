// Package catch, imported for its init alone (by cmd/cfkd, never by a
// library or a test), starts catching cfkd's signals as early as its
// process can (package earlysig).
package catch

import "github.com/cfk/cfk/internal/earlysig"

func init() { earlysig.Catch() }
