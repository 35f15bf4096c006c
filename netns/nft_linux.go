//go:build linux

package netns

import (
	"cmp"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"sort"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"github.com/google/nftables/userdata"
	mdnetlink "github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"github.com/spacelab-dev/spacelab/netspec"
)

// tableName is the nftables table spacelab owns in every host; nothing else is touched.
const tableName = "spacelab"

func (h *host) nftConn() (*nftables.Conn, error) {
	return nftables.New(nftables.WithNetNSFd(int(h.ns)), nftables.WithSockOptions(bigReceiveBuffer))
}

// bigReceiveBuffer lets one transaction carry thousands of rules: the kernel acknowledges each
// message, and the default buffers overflow (ENOBUFS, EMSGSIZE) long before.
func bigReceiveBuffer(c *mdnetlink.Conn) error {
	rc, err := c.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 32<<20)
		if serr != nil {
			serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF, 32<<20)
		}
		// The whole transaction goes in one sendmsg, which the kernel refuses (EMSGSIZE)
		// when it exceeds the send buffer: a router filtering for a thousand dynos does.
		if unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_SNDBUFFORCE, 32<<20) != nil {
			unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_SNDBUF, 32<<20)
		}
	}); err != nil {
		return err
	}
	return serr
}

// applyFilter replaces the host's table with one built from f, atomically (one nftables
// transaction: add, delete, add). A nil filter removes the table.
func (h *host) applyFilter(f *netspec.Filter, fresh bool) error {
	fp := ""
	if f != nil {
		b, _ := json.Marshal(f)
		fp = string(b)
	}
	if fp == h.filter {
		return nil
	}
	c, err := h.nftConn()
	if err != nil {
		return fmt.Errorf("%s: nftables: %w", h.name, err)
	}
	t := &nftables.Table{Family: nftables.TableFamilyIPv4, Name: tableName}
	if !fresh { // a host made by this Apply has no table to replace
		c.AddTable(t)
		c.DelTable(t)
	}
	sets := &setFiller{}
	if f != nil {
		c.AddTable(t)
		// Regular chains first: the verdict maps of base chains name them.
		chains := slices.Clone(f.Chains)
		base := func(ch netspec.Chain) int {
			if ch.Hook == "" {
				return 0
			}
			return 1
		}
		slices.SortStableFunc(chains, func(a, b netspec.Chain) int { return cmp.Compare(base(a), base(b)) })
		for _, ch := range chains {
			if err := addChain(c, t, ch, sets); err != nil {
				return fmt.Errorf("%s: nftables: %w", h.name, err)
			}
		}
		if len(f.SNAT) > 0 {
			if err := addSNAT(c, t, f.SNAT, sets); err != nil {
				return fmt.Errorf("%s: nftables: %w", h.name, err)
			}
		}
		if len(f.DNAT) > 0 {
			if err := addDNAT(c, t, f.DNAT, sets); err != nil {
				return fmt.Errorf("%s: nftables: %w", h.name, err)
			}
		}
	}
	// One transaction replaces the table with its chains, rules and sets (and the first
	// elements); the rest of the elements follow in batches, each small enough for one netlink
	// message. Sets serve accept rules only, so a set still filling is stricter, never looser;
	// an address map of translations still filling leaves the addresses not yet in it
	// untranslated, which no reply finds its way back to.
	h.filter = "" // until every batch is in, the table is not f
	if err := c.Flush(); err != nil {
		return fmt.Errorf("%s: nftables: %w", h.name, err)
	}
	if err := sets.fill(c); err != nil {
		return fmt.Errorf("%s: nftables: %w", h.name, err)
	}
	h.filter = fp
	return nil
}

// Set elements travel in messages of at most setMsg elements (a message's element list is one
// netlink attribute, whose length field is 16 bits: about 2,000 elements at most), at most
// setFirst of them in the table's own transaction and at most setMsgsPerBatch messages per
// later transaction (a transaction is one sendmsg, bounded by the socket buffer).
const (
	setMsg          = 1024
	setFirst        = 1024
	setMsgsPerBatch = 4
)

// setFiller holds the elements of a table's sets that did not go into its first transaction.
type setFiller struct {
	n     int
	first int // elements already in the first transaction
	rest  []pendingElems
}

