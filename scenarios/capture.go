package scenarios

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"

	"github.com/spacelab-dev/spacelab/netns"
)

// isCheck reports whether the step sends packets (http, dns, tcp, icmp).
func (st Step) isCheck() bool {
	return st.HTTP != nil || st.DNS != nil || st.TCP != nil || st.ICMP != nil
}

// checkSource is the host a check step sends from.
func (r *Runner) checkSource(st Step) string {
	switch {
	case st.HTTP != nil:
		return r.subst(st.HTTP.From)
	case st.DNS != nil:
		return r.subst(st.DNS.From)
	case st.TCP != nil:
		return r.subst(st.TCP.From)
	case st.ICMP != nil:
		return r.subst(st.ICMP.From)
	}
	return ""
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// captured runs a check step while recording every interface of its source host, and keeps
// the recording as a pcap in CaptureDir when the step fails.
func (r *Runner) captured(ctx context.Context, st Step, n int) StepResult {
	if err := r.Lab.Sync(ctx); err != nil {
		return StepResult{Detail: err.Error()}
	}
	cctx, stop := context.WithCancel(ctx)
	var mu sync.Mutex
	var frames []netns.Frame
	ready := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- netns.Capture(cctx, r.Lab.Sandbox.SocketPath(), netns.CaptureRequest{Host: r.checkSource(st)},
			func([]string) { close(ready) },
			func(f netns.Frame) bool {
				mu.Lock()
				frames = append(frames, f)
				mu.Unlock()
				return true
			})
	}()
	var capErr error
	select {
	case <-ready:
	case capErr = <-done:
	}
	sr := r.step(ctx, st)
	stop()
	if capErr == nil {
		capErr = <-done
	}
	if sr.OK {
		return sr
	}
	if capErr != nil {
		sr.Detail += "\ncapture: " + capErr.Error()
		return sr
	}
	name := fmt.Sprintf("%02d-%s.pcap", n, strings.Trim(unsafeName.ReplaceAllString(r.subst(st.Name), "-"), "-"))
	path := filepath.Join(r.CaptureDir, name)
	if err := writePcap(path, frames); err != nil {
		sr.Detail += "\ncapture: " + err.Error()
		return sr
	}
	sr.Capture = path
	sr.Detail += fmt.Sprintf("\npackets of %s: %s (%d)", r.checkSource(st), path, len(frames))
	return sr
}

func writePcap(path string, frames []netns.Frame) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := netns.NewPcapWriter(f)
	for _, fr := range frames {
		if err := w.Write(fr); err != nil {
			f.Close()
			return err
		}
	}
	w.Close()
	return f.Close()
}
