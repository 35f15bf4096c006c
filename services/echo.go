package services

import (
	"fmt"
	"net/http"
	"time"

	"github.com/spacelab-dev/spacelab/netspec"
)

// echo answers every HTTP request with the client's address as the server saw it, the way
// services like ifconfig.me let a dyno see which outbound IP it leaves from.
type echo struct {
	cfg netspec.Service
	srv *http.Server
}

func startEcho(cfg netspec.Service, env Env) (Service, error) {
	ls, err := listenAll(env, cfg.Listen)
	if err != nil {
		return nil, err
	}
	e := &echo{cfg: cfg}
	e.srv = &http.Server{
		Handler: http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			rw.Header().Set("Content-Type", "text/plain; charset=utf-8")
			fmt.Fprintln(rw, clientAddr(remoteAddr(r)))
		}),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second, // a stalled request is cut off (no write limit: the router streams)
		IdleTimeout:       120 * time.Second,
	}
	for _, l := range ls {
		go e.srv.Serve(l)
	}
	return e, nil
}

func (e *echo) Update(cfg netspec.Service) bool { return sameListen(e.cfg.Listen, cfg.Listen) }
func (e *echo) Close() error                    { return e.srv.Close() }
