//go:build linux

package netns

import (
	"fmt"
	"sync"
	"testing"

	"github.com/vishvananda/netlink"
	vnl "github.com/vishvananda/netlink/nl"
)

// fakePool is a pool whose sockets are placeholders: it counts what is opened and closed and
// refuses to close a set twice.
func fakePool(t *testing.T, max int) (*nlPool, func() (opened, closed int)) {
	p := newNLPool(max)
	var mu sync.Mutex
	shut := map[*netlink.Handle]bool{}
	opened := 0
	p.dial = func(h *host) (*netlink.Handle, *vnl.SocketHandle, error) {
		if h.name == "broken" {
			return nil, nil, fmt.Errorf("too many open files")
		}
		mu.Lock()
		opened++
		mu.Unlock()
		return &netlink.Handle{}, &vnl.SocketHandle{}, nil
	}
	p.shut = func(nl *netlink.Handle, raw *vnl.SocketHandle) {
		mu.Lock()
		defer mu.Unlock()
		if nl == nil || raw == nil {
			t.Errorf("closing a set with a nil socket")
		}
		if shut[nl] {
			t.Errorf("a set closed twice")
		}
		shut[nl] = true
	}
	return p, func() (int, int) {
		mu.Lock()
		defer mu.Unlock()
		return opened, len(shut)
	}
}

func poolHosts(p *nlPool, n int) []*host {
	hs := make([]*host, n)
	for i := range hs {
		hs[i] = &host{name: fmt.Sprintf("h%d", i), pool: p}
	}
	return hs
}

func use(t *testing.T, h *host) func() {
	t.Helper()
	release, err := h.useNetlink()
	if err != nil {
		t.Fatal(err)
	}
	if h.nl == nil || h.raw == nil {
		t.Fatalf("%s: in use without sockets", h.name)
	}
	return release
}

func isOpen(h *host) bool {
	h.pool.mu.Lock()
	defer h.pool.mu.Unlock()
	return h.nl != nil
}

func TestNetlinkPool(t *testing.T) {
	t.Run("keeps at most max idle, the most recently used", func(t *testing.T) {
		p, counts := fakePool(t, 3)
		hs := poolHosts(p, 10)
		for _, h := range hs {
			use(t, h)()
		}
		if o, c := counts(); o != 10 || c != 7 || p.open != 3 {
			t.Fatalf("opened %d, closed %d, open %d; want 10, 7, 3", o, c, p.open)
		}
		for i, h := range hs {
			if want := i >= 7; isOpen(h) != want {
				t.Errorf("%s open = %v, want %v", h.name, !want, want)
			}
		}
		// A host used again while its sockets are open opens nothing and becomes the most
		// recent: the next eviction takes another.
		use(t, hs[7])()
		use(t, hs[0])()
		if o, _ := counts(); o != 11 {
			t.Errorf("opened %d, want 11 (h7 reused, h0 reopened)", o)
		}
		if !isOpen(hs[7]) || isOpen(hs[8]) {
			t.Errorf("h7 open %v, h8 open %v: want the least recently used (h8) closed", isOpen(hs[7]), isOpen(hs[8]))
		}
	})
	t.Run("never closes sets in use", func(t *testing.T) {
		p, counts := fakePool(t, 2)
		hs := poolHosts(p, 5)
		var rel []func()
		for _, h := range hs {
			rel = append(rel, use(t, h))
		}
		if _, c := counts(); c != 0 || p.open != 5 {
			t.Fatalf("closed %d, open %d while all are in use; want 0, 5", c, p.open)
		}
		for _, r := range rel {
			r()
		}
		if _, c := counts(); c != 3 || p.open != 2 {
			t.Fatalf("closed %d, open %d after release; want 3, 2", c, p.open)
		}
	})
	t.Run("uses nest", func(t *testing.T) {
		p, counts := fakePool(t, 0)
		h := poolHosts(p, 1)[0]
		outer := use(t, h)
		inner := use(t, h)
		inner()
		inner() // a release is idempotent
		if !isOpen(h) {
			t.Fatal("the inner release closed the outer use's sockets")
		}
		outer()
		if o, c := counts(); o != 1 || c != 1 || isOpen(h) {
			t.Fatalf("opened %d, closed %d, open %v; want 1, 1, false", o, c, isOpen(h))
		}
	})
	t.Run("a removed host closes on the last release and refuses new uses", func(t *testing.T) {
		p, counts := fakePool(t, 4)
		hs := poolHosts(p, 2)
		busy := use(t, hs[0])
		use(t, hs[1])()
		hs[0].forgetNetlink()
		hs[1].forgetNetlink()
		if _, c := counts(); c != 1 || !isOpen(hs[0]) {
			t.Fatalf("closed %d, h0 open %v; want the idle host closed at once, the busy one open", c, isOpen(hs[0]))
		}
		busy()
		if _, c := counts(); c != 2 || p.open != 0 || p.idle.Len() != 0 {
			t.Fatalf("closed %d, open %d, idle %d after the last release; want 2, 0, 0", c, p.open, p.idle.Len())
		}
		if _, err := hs[0].useNetlink(); err == nil {
			t.Fatal("a removed host's sockets were opened again")
		}
	})
	t.Run("a failed open leaves nothing", func(t *testing.T) {
		p, counts := fakePool(t, 4)
		h := &host{name: "broken", pool: p}
		if _, err := h.useNetlink(); err == nil {
			t.Fatal("no error")
		}
		if o, _ := counts(); o != 0 || p.open != 0 || h.nlRefs != 0 {
			t.Fatalf("opened %d, open %d, refs %d; want 0", o, p.open, h.nlRefs)
		}
	})
	t.Run("concurrent uses of one host open it once", func(t *testing.T) {
		p, counts := fakePool(t, 1)
		hs := poolHosts(p, 3)
		var wg sync.WaitGroup
		for i := range 60 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				h := hs[0]
				if i%10 == 9 { // now and then another host, which may evict h0 while idle
					h = hs[1+i%2]
				}
				release, err := h.useNetlink()
				if err != nil {
					t.Error(err)
					return
				}
				if h.nl == nil {
					t.Error("in use without sockets")
				}
				release()
			}()
		}
		wg.Wait()
		if o, c := counts(); o-c != p.open || p.open > 1 {
			t.Fatalf("opened %d, closed %d, open %d: the pool lost count or kept more than 1", o, c, p.open)
		}
	})
	t.Run("resize closes idle sets beyond the new size", func(t *testing.T) {
		p, counts := fakePool(t, 8)
		for _, h := range poolHosts(p, 8) {
			use(t, h)()
		}
		p.resize(3)
		if _, c := counts(); c != 5 || p.open != 3 || p.reserve() != 0 {
			t.Fatalf("closed %d, open %d, reserve %d; want 5, 3, 0", c, p.open, p.reserve())
		}
	})
}
