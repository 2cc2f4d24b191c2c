package main

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/cfk/cfk/osproc"
	"github.com/cfk/cfk/proxyproc"
	"github.com/cfk/cfk/proxywire"
	"github.com/sirupsen/logrus"
)

func main() {
	if err := run(os.Args[1:], os.Environ(), os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "cfk-proxy:", err)
		os.Exit(1)
	}
}

func run(args []string, env []string, stderr io.Writer) error {
	if len(args) > 0 {
		return fmt.Errorf("no arguments expected (got %q): cfkd runs cfk-proxy with its pipes in %s, %s and %s",
			args, proxywire.EnvCommandFd, proxywire.EnvStatusFd, proxywire.EnvLogFd)
	}
	pipes, skipped, err := proxyproc.PipesFromEnv(env)
	if err != nil {
		return err
	}
	// Signals first: a SIGTERM from now on starts a shutdown.
	sigs := make(chan os.Signal, 3)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)

	log := logrus.New()
	log.SetOutput(stderr)
	log.SetLevel(logrus.WarnLevel)
	l, err := osproc.New(log)
	if err != nil {
		return err
	}
	p := proxyproc.New(proxyproc.Config{
		Launcher: l,
		Commands: pipes.Command,
		Status:   pipes.Status,
		Log:      pipes.Log,
		Sockets:  pipes.Sockets,
		Env:      env,
		Signals:  sigs,
		Self:     "cfk-proxy",
		Warnings: skipped,
	})
	err = p.Run()
	l.Close() // emits the last partial lines of the children
	p.Close(time.Second)
	return err
}
