package emulator

import (
	"fmt"
	"net/http"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Space states.
const (
	SpaceAllocating = "allocating"
	SpaceAllocated  = "allocated"
	SpaceDeleting   = "deleting"
)

// Space is a Heroku Private Space. Its network is the VPC VPCID in the Heroku AWS account; its
// data services live in DataVPCID, joined to it by the heroku-managed peering DataPeeringID.
type Space struct {
	ID            string
	Name          string
	TeamID        string
	Region        Region
	CIDR          netip.Prefix
	DataCIDR      netip.Prefix
	Shield        bool
	State         string
	Generation    string
	CreatedAt     time.Time
	UpdatedAt     time.Time
	VPCID         string
	DataVPCID     string
	DataPeeringID string
	DynoSubnetIDs []string
	NATAddrs      []netip.Addr // the stable outbound addresses
	NATState      string       // enabled, updating, disabled
	// RouterAddr is the public address of the space's router, where *.herokuapp.com of its
	// apps without internal routing resolve; RouterPrivateAddr is where the router meets the
	// dynos inside the space. Trusted IP ranges are enforced there.
	RouterAddr        netip.Addr
	RouterPrivateAddr netip.Addr
	// VPNPolicy, when set, makes the space's VPN gateways behave like another vendor's.
	VPNPolicy *VPNPolicy
	// InboundRulesets is the history of the space's trusted IP ranges, oldest first; the
	// last one is in force (see heroku_trusted.go).
	InboundRulesets []*InboundRuleset
}

// Spaces returns every space ordered by id.
func (tx *Tx) Spaces() []*Space { return ordered(tx.w.spaces) }

// Space finds a space by name or id.
func (tx *Tx) Space(nameOrID string) *Space {
	if s := tx.w.spaces[nameOrID]; s != nil {
		return s
	}
	for _, s := range tx.w.spaces {
		if s.Name == nameOrID {
			return s
		}
	}
	return nil
}

var spaceNameRE = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9]|-(?:[a-z0-9]))+$`)

// SpaceSpec describes a space to create.
type SpaceSpec struct {
	Name       string
	Team       string
	Region     string // Heroku region name or id; empty means virginia
	CIDR       string // empty means 10.0.0.0/16
	DataCIDR   string // empty means 10.1.0.0/16
	Shield     bool
	Generation string // cedar
	// Fixed identities (topologies pin them to mirror a real account); empty generates.
	ID            string
	VPCID         string
	DataVPCID     string
	DataPeeringID string
	NATAddrs      []netip.Addr
	Allocating    bool // start in state allocating instead of allocated
	// VPNPolicy overrides the VPN gateways' proposals (topologies emulating other gateways).
	VPNPolicy *VPNPolicy
}

// DynoSubnetCIDRs are the four /20 dyno subnets Heroku carves out of a /16 space CIDR, two per
// availability zone, in the order peering-info lists them.
func DynoSubnetCIDRs(cidr netip.Prefix) []netip.Prefix {
	b := cidr.Masked().Addr().As4()
	var out []netip.Prefix
	for _, third := range []byte{0, 16, 128, 144} {
		out = append(out, netip.PrefixFrom(netip.AddrFrom4([4]byte{b[0], b[1], third, 0}), 20))
	}
	return out
}

// IsPrivate reports whether p lies inside RFC 1918 space.
func IsPrivate(p netip.Prefix) bool {
	for _, r := range RFC1918 {
		if r.Contains(p.Addr()) && p.Bits() >= r.Bits() {
			return true
		}
	}
	return false
}

// DockerCIDR is the range every space reserves (172.17.0.0/16).
var DockerCIDR = netip.MustParsePrefix("172.17.0.0/16")

// CreateSpace creates a Private Space: its VPC (in the Heroku AWS account) with four dyno
// subnets, its data VPC, and the active heroku-managed peering between them.
func (tx *Tx) CreateSpace(s SpaceSpec) (*Space, error) {
	if s.Name == "" || !spaceNameRE.MatchString(s.Name) || strings.Contains(s.Name, "--") {
		return nil, HerokuErr(http.StatusUnprocessableEntity, "invalid_params", "Name must start with a letter or number, contain only lowercase letters, numbers and dashes, and end with a letter or number.")
	}
	if tx.Space(s.Name) != nil {
		return nil, HerokuErr(http.StatusUnprocessableEntity, "invalid_params", "Name is already taken")
	}
	if s.Team == "" {
		return nil, HerokuErr(http.StatusUnprocessableEntity, "invalid_params", "Team is required.")
	}
	regionName := orDefault(s.Region, "virginia")
	region, ok := LookupRegion(regionName)
	if !ok || !region.Private {
		return nil, HerokuErr(http.StatusUnprocessableEntity, "invalid_params", "Couldn't find that region.")
	}
	cidr, err := netip.ParsePrefix(orDefault(s.CIDR, "10.0.0.0/16"))
	if err != nil || cidr.Bits() != 16 || !IsPrivate(cidr) || cidr.Masked() != cidr {
		return nil, HerokuErr(http.StatusUnprocessableEntity, "invalid_params", "CIDR must be a /16 block within 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16.")
	}
	data, err := netip.ParsePrefix(orDefault(s.DataCIDR, "10.1.0.0/16"))
	if err != nil || data.Bits() < 16 || data.Bits() > 20 || !IsPrivate(data) || data.Masked() != data {
		return nil, HerokuErr(http.StatusUnprocessableEntity, "invalid_params", "Data CIDR must be a block between a /16 and a /20 within 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16.")
	}
	if cidr.Overlaps(data) {
		return nil, HerokuErr(http.StatusUnprocessableEntity, "invalid_params", "Data CIDR %s overlaps the space CIDR %s.", data, cidr)
	}
	if cidr.Overlaps(DockerCIDR) || data.Overlaps(DockerCIDR) {
		return nil, HerokuErr(http.StatusUnprocessableEntity, "invalid_params", "CIDR ranges may not overlap %s, which every space reserves.", DockerCIDR)
	}
	team := tx.EnsureTeam(s.Team)
	heroku := Caller{Account: tx.HerokuAccountID(), Region: region.AWSRegion}
	id := s.ID
	if id == "" {
		id = tx.NewUUID()
	}
	// Its router and its VPCs' routers; the VPCs, their subnets and the data peering are
	// named by what makes them.
	tx.mustWriteFor(Changed{"space", id}, &tx.w.spaces, &tx.w.pcxs)
	sp := &Space{ID: id, Name: s.Name, TeamID: team.ID, Region: region, CIDR: cidr, DataCIDR: data,
		Shield: s.Shield, State: SpaceAllocated, Generation: orDefault(s.Generation, "cedar"),
		CreatedAt: tx.now, UpdatedAt: tx.now, NATState: "enabled", VPNPolicy: s.VPNPolicy}
	if s.Allocating {
		sp.State = SpaceAllocating
	}
	vpc, err := tx.CreateVPC(heroku, cidr, VPCOptions{ID: s.VPCID, Role: RoleSpace, SpaceID: id, Tags: Tags{"Name": s.Name}})
	if err != nil {
		return nil, fmt.Errorf("space %s: %w", s.Name, err)
	}
	vpc.EnableDNSHostnames = true
	sp.VPCID = vpc.ID
	for i, sub := range DynoSubnetCIDRs(cidr) {
		zones := zoneNames(region.AWSRegion)
		az := zones[i%2%len(zones)]
		sn, err := tx.CreateSubnet(heroku, vpc.ID, sub, SubnetOptions{AZ: az, Tags: Tags{"Name": s.Name + "-dyno-" + strconv.Itoa(i+1)}})
		if err != nil {
			return nil, err
		}
		sp.DynoSubnetIDs = append(sp.DynoSubnetIDs, sn.ID)
	}
	dvpc, err := tx.CreateVPC(heroku, data, VPCOptions{ID: s.DataVPCID, Role: RoleData, SpaceID: id, Tags: Tags{"Name": s.Name + "-data"}})
	if err != nil {
		return nil, err
	}
	sp.DataVPCID = dvpc.ID
	if _, err := tx.CreateSubnet(heroku, dvpc.ID, data, SubnetOptions{AZ: zoneNames(region.AWSRegion)[0], Tags: Tags{"Name": s.Name + "-data"}}); err != nil {
		return nil, err
	}
	pcx := &Peering{ID: orDefault(s.DataPeeringID, tx.NewID("pcx")),
		Requester: PeerSide{Account: heroku.Account, Region: heroku.Region, VPCID: vpc.ID, CIDR: cidr},
		Accepter:  PeerSide{Account: heroku.Account, Region: heroku.Region, VPCID: dvpc.ID, CIDR: data},
		status:    PcxActive, CreatedAt: tx.now, Tags: Tags{}, HerokuManaged: true}
	tx.w.pcxs[pcx.ID] = pcx
	tx.networkChange(Changed{"peering", pcx.ID})
	sp.DataPeeringID = pcx.ID
	for _, pair := range []struct {
		vpc *VPC
		dst netip.Prefix
	}{{vpc, data}, {dvpc, cidr}} {
		rt := tx.w.rtbs[pair.vpc.MainRouteTableID]
		rt.Routes = append(rt.Routes, &Route{Dst: pair.dst, Kind: TargetPeering, Target: pcx.ID, Origin: "CreateRoute"})
	}
	sp.InboundRulesets = []*InboundRuleset{tx.defaultInboundRuleset(sp, team)}
	sp.NATAddrs = append([]netip.Addr(nil), s.NATAddrs...)
	for len(sp.NATAddrs) < 4 {
		sp.NATAddrs = append(sp.NATAddrs, tx.newPublicAddr())
	}
	sp.RouterAddr = tx.newPublicAddr()
	tx.w.spaces[id] = sp
	if sp.RouterPrivateAddr, _, err = tx.allocSpaceAddr(sp, 0); err != nil {
		return nil, err
	}
	tx.w.log.Info("space created", "space", sp.Name, "vpc", vpc.ID, "cidr", cidr)
	return sp, nil
}

// newPublicAddr hands out an unused address from the emulator's "public" pool 52.0.0.0/11.
func (tx *Tx) newPublicAddr() netip.Addr {
	for {
		a := netip.AddrFrom4([4]byte{52, byte(tx.w.rng.IntN(32)), byte(tx.w.rng.IntN(256)), byte(1 + tx.w.rng.IntN(254))})
		if !tx.publicAddrInUse(a) {
			return a
		}
	}
}

func (tx *Tx) publicAddrInUse(a netip.Addr) bool {
	for _, o := range tx.w.offices {
		if o.GatewayAddr == a {
			return true
		}
	}
	for _, v := range tx.w.vpns {
		for _, t := range v.Tunnels {
			if t.IP == a {
				return true
			}
		}
	}
	for _, v := range tx.w.s2svpns {
		for _, t := range v.Tunnels {
			if t.IP == a {
				return true
			}
		}
	}
	for _, i := range tx.w.instances {
		if i.PublicIP == a {
			return true
		}
	}
	for _, d := range tx.w.data {
		if d.PublicAddr == a {
			return true
		}
	}
	for _, h := range tx.w.internet {
		if h.Addr == a {
			return true
		}
	}
	for _, e := range tx.w.eips {
		if e.PublicIP == a {
			return true
		}
	}
	for _, s := range tx.w.spaces {
		if s.RouterAddr == a {
			return true
		}
		for _, n := range s.NATAddrs {
			if n == a {
				return true
			}
		}
	}
	return false
}

// SpaceCIDRBlocks are the dyno subnet CIDRs of a space in peering-info order.
func (tx *Tx) SpaceCIDRBlocks(sp *Space) []netip.Prefix {
	var out []netip.Prefix
	for _, id := range sp.DynoSubnetIDs {
		out = append(out, tx.w.subnets[id].CIDR)
	}
	return out
}

// UnavailableCIDRs are the ranges a peer network must not overlap besides the space CIDR.
func (sp *Space) UnavailableCIDRs() []netip.Prefix { return []netip.Prefix{sp.DataCIDR} }

// spaceAddrInUse reports whether a is taken in sp: by the space router, an app's router
// nodes, a dyno or an instance of the space's VPC. It looks at every one of them: a caller
// testing many addresses gathers them once instead (spaceAddrsInUse).
func (tx *Tx) spaceAddrInUse(sp *Space, a netip.Addr) bool {
	if sp.RouterPrivateAddr == a {
		return true
	}
	for _, app := range tx.w.apps {
		if app.SpaceID != sp.ID {
			continue
		}
		for _, r := range app.RouterAddrs {
			if r == a {
				return true
			}
		}
		for _, d := range app.Dynos {
			if d.PrivateIP == a {
				return true
			}
		}
	}
	for _, i := range tx.w.instances {
		if i.VPCID == sp.VPCID && i.PrivateIP == a {
			return true
		}
	}
	return false
}

// moveSpaceRouter gives the space router a new private address, away from the addresses a
// caller is about to pin.
func (tx *Tx) moveSpaceRouter(sp *Space, avoid []netip.Addr) error {
	for range 16 {
		a, _, err := tx.allocSpaceAddr(sp, 0)
		if err != nil {
			return err
		}
		if !slices.Contains(avoid, a) {
			sp.RouterPrivateAddr = a
			return nil
		}
	}
	return HerokuErr(http.StatusUnprocessableEntity, "invalid_params", "Space %s has no free addresses left.", sp.Name)
}

// spaceAddrsInUse is every address spaceAddrInUse reports taken in sp, gathered in one pass.
func (tx *Tx) spaceAddrsInUse(sp *Space) map[netip.Addr]bool {
	used := map[netip.Addr]bool{sp.RouterPrivateAddr: true}
	for _, app := range tx.w.apps {
		if app.SpaceID != sp.ID {
			continue
		}
		for _, r := range app.RouterAddrs {
			used[r] = true
		}
		for _, d := range app.Dynos {
			used[d.PrivateIP] = true
		}
	}
	for _, i := range tx.w.instances {
		if i.VPCID == sp.VPCID {
			used[i.PrivateIP] = true
		}
	}
	return used
}

// allocSpaceAddr picks a free address in one of the space's dyno subnets, spreading across
// them, the way dynos and router nodes get theirs.
func (tx *Tx) allocSpaceAddr(sp *Space, subnetIdx int) (netip.Addr, string, error) {
	return tx.allocSpaceAddrFrom(sp, subnetIdx, tx.spaceAddrsInUse(sp))
}

// allocSpaceAddrFrom is allocSpaceAddr given the addresses in use (spaceAddrsInUse), which
// it adds the one it picks to: a caller allocating many addresses at once (a formation of
// 1,000 dynos) gathers them once, so each address costs a few lookups instead of a pass over
// every dyno and instance of the space. The picks are the same as with spaceAddrInUse.
func (tx *Tx) allocSpaceAddrFrom(sp *Space, subnetIdx int, used map[netip.Addr]bool) (netip.Addr, string, error) {
	n := len(sp.DynoSubnetIDs)
	for k := range n {
		sn := tx.w.subnets[sp.DynoSubnetIDs[(subnetIdx+k)%n]]
		size := 1 << (32 - sn.CIDR.Bits())
		for range 64 {
			a := nthAddr(sn.CIDR, 4+tx.w.rng.IntN(size-5))
			if !used[a] {
				used[a] = true
				return a, sn.ID, nil
			}
		}
		for a := nthAddr(sn.CIDR, 4); a != lastAddr(sn.CIDR); a = a.Next() {
			if !used[a] {
				used[a] = true
				return a, sn.ID, nil
			}
		}
	}
	return netip.Addr{}, "", HerokuErr(http.StatusUnprocessableEntity, "invalid_params", "Space %s has no free addresses left.", sp.Name)
}

// SpaceSubnet returns the dyno subnet of sp that holds a, or nil.
func (tx *Tx) SpaceSubnet(sp *Space, a netip.Addr) *Subnet { return tx.w.subnets[tx.subnetOf(sp, a)] }

func (tx *Tx) subnetOf(sp *Space, a netip.Addr) string {
	for _, id := range sp.DynoSubnetIDs {
		if tx.w.subnets[id].CIDR.Contains(a) {
			return id
		}
	}
	return ""
}

// NAT states of a space (GET /spaces/{space}/nat).
const (
	NATEnabled  = "enabled"
	NATUpdating = "updating"
	NATDisabled = "disabled"
)

// Generations a space can be created in.
var spaceGenerations = []string{"cedar", "fir"}

// ProvisionSpace creates a space the way POST /spaces does: validated like CreateSpace (name,
// team, region, CIDR rules), and in state allocating with its outbound NAT still updating,
// until FinishSpaceAllocations allocates it. The generation is cedar (the default) or fir.
func (tx *Tx) ProvisionSpace(s SpaceSpec) (*Space, error) {
	if s.Generation == "" {
		s.Generation = "cedar"
	}
	ok := false
	for _, g := range spaceGenerations {
		ok = ok || s.Generation == g
	}
	if !ok {
		return nil, HerokuErr(http.StatusUnprocessableEntity, "invalid_params", "Generation must be one of: %s.", strings.Join(spaceGenerations, ", "))
	}
	s.Allocating = true
	sp, err := tx.CreateSpace(s)
	if err != nil {
		return nil, err
	}
	sp.NATState = NATUpdating
	return sp, nil
}

// DueSpaceAllocations lists the spaces still allocating that were created at least minAge ago.
func (tx *Tx) DueSpaceAllocations(minAge time.Duration) []*Space {
	var out []*Space
	for _, sp := range tx.Spaces() {
		if sp.State == SpaceAllocating && !tx.now.Before(sp.CreatedAt.Add(minAge)) {
			out = append(out, sp)
		}
	}
	return out
}

// FinishSpaceAllocations allocates every space that has been allocating for at least minAge:
// its state becomes allocated and its outbound NAT enabled. It returns the spaces it changed.
func (tx *Tx) FinishSpaceAllocations(minAge time.Duration) []*Space {
	due := tx.DueSpaceAllocations(minAge)
	if len(due) == 0 {
		tx.mustWriteModel(&tx.w.spaces) // changes nothing
	}
	for _, sp := range due {
		tx.mustWriteFor(Changed{"space", sp.ID}, sp) // its router starts, its NAT is enabled
		sp.State, sp.NATState, sp.UpdatedAt = SpaceAllocated, NATEnabled, tx.now
		tx.w.log.Info("space allocated", "space", sp.Name)
	}
	return due
}

// RenameSpace gives a space a new name, under the same rules as at creation.
func (tx *Tx) RenameSpace(sp *Space, name string) error {
	tx.mustWrite()
	if name == sp.Name {
		return nil
	}
	if !spaceNameRE.MatchString(name) || strings.Contains(name, "--") {
		return HerokuErr(http.StatusUnprocessableEntity, "invalid_params", "Name must start with a letter or number, contain only lowercase letters, numbers and dashes, and end with a letter or number.")
	}
	if tx.Space(name) != nil {
		return HerokuErr(http.StatusUnprocessableEntity, "invalid_params", "Name is already taken")
	}
	sp.Name, sp.UpdatedAt = name, tx.now
	if v := tx.w.vpcs[sp.VPCID]; v != nil {
		v.Tags["Name"] = name
	}
	return nil
}

// DeleteSpace destroys a space that has no apps left: every peering of its VPC (customer
// ones and the heroku-managed data peering) is deleted by the Heroku account, so routes that
// customers pointed at them turn blackhole, and the space's VPC and data VPC with their
// subnets, route tables and security groups disappear. The returned space is in state
// deleting, the last state Heroku shows for it.
func (tx *Tx) DeleteSpace(sp *Space) (*Space, error) {
	if apps := tx.AppsIn(sp.ID); len(apps) > 0 {
		return nil, HerokuErr(http.StatusUnprocessableEntity, "invalid_params", "Space %s still has %d app(s) (%s); destroy them before destroying the space.", sp.Name, len(apps), apps[0].Name)
	}
	// Its units go (router, VPCs, VPN gateways, data services); what stays and knew them:
	// the internet (their public ends), the peered VPCs' routing (routes turn blackhole),
	// and the offices its VPN connections reached.
	ended := tx.unendedPeeringsOf(sp.VPCID, sp.DataVPCID)
	what := []any{&tx.w.spaces, sp, &tx.w.subnets, &tx.w.rtbs, &tx.w.sgs, &tx.w.vpcs, &tx.w.vpns, &tx.w.data}
	for _, p := range ended {
		what = append(what, p)
	}
	// (The offices its VPN connections reached add to the internet, which a VPC's going
	// renders again: they follow.)
	tx.mustWriteFor(Changed{"vpc", sp.VPCID}, what...)
	tx.networkChange(Changed{"vpc", sp.DataVPCID})
	tx.endPeerings(ended, tx.HerokuAccountID())
	gone := map[string]bool{sp.VPCID: true, sp.DataVPCID: true}
	for id, s := range tx.w.subnets {
		if gone[s.VPCID] {
			delete(tx.w.subnets, id)
		}
	}
	for id, rt := range tx.w.rtbs {
		if gone[rt.VPCID] {
			delete(tx.w.rtbs, id)
		}
	}
	for id, g := range tx.w.sgs {
		if gone[g.VPCID] {
			delete(tx.w.sgs, id)
		}
	}
	for id := range gone {
		delete(tx.w.vpcs, id)
	}
	for id, v := range tx.w.vpns {
		if v.SpaceID == sp.ID {
			delete(tx.w.vpns, id)
		}
	}
	for i := 0; i < len(tx.w.data); {
		if tx.w.data[i].SpaceID == sp.ID {
			tx.w.data = append(tx.w.data[:i], tx.w.data[i+1:]...)
			continue
		}
		i++
	}
	delete(tx.w.spaces, sp.ID)
	sp.State, sp.NATState, sp.UpdatedAt = SpaceDeleting, NATDisabled, tx.now
	tx.w.log.Info("space deleted", "space", sp.Name)
	return sp, nil
}
