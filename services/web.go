package services

import (
	"fmt"
	"html"
	"net"
	"net/http"
	"time"

	"github.com/spacelab-dev/spacelab/netspec"
)

// web is the built-in web server a dyno (or an instance) runs: it answers every request with
// 200 and a small page naming the app and dyno that served it, like an app would.
type web struct {
	cfg netspec.Service
	srv *http.Server
}

func startWeb(cfg netspec.Service, env Env) (Service, error) {
	ls, err := listenAll(env, cfg.Listen)
	if err != nil {
		return nil, err
	}
	w := &web{cfg: cfg}
	app, dyno := env.Host, ""
	if cfg.Web != nil {
		app, dyno = cfg.Web.App, cfg.Web.Dyno
	}
	w.srv = &http.Server{
		Handler: http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			h := rw.Header()
			h.Set("Cache-Control", "no-cache, private")
			h.Set("Content-Type", "text/html; charset=UTF-8")
			h.Set("Server", "spacelab-web")
			if dyno != "" {
				h.Set("X-Spacelab-Dyno", dyno)
			}
			fmt.Fprintf(rw, "<!doctype html><title>%s</title><h1>%s</h1><p>served by %s at %s for %s</p>\n",
				html.EscapeString(app), html.EscapeString(app), html.EscapeString(orHost(dyno, env.Host)),
				time.Now().UTC().Format(time.RFC3339), html.EscapeString(r.RemoteAddr))
		}),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second, // a stalled request is cut off (no write limit: the router streams)
		IdleTimeout:       120 * time.Second,
		ErrorLog:          nil,
	}
	for _, l := range ls {
		go w.srv.Serve(l)
	}
	env.Log.Debug("web server started", "listen", cfg.Listen)
	return w, nil
}

func orHost(dyno, host string) string {
	if dyno != "" {
		return dyno
	}
	return host
}

func (w *web) Update(cfg netspec.Service) bool {
	return sameListen(w.cfg.Listen, cfg.Listen) && fmt.Sprint(w.cfg.Web) == fmt.Sprint(cfg.Web)
}

func (w *web) Close() error { return w.srv.Close() }

var _ net.Listener = (*net.TCPListener)(nil)
