package ctl

import (
	"errors"
	"fmt"

	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/protocol"
)

// attributeHint is the line cfkctl adds to `invalid property 'ATTR'` (the
// original's text, kept) when ATTR is likely an attribute misspelt
// (messages.AttributeMeant): `cfkctl: 'cwdd' is no attribute: did you
// mean 'cwd'?`; "" otherwise.
func attributeHint(err error) string {
	var (
		us  *userError
		re  *protocol.RemoteError
		msg string
	)
	switch {
	case errors.As(err, &us):
		msg = us.msg
	case errors.As(err, &re):
		msg = re.Msg
	default:
		return ""
	}
	return attributeHintOf(msg)
}

// attributeHintOf is attributeHint's line for an error text msg; "" when
// msg is no `invalid property 'ATTR'` or no attribute is close.
func attributeHintOf(msg string) string {
	attr, meant := messages.AttributeMeant(msg)
	if meant == "" {
		return ""
	}
	return fmt.Sprintf("cfkctl: '%s' is no attribute: did you mean '%s'?", attr, meant)
}
