//go:build linux

package netns

import (
	"encoding/binary"
	"fmt"
	"sort"
	"sync"

	"net/netip"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"github.com/google/nftables/userdata"
	"github.com/google/nftables/xt"
	"golang.org/x/sys/unix"

	"github.com/spacelab-dev/spacelab/netspec"
)

// faultTable is the nftables table that holds a host's faults (netspec.Fault), apart from the
// host's filter table so that neither rewrites the other.
const faultTable = "spacelab-faults"

// faultState is what the agent knows of the faults: those asked for, by host, and the hosts
// that have a table. Locked after Agent.mu where both are held.
type faultState struct {
	mu     sync.Mutex
	want   map[string][]netspec.Fault // the last SetFaults, by host: a host made again gets them back
	hosts  map[string]bool
	relays map[string][]*relay // the delay relays of each host
}

// SetFaults replaces every fault of the sandbox with faults: each host that has some gets its
// table rebuilt in one transaction, a host that no longer has any loses its table. The faults
// stay asked for: a host that goes and is made again by a later Apply (a dyno restarted, an
// instance replaced) gets them back (restoreFaults).
func (a *Agent) SetFaults(faults []netspec.Fault, out *[]netspec.FaultCounter) error {
	a.mu.Lock() // no Apply meanwhile: it could make a host again without the new faults
	defer a.mu.Unlock()
	a.faults.mu.Lock()
	defer a.faults.mu.Unlock()
	byHost := map[string][]netspec.Fault{}
	for _, f := range faults {
		byHost[f.Host] = append(byHost[f.Host], f)
	}
	hosts := map[string]*host{}
	for name := range byHost {
		h := a.hosts[name]
		if h == nil {
			return fmt.Errorf("netns: fault: no host %q", name)
		}
		hosts[name] = h
	}
	for name := range a.faults.hosts {
		if hosts[name] == nil && a.hosts[name] != nil {
			hosts[name] = a.hosts[name]
		}
	}
	a.faults.want = byHost
	names := make([]string, 0, len(hosts))
	for n := range hosts {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := a.installFaults(n, hosts[n], byHost[n], a.faults.hosts[n]); err != nil {
			return err
		}
	}
	return nil
}

// installFaults gives host h (named n) exactly the faults fs: its delay relays and its fault
// table (had: it has one now). a.faults.mu is held.
func (a *Agent) installFaults(n string, h *host, fs []netspec.Fault, had bool) error {
	if a.faults.hosts == nil {
		a.faults.hosts = map[string]bool{}
	}
	if a.faults.relays == nil {
		a.faults.relays = map[string][]*relay{}
	}
	for _, r := range a.faults.relays[n] {
		r.close()
	}
	delete(a.faults.relays, n)
	queues := map[string]uint16{}
	for _, f := range fs {
		if f.Delay > 0 {
			q := uint16(len(queues) + 1)
			r, err := startRelay(h, q, f.Delay)
			if err != nil {
				return err
			}
			a.faults.relays[n] = append(a.faults.relays[n], r)
			queues[f.ID] = q
		}
	}
	if err := h.applyFaults(fs, had, queues); err != nil {
		return err
	}
	a.faults.hosts[n] = len(fs) > 0
	if !a.faults.hosts[n] {
		delete(a.faults.hosts, n)
	}
	return nil
}

// forgetHostFaults is a host's removal: its relays stop and it has no table any more; the
// faults asked for it stay, for when it is made again. Agent.mu is held.
func (a *Agent) forgetHostFaults(n string) {
	a.faults.mu.Lock()
	defer a.faults.mu.Unlock()
	for _, r := range a.faults.relays[n] {
		r.close()
	}
	delete(a.faults.relays, n)
	delete(a.faults.hosts, n)
}

// restoreFaults installs the faults asked for on hosts the current Apply made (again), and
// returns the hosts where that failed. Agent.mu is held.
func (a *Agent) restoreFaults(made []string) map[string]error {
	a.faults.mu.Lock()
	defer a.faults.mu.Unlock()
	var failed map[string]error
	for _, n := range made {
		fs := a.faults.want[n]
		h := a.hosts[n]
		if len(fs) == 0 || h == nil {
			continue
		}
		if err := a.installFaults(n, h, fs, false); err != nil {
			if failed == nil {
				failed = map[string]error{}
			}
			failed[n] = err
			continue
		}
		a.log.Debug("faults restored", "host", n, "faults", len(fs))
	}
	return failed
}

// FaultCounters reports how many packets each installed fault has dropped.
func (a *Agent) FaultCounters(_ struct{}, out *[]netspec.FaultCounter) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.faults.mu.Lock()
	defer a.faults.mu.Unlock()
	var res []netspec.FaultCounter
	for name := range a.faults.hosts {
		h := a.hosts[name]
		if h == nil {
			continue
		}
		counts, err := h.faultCounters()
		if err != nil {
			return fmt.Errorf("netns: fault counters of %s: %w", name, err)
		}
		for id, n := range counts {
			res = append(res, netspec.FaultCounter{ID: id, Host: name, Dropped: n})
		}
	}
	sort.Slice(res, func(i, j int) bool { return res[i].ID+res[i].Host < res[j].ID+res[j].Host })
	*out = res
	return nil
}

