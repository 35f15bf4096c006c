// Package apiserver builds the http.Server that publishes one of spacelab's HTTP handlers (the
// fake Heroku and AWS APIs, the CLI's control socket) with limits a hostile
// or broken client cannot outlast: a client that stalls its headers or body, or holds an idle
// keep-alive connection, is cut off after a bounded time instead of holding the connection
// forever, and oversize headers are refused with 431 before any handler runs.
package apiserver

import (
	"log/slog"
	"net/http"
	"time"
)

// Limits bound one connection's life. A zero field means no limit for that phase.
type Limits struct {
	// ReadHeader bounds reading a request's headers (a client that sends them slowly).
	ReadHeader time.Duration
	// Read bounds reading a whole request, body included.
	Read time.Duration
	// Write bounds writing the answer, from the end of the request headers.
	Write time.Duration
	// Idle bounds how long a keep-alive connection waits for its next request.
	Idle time.Duration
	// MaxHeaderBytes bounds the size of the request line and headers; zero means 64 KiB.
	MaxHeaderBytes int
}

// APILimits are the limits of the fake Heroku and AWS APIs. Their requests are small (bodies
// up to 1 MiB) and their handlers never wait on the data plane, so a request that takes longer
// than this is a stalled or hostile client.
var APILimits = Limits{ReadHeader: 10 * time.Second, Read: 30 * time.Second, Write: 60 * time.Second, Idle: 120 * time.Second}

// New returns a server for h with the given limits. log receives the server's own errors (TLS
// handshakes, panics the handler let through); nil discards them.
func New(h http.Handler, l Limits, log *slog.Logger) *http.Server {
	if l.MaxHeaderBytes == 0 {
		l.MaxHeaderBytes = 64 << 10
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: l.ReadHeader,
		ReadTimeout:       l.Read,
		WriteTimeout:      l.Write,
		IdleTimeout:       l.Idle,
		MaxHeaderBytes:    l.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}
