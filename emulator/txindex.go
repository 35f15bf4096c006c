package emulator

import "net/netip"

// Picking a free address or a fresh id asks what the world already uses. Asked of the whole
// world each time, building a VPC of n instances in one Update cost n² (every RunInstance
// gathered every instance's address, and every new id was looked for in every object). A Tx
// instead gathers both once, on first use, and keeps them up to date as its own operations
// hand out addresses and ids. The index lives and dies with the Tx: nothing of it outlives
// an Update, so a rollback (or World.Reset's restore, which drops it) has nothing to undo,
// and the journal and its checks see no new model state.
//
// The index may know more than is true, never less: an address whose instance was
// terminated, or an id deleted, earlier in the same Tx is still listed. So an address is
// taken only if one of the objects listed for it still holds it (checked against the
// object, exactly as addrInUse does), and an id listed is confirmed by World.idTaken.
type txIndex struct {
	ids   map[string]bool
	addrs map[string]*vpcAddrs // by VPC id
}

// vpcAddrs are the objects that took each address of a VPC, and per subnet where the search
// for a free address resumes: every address below it was taken when it was set.
type vpcAddrs struct {
	owners map[netip.Addr][]any // *Instance, *NatGateway, *NetworkInterface
	next   map[string]netip.Addr
}

func (tx *Tx) vpcAddrs(vpcID string) *vpcAddrs {
	if tx.idx.addrs == nil {
		tx.idx.addrs = map[string]*vpcAddrs{}
	}
	va := tx.idx.addrs[vpcID]
	if va != nil {
		return va
	}
	va = &vpcAddrs{owners: map[netip.Addr][]any{}, next: map[string]netip.Addr{}}
	for _, i := range tx.w.instances {
		if i.VPCID == vpcID {
			va.owners[i.PrivateIP] = append(va.owners[i.PrivateIP], i)
		}
	}
	for _, n := range tx.w.natgws {
		if n.VPCID == vpcID {
			va.owners[n.PrivateIP] = append(va.owners[n.PrivateIP], n)
		}
	}
	for _, n := range tx.w.enis {
		if n.VPCID == vpcID {
			va.owners[n.PrivateIP] = append(va.owners[n.PrivateIP], n)
		}
	}
	tx.idx.addrs[vpcID] = va
	return va
}

// tookAddr records that o (an instance, NAT gateway or network interface of the VPC) now
// has address a. Every operation that gives an object an address calls it.
func (tx *Tx) tookAddr(vpcID string, a netip.Addr, o any) {
	va := tx.vpcAddrs(vpcID)
	va.owners[a] = append(va.owners[a], o)
}

// freedAddrs is called where addresses become free (terminated instances, deleted NAT
// gateways and interfaces): the search for a free address starts from each subnet's first
// again, so the lowest free address is still the one picked.
func (tx *Tx) freedAddrs() {
	for _, va := range tx.idx.addrs {
		clear(va.next)
	}
}

// ownerHolds reports whether o still holds address a in the VPC (addrInUse's test for each
// kind of object).
func (tx *Tx) ownerHolds(vpcID string, a netip.Addr, o any) bool {
	switch o := o.(type) {
	case *Instance:
		return tx.w.instances[o.ID] == o && o.VPCID == vpcID && o.PrivateIP == a && o.State != "terminated"
	case *NatGateway:
		return tx.w.natgws[o.ID] == o && o.VPCID == vpcID && o.PrivateIP == a && o.Live()
	case *NetworkInterface:
		return tx.w.enis[o.ID] == o && o.VPCID == vpcID && o.PrivateIP == a
	}
	return false
}

func (tx *Tx) addrTaken(vpcID string, va *vpcAddrs, a netip.Addr) bool {
	for _, o := range va.owners[a] {
		if tx.ownerHolds(vpcID, a, o) {
			return true
		}
	}
	return false
}

// freeAddr is the first address of subnet s an instance, interface or NAT gateway can take
// (not the network, the three AWS reserves after it, nor the last), or false if none is left.
func (tx *Tx) freeAddr(s *Subnet) (netip.Addr, bool) {
	va := tx.vpcAddrs(s.VPCID)
	inUse := tx.addrsInUse(s.VPCID)
	a := nthAddr(s.CIDR, 4)
	if n, ok := va.next[s.ID]; ok {
		a = n
	}
	for ; s.CIDR.Contains(a) && a != lastAddr(s.CIDR); a = a.Next() {
		if !inUse(a) {
			va.next[s.ID] = a
			return a, true
		}
	}
	va.next[s.ID] = a
	return netip.Addr{}, false
}

// idTaken is World.idTaken answered from the Tx's index of ids (an id absent from it is
// free; one in it is confirmed against the world).
func (tx *Tx) idTaken(id string) bool {
	if tx.idx.ids == nil {
		tx.idx.ids = map[string]bool{}
		tx.w.eachID(func(id string) { tx.idx.ids[id] = true })
	}
	return tx.idx.ids[id] && tx.w.idTaken(id)
}

// tookID records an id the Tx gave an object (NewID does for the ids it makes; operations
// that accept a caller's id call it).
func (tx *Tx) tookID(id string) {
	if tx.idx.ids != nil {
		tx.idx.ids[id] = true
	}
}
