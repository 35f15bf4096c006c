package lab

import (
	"context"
	"net/netip"
	"time"

	"github.com/spacelab-dev/spacelab/emulator"
	"github.com/spacelab-dev/spacelab/emulator/render"
	"github.com/spacelab-dev/spacelab/netspec"
)

// bootPoll is how often the lab looks for web dynos whose process has not bound $PORT yet.
const bootPoll = 200 * time.Millisecond

// watchDynoBoot moves web dynos from starting to up in the API (heroku ps, GET
// /apps/{app}/dynos) once their process accepts a TCP connection on $PORT: a real connection
// from inside the dyno to its own address, as Heroku's boot check waits for the port to be
// bound.
func (l *Lab) watchDynoBoot(ctx context.Context) {
	t := time.NewTicker(bootPoll)
	defer t.Stop()
	type waiting struct {
		id, host string
		restarts int
		addr     netip.AddrPort
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		var ws []waiting
		l.World.View(func(tx *emulator.Tx) error {
			for _, d := range tx.DynosAwaitingListener() {
				app := tx.App(d.AppID)
				if app == nil {
					continue
				}
				ws = append(ws, waiting{id: d.ID, host: render.DynoHost(app.Name, d.Name()), restarts: d.Restarts,
					addr: netip.AddrPortFrom(d.PrivateIP, emulator.WebPort)})
			}
			return nil
		})
		for _, w := range ws {
			res, err := l.Sandbox.Probe(ctx, netspec.Probe{From: w.host, Kind: "tcp", Target: w.addr.String(), Timeout: time.Second})
			if err == nil && res.OK {
				l.World.ReportDynoListening(w.id, w.restarts)
			}
		}
	}
}
