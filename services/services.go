// Package services implements the programs spacelab runs inside its hosts: the built-in web
// server of an app's dynos, the Heroku router that proxies to them (adding Via: 1.1
// spaces-router), DNS servers (the internet's public resolver, AmazonProvidedDNS, the space's
// *.app.localspace discovery), an echo server that reports the client's address, and a banner
// server standing in for data services.
//
// A service never opens sockets itself: it gets Listen and Dial functions in its Env, which the
// netns package binds to a network namespace. Tests pass the host's own network functions, so
// everything here runs without privilege: go test ./services/
package services

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"

	"github.com/spacelab-dev/spacelab/netspec"
)

// Env is what a service may use of its host.
type Env struct {
	// Host is the host's name, for logs.
	Host string
	// Listen opens a stream listener inside the host.
	Listen func(network, addr string) (net.Listener, error)
	// ListenPacket opens a datagram socket inside the host.
	ListenPacket func(network, addr string) (net.PacketConn, error)
	// Dial connects from inside the host.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// OpenDevice creates a layer-3 packet device inside the host (a TUN device where the
	// kernel allows one) with the given addresses, up: what the host routes into it can be read,
	// what is written to it enters the host's network stack. Nil where unsupported.
	OpenDevice func(name string, mtu int, addrs []netip.Prefix) (PacketDevice, error)
	// Log receives the service's events; nil discards them.
	Log *slog.Logger
	// Output, when set, appends a line to the host's output log in Heroku's log format
	// (SOURCE[NAME]: text, timestamped by the host): the router's request lines.
	Output func(source, name, text string)
}

// PacketDevice moves whole IPv4 packets between a service and its host's network stack.
type PacketDevice interface {
	// ReadPacket reads one packet the host routed into the device.
	ReadPacket(b []byte) (int, error)
	// WritePacket hands one packet to the host, as if it had arrived on the device.
	WritePacket(b []byte) error
	Close() error
}

// DeviceRouter is implemented by packet devices that can route prefixes into themselves (a TUN
// device in a spacelab host). The routes live as long as the device.
type DeviceRouter interface {
	AddRoute(dst netip.Prefix) error
}

// Statuser is implemented by services that report a state (an IPsec tunnel: up or down and why).
// The value must encode to JSON.
type Statuser interface {
	Status() any
}

// Service is a running service.
type Service interface {
	// Update changes the configuration in place when only data changed (backends, records);
	// it returns false when the service must be restarted to apply cfg.
	Update(cfg netspec.Service) bool
	// Close stops the service and closes its sockets and connections.
	Close() error
}

// Start starts the service cfg describes.
func Start(cfg netspec.Service, env Env) (Service, error) {
	if env.Log == nil {
		env.Log = slog.New(slog.DiscardHandler)
	}
	env.Log = env.Log.With("component", "services", "host", env.Host, "service", cfg.Name)
	if env.Dial == nil {
		var d net.Dialer
		env.Dial = d.DialContext
	}
	var (
		s   Service
		err error
	)
	switch cfg.Kind {
	case "web":
		s, err = startWeb(cfg, env)
	case "proxy":
		s, err = startProxy(cfg, env)
	case "dns":
		s, err = startDNS(cfg, env)
	case "echo":
		s, err = startEcho(cfg, env)
	case "tcp":
		s, err = startBanner(cfg, env)
	case "ipsec":
		s, err = startIPsec(cfg, env)
	default:
		return nil, fmt.Errorf("services: %s: unknown kind %q", cfg.Name, cfg.Kind)
	}
	if err != nil {
		return nil, fmt.Errorf("services: %s on %s: %w", cfg.Name, env.Host, err)
	}
	return s, nil
}

// listenAll opens a stream listener on every address of cfg.Listen, closing all on failure.
func listenAll(env Env, listen []netip.AddrPort) ([]net.Listener, error) {
	var out []net.Listener
	for _, ap := range listen {
		l, err := env.Listen("tcp4", ap.String())
		if err != nil {
			for _, x := range out {
				x.Close()
			}
			return nil, err
		}
		out = append(out, l)
	}
	return out, nil
}

func sameListen(a, b []netip.AddrPort) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func clientAddr(addr net.Addr) netip.Addr {
	if ap, err := netip.ParseAddrPort(addr.String()); err == nil {
		return ap.Addr().Unmap()
	}
	return netip.Addr{}
}

func allowed(prefixes []netip.Prefix, a netip.Addr) bool {
	if len(prefixes) == 0 {
		return true
	}
	for _, p := range prefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
