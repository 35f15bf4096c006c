package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/spacelab-dev/spacelab/lab"
	"github.com/spacelab-dev/spacelab/netns"
)

func captureCmd() *cobra.Command {
	var file, filter string
	var dur time.Duration
	var count int
	cmd := &cobra.Command{
		Use:   "capture HOST[:IFACE] -w FILE.pcap",
		Short: "Record the packets of a host (or one of its interfaces) to a pcap file",
		Long: `Record packets inside a host of the running emulator, as tcpdump would, into a pcap file that
tcpdump -r and tshark -r read. Without :IFACE every interface of the host is recorded (Linux
cooked capture). On an IPsec gateway the tunnel's inner (decrypted) packets, which cross its TUN
device, go to a second file, FILE-inner.pcap.

--filter takes a small part of tcpdump's syntax: terms joined by "and", each one of tcp, udp,
icmp, arp, host ADDR, src ADDR, dst ADDR, port N, or not TERM. The capture stops after --for,
after --count packets, or at Ctrl-C.`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeHosts,
		RunE: func(cmd *cobra.Command, args []string) error {
			st := lab.DefaultState()
			if err := requireRunning(st); err != nil {
				return err
			}
			if file == "" {
				return errors.New("capture: -w FILE.pcap is required")
			}
			pf, err := netns.ParsePacketFilter(filter)
			if err != nil {
				return err
			}
			host, iface := args[0], ""
			if i := strings.LastIndex(host, ":"); i > 0 {
				host, iface = host[:i], host[i+1:]
			}
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			if dur > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, dur)
				defer cancel()
			}
			ctx, cancel := context.WithCancel(ctx)
			defer cancel()
			c, err := openCapture(ctx, st.SandboxSocket(), host, iface, file, pf, count, cancel)
			if err != nil {
				return err
			}
			fmt.Fprintf(os.Stderr, "spacelab capture: recording %s to %s", args[0], file)
			if c.inner != nil {
				fmt.Fprintf(os.Stderr, " (inner packets of %s to %s)", c.innerDev, c.innerFile)
			}
			fmt.Fprintln(os.Stderr, "; Ctrl-C stops")
			err = c.wait()
			fmt.Fprintf(os.Stderr, "spacelab capture: %d packets to %s", c.outer.Packets, file)
			if c.inner != nil {
				fmt.Fprintf(os.Stderr, ", %d inner packets to %s", c.inner.Packets, c.innerFile)
			}
			fmt.Fprintln(os.Stderr)
			return err
		},
	}
	f := cmd.Flags()
	f.StringVarP(&file, "write", "w", "", "pcap file to write")
	f.DurationVar(&dur, "for", 0, "stop after this long (e.g. 10s)")
	f.IntVar(&count, "count", 0, "stop after this many packets")
	f.StringVar(&filter, "filter", "", `record only matching packets ("tcp and port 80", "host 10.0.25.212")`)
	return cmd
}

// capture is one running capture: the outer file, and the inner one for an IPsec gateway.
type capture struct {
	outer, inner        *netns.PcapWriter
	files               []*os.File
	innerDev, innerFile string
	mu                  sync.Mutex
	errs                chan error
	n                   int
}

// openCapture starts recording host (iface "" for all) to file, and returns once it is armed.
func openCapture(ctx context.Context, socket, host, iface, file string, pf *netns.PacketFilter, count int, done func()) (*capture, error) {
	c := &capture{errs: make(chan error, 2)}
	f, err := os.Create(file)
	if err != nil {
		return nil, err
	}
	c.files = append(c.files, f)
	c.outer = netns.NewPcapWriter(f)
	innerName := strings.TrimSuffix(file, ".pcap") + "-inner.pcap"
	var innerW *netns.PcapWriter
	write := func(fr netns.Frame) bool {
		if !pf.Match(fr) {
			return true
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		w := c.outer
		if fr.Tunnel && iface == "" && innerW != nil {
			w = innerW
		}
		if err := w.Write(fr); err != nil {
			return false
		}
		if w == c.outer {
			c.n++
			if count > 0 && c.n >= count {
				done()
				return false
			}
		}
		return true
	}
	ready := make(chan []string, 1)
	go func() {
		c.errs <- netns.Capture(ctx, socket, netns.CaptureRequest{Host: host, Iface: iface}, func(tuns []string) { ready <- tuns }, write)
	}()
	var tuns []string
	select {
	case tuns = <-ready:
	case err := <-c.errs:
		c.close()
		if errors.Is(err, netns.ErrNoHost) {
			return nil, fmt.Errorf("capture: no host %q; `spacelab hosts` lists them", host)
		}
		if err == nil {
			err = errors.New("capture: ended before it began")
		}
		return nil, err
	}
	// The inner packets of a tunnel go to a file of their own.
	if len(tuns) > 0 && (iface == "" || iface != tuns[0]) {
		inf, err := os.Create(innerName)
		if err != nil {
			c.close()
			return nil, err
		}
		c.files = append(c.files, inf)
		c.mu.Lock()
		innerW = netns.NewPcapWriter(inf)
		c.inner, c.innerDev, c.innerFile = innerW, tuns[0], innerName
		c.mu.Unlock()
		if iface != "" {
			armed := make(chan []string, 1)
			go func() {
				c.errs <- netns.Capture(ctx, socket, netns.CaptureRequest{Host: host, Iface: tuns[0]}, func(t []string) { armed <- t },
					func(fr netns.Frame) bool {
						if !pf.Match(fr) {
							return true
						}
						c.mu.Lock()
						defer c.mu.Unlock()
						return innerW.Write(fr) == nil
					})
			}()
			select {
			case <-armed:
			case <-ctx.Done():
			}
		} else {
			c.errs <- nil // one socket sees both
		}
	} else {
		c.errs <- nil // no second capture
	}
	return c, nil
}

// wait returns when the capture has ended, with the files complete.
func (c *capture) wait() error {
	var errs []error
	for range 2 {
		if err := <-c.errs; err != nil {
			errs = append(errs, err)
		}
	}
	c.close()
	return errors.Join(errs...)
}

func (c *capture) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.outer.Close()
	if c.inner != nil {
		c.inner.Close()
	}
	for _, f := range c.files {
		f.Close()
	}
}
