package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

// signalContext is the root context of the process: cancelled by SIGINT or
// SIGTERM.
func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}
