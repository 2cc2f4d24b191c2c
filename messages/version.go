package messages

// Version is cfk's version, answered by `command version` and printed by
// `--version`. Release builds set it with -ldflags "-X ...messages.Version=".
var Version = "0.1.0-dev"
