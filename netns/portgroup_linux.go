//go:build linux

package netns

import (
	"errors"
	"fmt"
	"sync"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// A Linux bridge takes at most 1,023 ports (BR_MAX_PORTS); the kernel refuses the next one
// with EXFULL. A spec's bridge can hold more: when it is full, its ports continue on port
// groups, bridges without addresses each joined to the spec's bridge by a veth pair inside
// the host. The spec's bridge keeps the addresses, so routing, filtering on its name and the
// spec itself do not change; within the subnet, frames cross at most two extra bridges.
//
// Names: the group bridge is the spec's bridge name with "g" and the group's number, its uplink
// pair "u" (on the spec's bridge) and "d" (on the group) with the number: bridge names are
// short (render gives 11 characters), so these stay within IFNAMSIZ.

// rootPorts is how many ports the spec's bridge takes directly before new ports go to port
// groups: the rest of its 1,023 are kept for the groups' uplinks. groupPorts is what a group
// takes (its uplink is the 1,023rd).
// They are variables so that a test can make groups with a few hosts.
var (
	rootPorts  = 512
	groupPorts = 1022
)

// portGroups is a host's port groups per spec bridge. Counts only grow (a port that goes with
// its peer's namespace is not seen leaving), so a bridge is never offered more ports than the
// kernel takes, at worst a group is opened earlier than needed.
type portGroups struct {
	mu     sync.Mutex
	groups map[string]int // spec bridge → number of groups made
	open   map[string]int // spec bridge → index of the bridge new ports join
	count  map[int]int    // bridge index → ports given
}

// takePort reserves a port on the spec bridge name for a new interface and returns the index
// of the bridge (the spec's own or a port group) it joins; 0 when name is empty.
func (h *host) takePort(name string) (int, error) {
	if name == "" {
		return 0, nil
	}
	pg := &h.ports
	pg.mu.Lock()
	defer pg.mu.Unlock()
	if pg.open == nil {
		pg.groups, pg.open, pg.count = map[string]int{}, map[string]int{}, map[int]int{}
	}
	br, limit := pg.open[name], groupPorts
	if br == 0 {
		if br, limit = h.bridgeIndex(name), rootPorts; br == 0 {
			return 0, nil // unknown: the caller looks it up by name
		}
	}
	if pg.count[br] >= limit {
		n := pg.groups[name] + 1
		if n > 1023-rootPorts { // the spec bridge's other ports are the groups' uplinks
			return 0, fmt.Errorf("%s: bridge %s: more than %d port groups: %w", h.name, name, 1023-rootPorts, unix.EXFULL)
		}
		idx, err := h.addPortGroup(name, h.bridgeIndex(name), n)
		if err != nil {
			return 0, err
		}
		pg.groups[name], pg.open[name] = n, idx
		br = idx
	}
	pg.count[br]++
	return br, nil
}

// bridgeFull records that the bridge at index br refused a port (EXFULL): ports it was given
// left unseen, or someone else added some; the next port goes to a new group.
func (h *host) bridgeFull(br int) {
	h.ports.mu.Lock()
	defer h.ports.mu.Unlock()
	h.ports.count[br] = rootPorts + groupPorts
}

// addPortGroup makes group n of the spec bridge at index root: a bridge and the veth pair
// joining it to root, all up. It returns the group bridge's index.
func (h *host) addPortGroup(name string, root, n int) (int, error) {
	gname, up, down := fmt.Sprintf("%sg%d", name, n), fmt.Sprintf("%su%d", name, n), fmt.Sprintf("%sd%d", name, n)
	fail := func(err error) (int, error) {
		return 0, fmt.Errorf("%s: bridge %s: port group %d: %w", h.name, name, n, err)
	}
	if err := h.nl.LinkAdd(newBridge(gname)); err != nil {
		return fail(err)
	}
	g, err := h.nl.LinkByName(gname)
	if err != nil {
		return fail(err)
	}
	veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: up, MTU: 1500}, PeerName: down}
	if err := h.nl.LinkAdd(veth); err != nil {
		return fail(err)
	}
	u, err := h.nl.LinkByName(up)
	if err != nil {
		return fail(err)
	}
	d, err := h.nl.LinkByName(down)
	if err != nil {
		return fail(err)
	}
	for _, l := range []netlink.Link{g, u, d} {
		if err := h.quietLink(l.Attrs().Index); err != nil {
			return fail(err)
		}
	}
	// The uplink takes a port of the spec's bridge: when that is full too, this cannot grow.
	if err := h.nl.LinkSetMasterByIndex(u, root); err != nil {
		return fail(fmt.Errorf("uplink %s: %w", up, err))
	}
	if err := h.nl.LinkSetMasterByIndex(d, g.Attrs().Index); err != nil {
		return fail(err)
	}
	for _, l := range []netlink.Link{g, u, d} {
		if err := h.nl.LinkSetUp(l); err != nil {
			return fail(err)
		}
	}
	return g.Attrs().Index, nil
}

// enslavePort makes link a port of the spec bridge name, moving on to a port group where the
// bridge is full.
func (h *host) enslavePort(link netlink.Link, name string) error {
	for {
		br, err := h.takePort(name)
		if err != nil {
			return err
		}
		if br == 0 {
			l, err := h.nl.LinkByName(name)
			if err != nil {
				return fmt.Errorf("%s: bridge %s: %w", h.name, name, err)
			}
			br = l.Attrs().Index
		}
		err = h.nl.LinkSetMasterByIndex(link, br)
		if !errors.Is(err, unix.EXFULL) {
			return err
		}
		h.bridgeFull(br)
	}
}