type pendingElems struct {
	set   *nftables.Set
	elems []nftables.SetElement
}

// addSet declares a set of the prefixes ps (merged into disjoint intervals, as the kernel
// wants them) and returns it; elements beyond the first transaction's share are kept for fill.
func (sf *setFiller) addSet(c *nftables.Conn, t *nftables.Table, ps []netip.Prefix) (*nftables.Set, error) {
	sf.n++
	s := &nftables.Set{Table: t, Name: fmt.Sprintf("s%d", sf.n), KeyType: nftables.TypeIPAddr, Interval: true}
	return s, sf.declare(c, s, intervalElems(ps), 2) // keep an interval's start and end together
}

// declare adds set s with as many of elems as the first transaction's share leaves room for,
// a multiple of unit, and keeps the rest for fill in messages of at most setMsg.
func (sf *setFiller) declare(c *nftables.Conn, s *nftables.Set, elems []nftables.SetElement, unit int) error {
	n := min(len(elems), setFirst-sf.first)
	n = max(n-n%unit, 0)
	sf.first += n
	if err := c.AddSet(s, elems[:n]); err != nil {
		return err
	}
	for rest := elems[n:]; len(rest) > 0; {
		k := min(setMsg, len(rest))
		sf.rest = append(sf.rest, pendingElems{s, rest[:k]})
		rest = rest[k:]
	}
	return nil
}

// addAddrMap declares a map from the one-address matches of rules to their new addresses (the
// first rule of an address wins) and returns it; elements beyond the first transaction's
// share are kept for fill.
func (sf *setFiller) addAddrMap(c *nftables.Conn, t *nftables.Table, rules []natRule) (*nftables.Set, error) {
	sf.n++
	s := &nftables.Set{Table: t, Name: fmt.Sprintf("n%d", sf.n), KeyType: nftables.TypeIPAddr, DataType: nftables.TypeIPAddr, IsMap: true}
	seen := make(map[netip.Addr]bool, len(rules))
	elems := make([]nftables.SetElement, 0, len(rules))
	for _, r := range rules {
		a := r.match.Addr()
		if seen[a] {
			continue
		}
		seen[a] = true
		k, v := a.As4(), r.to.As4()
		elems = append(elems, nftables.SetElement{Key: k[:], Val: v[:]})
	}
	return s, sf.declare(c, s, elems, 1)
}

// fill sends the elements addSet and addAddrMap kept back.
func (sf *setFiller) fill(c *nftables.Conn) error {
	for i, p := range sf.rest {
		if err := c.SetAddElements(p.set, p.elems); err != nil {
			return err
		}
		if (i+1)%setMsgsPerBatch == 0 || i == len(sf.rest)-1 {
			if err := c.Flush(); err != nil {
				return err
			}
		}
	}
	return nil
}

// intervalElems turns prefixes into the elements of an interval set: sorted, overlapping and
// adjacent ones merged, each interval a start element and an end element (one past the last
// address; none when the interval runs to 255.255.255.255).
func intervalElems(ps []netip.Prefix) []nftables.SetElement {
	type span struct{ lo, hi uint32 }
	var spans []span
	for _, p := range ps {
		p = p.Masked()
		if !p.Addr().Is4() {
			continue
		}
		b := p.Addr().As4()
		lo := binary.BigEndian.Uint32(b[:])
		hi := lo | uint32(uint64(1)<<(32-p.Bits())-1)
		spans = append(spans, span{lo, hi})
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].lo < spans[j].lo })
	var merged []span
	for _, s := range spans {
		if n := len(merged); n > 0 && (merged[n-1].hi == ^uint32(0) || s.lo <= merged[n-1].hi+1) {
			merged[n-1].hi = max(merged[n-1].hi, s.hi)
			continue
		}
		merged = append(merged, s)
	}
	var out []nftables.SetElement
	for _, s := range merged {
		out = append(out, nftables.SetElement{Key: binary.BigEndian.AppendUint32(nil, s.lo)})
		if s.hi != ^uint32(0) {
			out = append(out, nftables.SetElement{Key: binary.BigEndian.AppendUint32(nil, s.hi+1), IntervalEnd: true})
		}
	}
	return out
}

