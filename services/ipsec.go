package services

import (
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"time"

	"github.com/spacelab-dev/spacelab/ipsec"
	"github.com/spacelab-dev/spacelab/netspec"
)

// ipsecGateway is the built-in IPsec gateway (kind "ipsec"): package ipsec's Gateway with its
// sockets opened in the host and its inner packets on a TUN device there.
type ipsecGateway struct {
	cfg netspec.Service
	gw  *ipsec.Gateway
}

func startIPsec(cfg netspec.Service, env Env) (Service, error) {
	c := cfg.IPsec
	if c == nil {
		return nil, errors.New("ipsec: no IPsec configuration")
	}
	if env.OpenDevice == nil || env.ListenPacket == nil {
		return nil, errors.New("ipsec: the host cannot open packet devices or UDP sockets")
	}
	tunnels, err := ipsecTunnels(c.Tunnels)
	if err != nil {
		return nil, err
	}
	name, mtu := c.Device, c.MTU
	if name == "" {
		name = "ipsec0"
	}
	if mtu == 0 {
		mtu = 1400
	}
	dev, err := env.OpenDevice(name, mtu, c.Addrs)
	if err != nil {
		// Without its device the gateway cannot carry a packet. It still runs, reporting every
		// tunnel DOWN with the cause, so the Heroku API and `spacelab status` say why.
		d := &devicelessGateway{cfg: cfg, since: time.Now(), msg: fmt.Sprintf(
			"cannot open the gateway's TUN device: %v; the built-in IPsec needs /dev/net/tun: run spacelab as root, or see `spacelab doctor`", err)}
		for _, t := range tunnels {
			d.names = append(d.names, t.Name)
		}
		env.Log.Error("IPsec gateway without a TUN device: its tunnels stay down", "err", err)
		return d, nil
	}
	if r, ok := dev.(DeviceRouter); ok {
		seen := map[netip.Prefix]bool{}
		for _, t := range tunnels {
			for _, p := range t.RemoteNets {
				if !seen[p] {
					seen[p] = true
					if err := r.AddRoute(p); err != nil {
						dev.Close()
						return nil, err
					}
				}
			}
		}
	}
	gw, err := ipsec.NewGateway(ipsec.GatewayConfig{
		Tunnels: tunnels,
		Device:  dev,
		Listen: func(ap netip.AddrPort) (ipsec.Conn, error) {
			pc, err := env.ListenPacket("udp4", ap.String())
			if err != nil {
				return nil, err
			}
			c, err := ipsec.NewUDPConn(pc)
			if err != nil {
				pc.Close()
			}
			return c, err
		},
		Log: env.Log,
	})
	if err != nil {
		dev.Close()
		return nil, err
	}
	return &ipsecGateway{cfg: cfg, gw: gw}, nil
}

// ipsecTunnels converts the spec's tunnels into package ipsec's configuration.
func ipsecTunnels(ts []netspec.IPsecTunnel) ([]ipsec.Config, error) {
	var out []ipsec.Config
	for _, t := range ts {
		p := t.Policy
		var pol ipsec.Policy
		for _, s := range p.IKE {
			ps, err := ipsec.ParseIKEProposals(s)
			if err != nil {
				return nil, fmt.Errorf("tunnel %s: %w", t.Name, err)
			}
			pol.IKE = append(pol.IKE, ps...)
		}
		for _, s := range p.ESP {
			ps, err := ipsec.ParseESPProposals(s)
			if err != nil {
				return nil, fmt.Errorf("tunnel %s: %w", t.Name, err)
			}
			pol.ESP = append(pol.ESP, ps...)
		}
		d := ipsec.HerokuPolicy()
		pol.IKELifetime, pol.ESPLifetime = p.IKELifetime, p.ESPLifetime
		pol.DPDDelay, pol.DPDTimeout = d.DPDDelay, d.DPDTimeout
		if p.DPDDelay > 0 {
			pol.DPDDelay, pol.DPDTimeout = p.DPDDelay, p.DPDTimeout
		}
		if p.NoDPD {
			pol.DPDDelay, pol.DPDTimeout = 0, 0
		}
		label := t.PeerLabel
		if label == "" {
			label = "the customer gateway"
		}
		out = append(out, ipsec.Config{
			Name: t.Name, Local: t.Local, Peer: t.Peer, PSK: []byte(t.PSK),
			LocalNets: t.LocalNets, RemoteNets: t.RemoteNets, Initiate: t.Initiate,
			Policy: pol, PeerLabel: label,
			RetransmitTimeout: p.RetransmitTimeout, RetransmitTries: p.RetransmitTries, RetryInterval: p.RetryInterval,
		})
	}
	return out, nil
}

// Status reports every tunnel: UP or DOWN, why, since when, and its counters.
func (s *ipsecGateway) Status() any { return IPsecStatus{Tunnels: s.gw.Status()} }

// IPsecStatus is the status an ipsec service reports.
type IPsecStatus struct {
	Tunnels []ipsec.Status `json:"tunnels"`
}

// devicelessGateway is an IPsec gateway whose TUN device could not be opened: every tunnel is
// DOWN, and says why.
type devicelessGateway struct {
	cfg   netspec.Service
	names []string
	msg   string
	since time.Time
}

func (d *devicelessGateway) Status() any {
	st := IPsecStatus{}
	for _, n := range d.names {
		st.Tunnels = append(st.Tunnels, ipsec.Status{Name: n, State: ipsec.StateDown, Message: d.msg, LastChange: d.since})
	}
	return st
}

func (d *devicelessGateway) Update(cfg netspec.Service) bool { return reflect.DeepEqual(d.cfg, cfg) }
func (d *devicelessGateway) Close() error                    { return nil }

func (s *ipsecGateway) Update(cfg netspec.Service) bool { return reflect.DeepEqual(s.cfg, cfg) }
func (s *ipsecGateway) Close() error                    { return s.gw.Close() }
