// Command cfk-proxy is cfk's Go proxy: cfkd runs it and has it fork+exec
// the services put under it (REFERENCE §4). A thin main over package
// proxyproc, whose doc.go states the model and invariants.
package main