func addChain(c *nftables.Conn, t *nftables.Table, ch netspec.Chain, sets *setFiller) error {
	if ch.Hook == "" { // a regular chain: only jumps reach it, and it has no policy
		chain := c.AddChain(&nftables.Chain{Name: ch.Name, Table: t})
		return addRules(c, t, chain, ch.Rules, sets)
	}
	policy := nftables.ChainPolicyAccept
	if ch.Policy == netspec.Drop {
		policy = nftables.ChainPolicyDrop
	}
	hook := map[netspec.Hook]*nftables.ChainHook{
		netspec.Input: nftables.ChainHookInput, netspec.Output: nftables.ChainHookOutput, netspec.Forward: nftables.ChainHookForward,
	}[ch.Hook]
	chain := c.AddChain(&nftables.Chain{Name: ch.Name, Table: t, Type: nftables.ChainTypeFilter,
		Hooknum: hook, Priority: nftables.ChainPriorityFilter, Policy: &policy})
	if err := addRules(c, t, chain, ch.Rules, sets); err != nil {
		return err
	}
	if ch.Policy == netspec.Drop {
		// An explicit last rule, so drops by the policy are counted and named too.
		c.AddRule(&nftables.Rule{Table: t, Chain: chain, Exprs: ruleExprs(netspec.FilterRule{Verdict: netspec.Drop}, nil, nil),
			UserData: userdata.AppendString(nil, userdata.TypeComment, ch.PolicyWhy)})
	}
	return nil
}

func addRules(c *nftables.Conn, t *nftables.Table, chain *nftables.Chain, rules []netspec.FilterRule, sets *setFiller) error {
	for _, r := range rules {
		if r.JumpIif != nil || r.JumpOif != nil {
			if err := addJump(c, t, chain, r, sets); err != nil {
				return err
			}
			continue
		}
		var src, dst *nftables.Set
		var err error
		if len(r.SrcIn) > 0 {
			if src, err = sets.addSet(c, t, r.SrcIn); err != nil {
				return err
			}
		}
		if len(r.DstIn) > 0 {
			if dst, err = sets.addSet(c, t, r.DstIn); err != nil {
				return err
			}
		}
		c.AddRule(&nftables.Rule{Table: t, Chain: chain, Exprs: ruleExprs(r, src, dst), UserData: userdata.AppendString(nil, userdata.TypeComment, r.Why)})
	}
	return nil
}

// addJump compiles a dispatch rule: the rule's other matches, then the input (output) interface
// looked up in a verdict map of interface → jump to a regular chain. The map goes whole into the
// table's first transaction: a missing element would let a packet skip its chain's drops.
func addJump(c *nftables.Conn, t *nftables.Table, chain *nftables.Chain, r netspec.FilterRule, sets *setFiller) error {
	m, key := r.JumpIif, expr.MetaKeyIIFNAME
	if m == nil {
		m, key = r.JumpOif, expr.MetaKeyOIFNAME
	}
	sets.n++
	vm := &nftables.Set{Table: t, Name: fmt.Sprintf("m%d", sets.n), KeyType: nftables.TypeIFName, DataType: nftables.TypeVerdict, IsMap: true}
	names := slices.Sorted(maps.Keys(m))
	elems := make([]nftables.SetElement, 0, len(m))
	for _, ifn := range names {
		elems = append(elems, nftables.SetElement{Key: ifname(ifn), VerdictData: &expr.Verdict{Kind: expr.VerdictJump, Chain: m[ifn]}})
	}
	if err := c.AddSet(vm, elems); err != nil {
		return err
	}
	plain := r
	plain.JumpIif, plain.JumpOif = nil, nil
	e := ruleExprs(plain, nil, nil)
	e = e[:len(e)-2] // without the counter and verdict: the map gives the verdict
	e = append(e, &expr.Meta{Key: key, Register: 1}, &expr.Counter{},
		&expr.Lookup{SourceRegister: 1, SetName: vm.Name, SetID: vm.ID, DestRegister: 0, IsDestRegSet: true})
	c.AddRule(&nftables.Rule{Table: t, Chain: chain, Exprs: e, UserData: userdata.AppendString(nil, userdata.TypeComment, r.Why)})
	return nil
}