// applyFaults replaces the host's fault table with one for fs (none: the table goes).
func (h *host) applyFaults(fs []netspec.Fault, had bool, queues map[string]uint16) error {
	c, err := h.nftConn()
	if err != nil {
		return fmt.Errorf("netns: %s: faults: %w", h.name, err)
	}
	t := &nftables.Table{Family: nftables.TableFamilyIPv4, Name: faultTable}
	if had {
		c.AddTable(t)
		c.DelTable(t)
	}
	if len(fs) > 0 {
		c.AddTable(t)
		// Before the host's own filter (priority 0), so a fault drops what the filter accepts.
		prio := nftables.ChainPriority(-50)
		out := c.AddChain(&nftables.Chain{Name: "egress", Table: t, Type: nftables.ChainTypeFilter,
			Hooknum: nftables.ChainHookPostrouting, Priority: &prio})
		in := c.AddChain(&nftables.Chain{Name: "ingress", Table: t, Type: nftables.ChainTypeFilter,
			Hooknum: nftables.ChainHookPrerouting, Priority: &prio})
		for _, f := range fs {
			if f.Delay == 0 && f.Window > 0 && len(f.Drop) == 0 {
				continue // nothing to drop
			}
			peers := f.Peers
			if len(peers) == 0 {
				peers = []netip.Prefix{{}}
			}
			ports := f.Ports
			if len(ports) == 0 {
				ports = []uint16{0}
			}
			for _, p := range peers {
				for _, port := range ports {
					for _, dir := range []struct {
						chain  *nftables.Chain
						off    uint32
						egress bool
					}{{out, 16, true}, {in, 12, false}} {
						if !dir.egress && !f.Inbound {
							continue
						}
						// An anonymous set belongs to one rule: each rule has its own.
						slots, err := faultSlots(c, t, f)
						if err != nil {
							return fmt.Errorf("netns: %s: faults: %w", h.name, err)
						}
						c.AddRule(&nftables.Rule{Table: t, Chain: dir.chain, Exprs: faultExprs(f, p, port, dir.off, dir.egress, slots, queues[f.ID]),
							UserData: userdata.AppendString(nil, userdata.TypeComment, f.ID)})
					}
				}
			}
		}
	}
	if err := c.Flush(); err != nil {
		return fmt.Errorf("netns: %s: faults: %w", h.name, err)
	}
	return nil
}

// faultSlots declares the set of a fault's dropped positions (nil: it drops every packet).
func faultSlots(c *nftables.Conn, t *nftables.Table, f netspec.Fault) (*nftables.Set, error) {
	if f.Window == 0 || f.Delay > 0 {
		return nil, nil
	}
	s := &nftables.Set{Table: t, Anonymous: true, Constant: true, KeyType: nftables.TypeInteger}
	elems := make([]nftables.SetElement, 0, len(f.Drop))
	for _, d := range f.Drop {
		elems = append(elems, nftables.SetElement{Key: binary.NativeEndian.AppendUint32(nil, uint32(d))})
	}
	if err := c.AddSet(s, elems); err != nil {
		return nil, err
	}
	return s, nil
}

// faultExprs matches one fault's packets: not on loopback, to (off 16) or from (off 12) peer,
// to port, then the packet's position in the window, a counter and drop.
func faultExprs(f netspec.Fault, peer netip.Prefix, port uint16, off uint32, egress bool, slots *nftables.Set, queue uint16) []expr.Any {
	key := expr.MetaKeyIIFNAME
	if egress {
		key = expr.MetaKeyOIFNAME
	}
	e := []expr.Any{&expr.Meta{Key: key, Register: 1}, &expr.Cmp{Op: expr.CmpOpNeq, Register: 1, Data: ifname("lo")}}
	e = appendPrefix(e, off, peer)
	if f.Proto != 0 {
		e = append(e, &expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{f.Proto}})
	}
	if port != 0 {
		e = append(e, &expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 2, Len: 2},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: binary.BigEndian.AppendUint16(nil, port)})
	}
	if slots != nil {
		e = append(e, &expr.Numgen{Register: 1, Modulus: uint32(f.Window), Type: unix.NFT_NG_INCREMENTAL},
			&expr.Lookup{SourceRegister: 1, SetName: slots.Name, SetID: slots.ID})
	}
	if queue != 0 {
		info := xt.Unknown(nfqueueInfo(queue))
		return append(e, &expr.Counter{}, &expr.Target{Name: "NFQUEUE", Rev: nfqueueTargetRev, Info: &info})
	}
	return append(e, &expr.Counter{}, &expr.Verdict{Kind: expr.VerdictDrop})
}

// faultCounters sums the fault table's drop counters by fault id.
func (h *host) faultCounters() (map[string]uint64, error) {
	c, err := h.nftConn()
	if err != nil {
		return nil, err
	}
	t := &nftables.Table{Family: nftables.TableFamilyIPv4, Name: faultTable}
	out := map[string]uint64{}
	for _, name := range []string{"egress", "ingress"} {
		rules, err := c.GetRules(t, &nftables.Chain{Name: name, Table: t})
		if err != nil {
			return nil, err
		}
		for _, r := range rules {
			id, _ := userdata.GetString(r.UserData, userdata.TypeComment)
			for _, x := range r.Exprs {
				if v, ok := x.(*expr.Counter); ok {
					out[id] += v.Packets
				}
			}
		}
	}
	return out, nil
}
