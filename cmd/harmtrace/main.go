// Command harmtrace traces cyberattacks on vulnerable organisations,
// measures their harm to people and publishes open data.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/harmtrace/harmtrace/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
