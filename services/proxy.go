package services

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httputil"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/spacelab-dev/spacelab/netspec"
)

// proxy is the Heroku router of a space: it picks a web dyno of the app named by the Host header
// and relays the request, adding "Via: 1.1 spaces-router (tag)" to the response, as the seed's
// curl shows.
type proxy struct {
	cfg atomic.Pointer[netspec.Service]
	srv *http.Server
	env Env
}

type backendKey struct{}

func startProxy(cfg netspec.Service, env Env) (Service, error) {
	if cfg.Proxy == nil {
		return nil, errors.New("proxy without configuration")
	}
	ls, err := listenAll(env, cfg.Listen)
	if err != nil {
		return nil, err
	}
	p := &proxy{env: env}
	p.cfg.Store(&cfg)
	transport := &http.Transport{
		// The backend was chosen by the handler; dial exactly it, from inside the host.
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			ap, _ := ctx.Value(backendKey{}).(netip.AddrPort)
			return env.Dial(ctx, network, ap.String())
		},
		MaxIdleConnsPerHost:   16,
		IdleConnTimeout:       30 * time.Second,
		ResponseHeaderTimeout: 30 * time.Second,
	}
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			ap, _ := pr.In.Context().Value(backendKey{}).(netip.AddrPort)
			pr.SetURL(&url.URL{Scheme: "http", Host: ap.String()})
			pr.Out.Host = pr.In.Host
			pr.SetXForwarded()
			pr.Out.Header.Set("X-Forwarded-Port", portOf(pr.In.Context()))
			if pr.Out.Header.Get("X-Request-Id") == "" {
				pr.Out.Header.Set("X-Request-Id", fmt.Sprintf("%016x", rand.Uint64()))
			}
			pr.Out.Header.Add("Via", "1.1 "+p.cfg.Load().Proxy.Via)
		},
		Transport: transport,
		ModifyResponse: func(r *http.Response) error {
			r.Header.Add("Via", "1.1 "+p.cfg.Load().Proxy.Via)
			return nil
		},
		ErrorHandler: func(rw http.ResponseWriter, r *http.Request, err error) {
			env.Log.Info("backend failed", "host", r.Host, "err", err)
			herokuError(rw, p.cfg.Load().Proxy.Via, http.StatusServiceUnavailable, "Application Error",
				"An error occurred in the application and your page could not be served.")
		},
		ErrorLog: nil,
	}
	p.srv = &http.Server{
		Handler: http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			c := p.cfg.Load().Proxy
			if !allowed(c.AllowedSources, clientAddr(remoteAddr(r))) {
				hj, ok := rw.(http.Hijacker)
				if ok {
					if conn, _, err := hj.Hijack(); err == nil {
						conn.Close()
						return
					}
				}
				http.Error(rw, "forbidden", http.StatusForbidden)
				return
			}
			host := strings.ToLower(r.Host)
			if h, _, err := net.SplitHostPort(host); err == nil {
				host = h
			}
			backends, known := c.Backends[strings.TrimSuffix(host, ".")]
			if !known {
				herokuError(rw, c.Via, http.StatusNotFound, "No such app",
					"There's nothing here, yet.")
				return
			}
			started := time.Now()
			if r.Header.Get("X-Request-Id") == "" {
				r.Header.Set("X-Request-Id", fmt.Sprintf("%016x", rand.Uint64()))
			}
			lw := &routerLog{ResponseWriter: rw}
			if len(backends) == 0 {
				// Heroku's router: an app it serves with no web dyno up is error H14, the
				// standard application error page with status 503.
				env.Log.Info("router error", "code", "H14", "desc", "No web processes running", "host", r.Host, "status", http.StatusServiceUnavailable)
				herokuError(lw, c.Via, http.StatusServiceUnavailable, "Application Error",
					"An error occurred in the application and your page could not be served.")
				if env.Output != nil {
					env.Output("heroku", "router", routerLine(r, host, r.Header.Get("X-Request-Id"), "", "H14", started, lw))
				}
				return
			}
			ap := backends[rand.IntN(len(backends))]
			ctx := context.WithValue(r.Context(), backendKey{}, ap)
			rp.ServeHTTP(lw, r.WithContext(ctx))
			if env.Output != nil {
				env.Output("heroku", "router", routerLine(r, host, r.Header.Get("X-Request-Id"), c.Names[ap], "", started, lw))
			}
		}),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second, // a stalled request is cut off (no write limit: the router streams)
		IdleTimeout:       120 * time.Second,
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			return context.WithValue(ctx, localKey{}, c.LocalAddr())
		},
	}
	for _, l := range ls {
		go p.srv.Serve(l)
	}
	env.Log.Debug("router started", "listen", cfg.Listen, "apps", len(cfg.Proxy.Backends))
	return p, nil
}

type localKey struct{}

func portOf(ctx context.Context) string {
	if a, ok := ctx.Value(localKey{}).(net.Addr); ok {
		if ap, err := netip.ParseAddrPort(a.String()); err == nil {
			return fmt.Sprint(ap.Port())
		}
	}
	return "80"
}

func remoteAddr(r *http.Request) net.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return &net.TCPAddr{}
	}
	return net.TCPAddrFromAddrPort(ap)
}

func herokuError(rw http.ResponseWriter, via string, status int, title, text string) {
	rw.Header().Set("Content-Type", "text/html; charset=utf-8")
	rw.Header().Set("Cache-Control", "no-cache, no-store")
	rw.Header().Add("Via", "1.1 "+via)
	rw.WriteHeader(status)
	fmt.Fprintf(rw, "<!DOCTYPE html><html><head><title>%s</title></head><body><h1>%s</h1><p>%s</p></body></html>\n", title, title, text)
}

func (p *proxy) Update(cfg netspec.Service) bool {
	old := p.cfg.Load()
	if !sameListen(old.Listen, cfg.Listen) || cfg.Proxy == nil {
		return false
	}
	p.cfg.Store(&cfg)
	return true
}

func (p *proxy) Close() error { return p.srv.Close() }
