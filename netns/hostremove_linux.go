//go:build linux

package netns

import (
	"fmt"

	vnl "github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"

	"github.com/spacelab-dev/spacelab/netspec"
)

// Removing hosts deletes their veth pairs first: the kernel tears a closed namespace down
// later, and until then the other ends keep their names (a host made again with the same
// link, a dyno that stopped and came back, would meet "file exists"). Each deletion of a
// device waits for the kernel's RCU grace periods (about 17 ms on an idle machine, more on
// a busy one), so deleting the pairs of 100 stopped dynos one by one took 2–3 s. The kernel
// deletes all devices of one group of a namespace in a single unregistration with one wait:
// each pair is deleted from the end of a host that stays where there is one (the space's
// router or bridge host holds the other end of many dynos), its ends put in goneGroup, and
// the group deleted with one RTM_DELLINK per such host.

// goneGroup is the interface group of devices about to be deleted; spacelab gives no device
// a group otherwise (all are in group 0, the default).
const goneGroup = 0x5ce1ab

// removeHosts removes the hosts of the sandbox that want does not list, their links with
// them. Its cost grows with the links of the sandbox plus the removed hosts, and it makes
// one deleting request per host holding ends of the links.
func (a *Agent) removeHosts(want map[string]*netspec.Host) {
	gone := map[string]*host{}
	for name, h := range a.hosts {
		if want[name] == nil {
			gone[name] = h
		}
	}
	if len(gone) == 0 {
		return
	}
	ends := map[*host][]string{} // interfaces each host deletes
	var forget []netspec.End     // ends of links in hosts that stay
	for k, l := range a.links {
		goneA, goneB := gone[l.A.Host] != nil, gone[l.B.Host] != nil
		if !goneA && !goneB {
			continue
		}
		del := l.A // A stays, or both go
		if goneA && !goneB {
			del = l.B
		}
		if h := a.hosts[del.Host]; h != nil {
			ends[h] = append(ends[h], del.Ifname)
		}
		for _, e := range []netspec.End{l.A, l.B} {
			if gone[e.Host] == nil {
				forget = append(forget, e)
			}
		}
		delete(a.links, k)
	}
	for h, names := range ends {
		if err := h.deleteLinks(names); err != nil {
			a.log.Debug("links of removed hosts", "host", h.name, "err", err)
		}
	}
	for _, e := range forget {
		if o := a.hosts[e.Host]; o != nil {
			o.rememberIndex(e.Ifname, 0)
		}
	}
	for name, h := range gone {
		h.close()
		delete(a.hosts, name)
		a.forgetHostFaults(name)
		a.log.Debug("host removed", "host", name)
	}
}

// deleteLinks deletes the named veth ends of h (and so their peers), in one unregistration:
// each is put in goneGroup, then the group is deleted. A name h does not have is skipped.
// Where the group cannot be deleted, the ends are deleted one by one.
func (h *host) deleteLinks(names []string) error {
	release, err := h.useNetlink()
	if err != nil {
		return err
	}
	defer release()
	var grouped []string
	for _, n := range names {
		if err := h.setLinkGroup(n, goneGroup); err == nil {
			grouped = append(grouped, n)
		}
	}
	if len(grouped) == 0 {
		return nil
	}
	err = h.deleteGroup(goneGroup)
	if err == nil {
		return nil
	}
	for _, n := range grouped {
		if link, lerr := h.nl.LinkByName(n); lerr == nil {
			h.nl.LinkDel(link)
		}
	}
	return fmt.Errorf("%w (deleted one by one)", err)
}

// setLinkGroup puts h's interface name in an interface group: one RTM_SETLINK naming it.
func (h *host) setLinkGroup(name string, group uint32) error {
	req := vnl.NewNetlinkRequest(unix.RTM_SETLINK, unix.NLM_F_ACK)
	req.Sockets = map[int]*vnl.SocketHandle{unix.NETLINK_ROUTE: h.raw}
	req.AddData(vnl.NewIfInfomsg(unix.AF_UNSPEC))
	req.AddData(vnl.NewRtAttr(unix.IFLA_IFNAME, vnl.ZeroTerminated(name)))
	req.AddData(vnl.NewRtAttr(unix.IFLA_GROUP, vnl.Uint32Attr(group)))
	if _, err := req.Execute(unix.NETLINK_ROUTE, 0); err != nil {
		return fmt.Errorf("%s: interface %s group: %w", h.name, name, err)
	}
	return nil
}

// deleteGroup deletes every interface of h in group: one RTM_DELLINK, one unregistration.
func (h *host) deleteGroup(group uint32) error {
	req := vnl.NewNetlinkRequest(unix.RTM_DELLINK, unix.NLM_F_ACK)
	req.Sockets = map[int]*vnl.SocketHandle{unix.NETLINK_ROUTE: h.raw}
	req.AddData(vnl.NewIfInfomsg(unix.AF_UNSPEC))
	req.AddData(vnl.NewRtAttr(unix.IFLA_GROUP, vnl.Uint32Attr(group)))
	if _, err := req.Execute(unix.NETLINK_ROUTE, 0); err != nil {
		return fmt.Errorf("%s: delete interface group %d: %w", h.name, group, err)
	}
	return nil
}