// natRule is one address translation: match the interface and the address at offset off of
// the network header, then rewrite it to To.
type natRule struct {
	iface string
	off   uint32
	match netip.Prefix
	to    netip.Addr
	why   string
}

// addSNAT adds a source-NAT chain on postrouting.
func addSNAT(c *nftables.Conn, t *nftables.Table, rules []netspec.SNATRule, sets *setFiller) error {
	var nr []natRule
	for _, r := range rules {
		nr = append(nr, natRule{r.Oif, 12, r.Src, r.To, r.Why})
	}
	return addNAT(c, t, "snat", nftables.ChainHookPostrouting, nftables.ChainPriorityNATSource, expr.MetaKeyOIFNAME, expr.NATTypeSourceNAT, nr, sets)
}

// addDNAT adds a destination-NAT chain on prerouting.
func addDNAT(c *nftables.Conn, t *nftables.Table, rules []netspec.DNATRule, sets *setFiller) error {
	var nr []natRule
	for _, r := range rules {
		nr = append(nr, natRule{r.Iif, 16, netip.PrefixFrom(r.Dst, 32), r.To, r.Why})
	}
	return addNAT(c, t, "dnat", nftables.ChainHookPrerouting, nftables.ChainPriorityNATDest, expr.MetaKeyIIFNAME, expr.NATTypeDestNAT, nr, sets)
}

// natMapRun is how many consecutive one-address translations of one interface become one rule
// looking the new address up in a map: a space's router translates each dyno's address to one
// of the space's outbound IPs, and 7,500 dynos as 7,500 rules made a transaction whose
// acknowledgements overflowed the socket (ENOBUFS). A run keeps the rules' order (nothing
// between them), and its first translation of an address wins, as the first rule did. Shorter
// runs stay rules of their own, each with its counter and comment.
const natMapRun = 16

func addNAT(c *nftables.Conn, t *nftables.Table, name string, hook *nftables.ChainHook, prio *nftables.ChainPriority,
	ifKey expr.MetaKey, typ expr.NATType, rules []natRule, sets *setFiller) error {
	policy := nftables.ChainPolicyAccept
	chain := c.AddChain(&nftables.Chain{Name: name, Table: t, Type: nftables.ChainTypeNAT, Hooknum: hook, Priority: prio, Policy: &policy})
	ifMatch := func(iface string) []expr.Any {
		if iface == "" {
			return nil
		}
		return []expr.Any{&expr.Meta{Key: ifKey, Register: 1}, &expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: ifname(iface)}}
	}
	single := func(r natRule) bool { return r.match.Bits() == 32 && r.match.Addr().Is4() && r.to.Is4() }
	for i := 0; i < len(rules); {
		j := i
		for j < len(rules) && single(rules[j]) && rules[j].iface == rules[i].iface {
			j++
		}
		if j-i >= natMapRun {
			run := rules[i:j]
			m, err := sets.addAddrMap(c, t, run)
			if err != nil {
				return err
			}
			e := append(ifMatch(run[0].iface), &expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: run[0].off, Len: 4},
				&expr.Lookup{SourceRegister: 1, SetName: m.Name, SetID: m.ID, DestRegister: 1, IsDestRegSet: true},
				&expr.Counter{}, &expr.NAT{Type: typ, Family: unix.NFPROTO_IPV4, RegAddrMin: 1})
			why := fmt.Sprintf("%d translations, the first: %s", len(run), run[0].why)
			c.AddRule(&nftables.Rule{Table: t, Chain: chain, Exprs: e, UserData: userdata.AppendString(nil, userdata.TypeComment, why)})
			i = j
			continue
		}
		r := rules[i]
		e := appendPrefix(ifMatch(r.iface), r.off, r.match)
		to := r.to.As4()
		e = append(e, &expr.Counter{}, &expr.Immediate{Register: 1, Data: to[:]},
			&expr.NAT{Type: typ, Family: unix.NFPROTO_IPV4, RegAddrMin: 1})
		c.AddRule(&nftables.Rule{Table: t, Chain: chain, Exprs: e, UserData: userdata.AppendString(nil, userdata.TypeComment, r.why)})
		i++
	}
	return nil
}

