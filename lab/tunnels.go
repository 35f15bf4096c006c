package lab

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/spacelab-dev/spacelab/emulator"
)

// tunnelPoll is how often the lab asks the data plane about VPN tunnels.
const tunnelPoll = 200 * time.Millisecond

// watchTunnels carries the IPsec tunnels' state from the data plane into the model, so the
// Heroku API (tunnels) and EC2 (VgwTelemetry) show each tunnel UP or DOWN with the reason the
// gateway gives.
func (l *Lab) watchTunnels(ctx context.Context) {
	t := time.NewTicker(tunnelPoll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		any := false
		l.World.View(func(tx *emulator.Tx) error {
			any = len(tx.VPNConnections("")) > 0 || len(tx.VpnConnections()) > 0
			return nil
		})
		if !any {
			continue
		}
		reports, err := l.TunnelReports(ctx)
		if err != nil {
			continue
		}
		change := false
		l.World.View(func(tx *emulator.Tx) error {
			change = tx.TunnelReportsChange(reports)
			return nil
		})
		if change {
			l.World.Update(func(tx *emulator.Tx) error {
				tx.ReportTunnels(reports)
				return nil
			})
		}
	}
}

// tunnelState is what an IPsec service says about one of its tunnels.
type tunnelState struct {
	Name    string `json:"name"`
	State   string `json:"state"`
	Message string `json:"message"`
}

// ipsecTunnels reads every IPsec service's tunnels from the data plane, by host.
func (l *Lab) ipsecTunnels(ctx context.Context) (map[string][]tunnelState, error) {
	st, err := l.Sandbox.ServiceStatus(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string][]tunnelState{}
	for host, svcs := range st {
		var s struct {
			Tunnels []tunnelState `json:"tunnels"`
		}
		if raw, ok := svcs["ipsec"]; ok && json.Unmarshal(raw, &s) == nil {
			out[host] = s.Tunnels
		}
	}
	return out, nil
}

// TunnelReports reads the state of every Heroku VPN tunnel and every AWS Site-to-Site VPN
// tunnel from the data plane: what the space's or the VPC's own gateway says.
func (l *Lab) TunnelReports(ctx context.Context) ([]emulator.TunnelReport, error) {
	hosts, err := l.ipsecTunnels(ctx)
	if err != nil {
		return nil, err
	}
	var out []emulator.TunnelReport
	for host, tunnels := range hosts {
		if !strings.HasPrefix(host, "vpn/") && !strings.HasPrefix(host, "vgw/") {
			continue
		}
		for _, t := range tunnels {
			if id, n, ok := emulator.ParseVPNTunnelName(t.Name); ok {
				out = append(out, emulator.TunnelReport{VPNID: id, Tunnel: n, Up: t.State == emulator.TunnelUp, Message: t.Message})
			}
		}
	}
	return l.overrideTunnelReports(out), nil
}