// ruleExprs compiles one rule; src and dst are the sets of its SrcIn and DstIn. Every rule
// counts the packets it matches.
func ruleExprs(r netspec.FilterRule, src, dst *nftables.Set) []expr.Any {
	var e []expr.Any
	if r.Established {
		e = append(e,
			&expr.Ct{Register: 1, Key: expr.CtKeySTATE},
			&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4,
				Mask: binary.NativeEndian.AppendUint32(nil, expr.CtStateBitESTABLISHED|expr.CtStateBitRELATED),
				Xor:  []byte{0, 0, 0, 0}},
			&expr.Cmp{Op: expr.CmpOpNeq, Register: 1, Data: []byte{0, 0, 0, 0}})
	}
	if r.Iif != "" {
		e = append(e, &expr.Meta{Key: expr.MetaKeyIIFNAME, Register: 1},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: ifname(r.Iif)})
	}
	if r.Oif != "" {
		e = append(e, &expr.Meta{Key: expr.MetaKeyOIFNAME, Register: 1},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: ifname(r.Oif)})
	}
	e = appendPrefix(e, 12, r.Src)
	e = appendPrefix(e, 16, r.Dst)
	e = appendLookup(e, 12, src)
	e = appendLookup(e, 16, dst)
	if r.Proto != 0 {
		e = append(e, &expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{r.Proto}})
	}
	if r.PortFrom != 0 || r.PortTo != 0 {
		e = append(e, &expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 2, Len: 2},
			&expr.Range{Op: expr.CmpOpEq, Register: 1,
				FromData: binary.BigEndian.AppendUint16(nil, r.PortFrom), ToData: binary.BigEndian.AppendUint16(nil, r.PortTo)})
	}
	if r.HasICMPType {
		e = append(e, &expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 0, Len: 1},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{r.ICMPType}})
	}
	e = append(e, &expr.Counter{})
	kind := expr.VerdictAccept
	if r.Verdict == netspec.Drop {
		kind = expr.VerdictDrop
	}
	return append(e, &expr.Verdict{Kind: kind})
}

// appendPrefix matches the IPv4 address at offset off of the network header against p.
func appendPrefix(e []expr.Any, off uint32, p netip.Prefix) []expr.Any {
	if !p.IsValid() || p.Bits() == 0 {
		return e
	}
	addr := p.Masked().Addr().As4()
	mask := net4Mask(p.Bits())
	return append(e, &expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: off, Len: 4},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: mask[:], Xor: []byte{0, 0, 0, 0}},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: addr[:]})
}

// appendLookup matches the IPv4 address at offset off of the network header against set s.
func appendLookup(e []expr.Any, off uint32, s *nftables.Set) []expr.Any {
	if s == nil {
		return e
	}
	return append(e, &expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: off, Len: 4},
		&expr.Lookup{SourceRegister: 1, SetName: s.Name, SetID: s.ID})
}

func ifname(n string) []byte {
	b := make([]byte, unix.IFNAMSIZ)
	copy(b, n)
	return b
}

func net4Mask(bits int) [4]byte {
	var m [4]byte
	for i := range bits {
		m[i/8] |= 1 << (7 - i%8)
	}
	return m
}

// dropCounters returns, for every drop rule of the host's table, its packet count by Why.
func (h *host) dropCounters() (map[string]uint64, error) {
	if h.filter == "" {
		return nil, nil
	}
	c, err := h.nftConn()
	if err != nil {
		return nil, err
	}
	t := &nftables.Table{Family: nftables.TableFamilyIPv4, Name: tableName}
	chains, err := c.ListChainsOfTableFamily(nftables.TableFamilyIPv4)
	if err != nil {
		return nil, err
	}
	out := map[string]uint64{}
	for _, ch := range chains {
		if ch.Table.Name != tableName {
			continue
		}
		rules, err := c.GetRules(t, ch)
		if err != nil {
			return nil, err
		}
		for _, r := range rules {
			var pkts uint64
			drop := false
			for _, x := range r.Exprs {
				switch v := x.(type) {
				case *expr.Counter:
					pkts = v.Packets
				case *expr.Verdict:
					drop = v.Kind == expr.VerdictDrop
				}
			}
			if drop {
				why, _ := userdata.GetString(r.UserData, userdata.TypeComment)
				out[why] += pkts
			}
		}
	}
	return out, nil
}
