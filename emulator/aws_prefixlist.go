package emulator

import (
	"net/netip"
	"slices"
	"strings"
	"unicode/utf8"
)

// A customer-managed prefix list is a named, versioned set of CIDR blocks that security group
// rules (as a rule's peer) and route tables (as a route's destination) reference by id. Every
// change of its entries makes a new version; whatever references it follows the current one.
// spacelab has no AWS-managed prefix lists (no gateway endpoints), and keeps IPv4 lists only.

// PrefixListEntry is one CIDR of a prefix list.
type PrefixListEntry struct {
	CIDR        netip.Prefix
	Description string
}

// PrefixList is a customer-managed prefix list.
type PrefixList struct {
	ID            string
	Account       string
	Region        string
	Name          string
	AddressFamily string // IPv4
	MaxEntries    int
	Version       int
	// State is create-complete, modify-complete or restore-complete once settled; the API
	// reports create-in-progress in CreateManagedPrefixList's answer.
	State string
	// Entries are the current version's; Versions[n-1] are version n's, kept for
	// GetManagedPrefixListEntries' TargetVersion and RestoreManagedPrefixListVersion.
	Entries  []PrefixListEntry
	Versions [][]PrefixListEntry
	Tags     Tags
}

// ARN is the prefix list's Amazon Resource Name.
func (p *PrefixList) ARN() string {
	return "arn:aws:ec2:" + p.Region + ":" + p.Account + ":prefix-list/" + p.ID
}

// Prefixes returns the current entries' CIDRs.
func (p *PrefixList) Prefixes() []netip.Prefix {
	out := make([]netip.Prefix, 0, len(p.Entries))
	for _, e := range p.Entries {
		out = append(out, e.CIDR)
	}
	return out
}

// PrefixList returns a prefix list by id, or nil.
func (tx *Tx) PrefixList(id string) *PrefixList { return tx.w.pls[id] }

// PrefixLists returns every prefix list, ordered by id.
func (tx *Tx) PrefixLists() []*PrefixList { return ordered(tx.w.pls) }

func (tx *Tx) callerPrefixList(c Caller, id string) (*PrefixList, error) {
	p := tx.w.pls[id]
	if p == nil || !c.owns(p.Account, p.Region) {
		return nil, AWSErr("InvalidPrefixListID.NotFound", "The prefix list ID '%s' does not exist", id)
	}
	return p, nil
}

// PrefixListSpec is what CreateManagedPrefixList asks for.
type PrefixListSpec struct {
	Name          string
	AddressFamily string
	MaxEntries    int
	Entries       []PermissionCIDR // CIDR text and description, as sent
	Tags          Tags
}

func checkPrefixListName(name string) error {
	if name == "" {
		return AWSErr("MissingParameter", "The request must contain the parameter PrefixListName")
	}
	if utf8.RuneCountInString(name) > 255 || strings.HasPrefix(name, "com.amazonaws") {
		return AWSErr("InvalidParameterValue", "The prefix list name '%s' is invalid.", name)
	}
	return nil
}

// parseEntries validates entries to add: IPv4 CIDRs (normalised), no CIDR twice.
func parseEntries(in []PermissionCIDR) ([]PrefixListEntry, error) {
	var out []PrefixListEntry
	for _, e := range in {
		p, err := netip.ParsePrefix(e.CIDR)
		if err != nil || !p.Addr().Is4() {
			return nil, AWSErr("InvalidParameterValue", "The CIDR '%s' is invalid.", e.CIDR)
		}
		if utf8.RuneCountInString(e.Description) > 255 {
			return nil, AWSErr("InvalidParameterValue", "The description for the CIDR '%s' is too long.", e.CIDR)
		}
		p = p.Masked()
		for _, o := range out {
			if o.CIDR == p {
				return nil, AWSErr("InvalidRequest", "The request cannot contain duplicate entries for CIDR %s.", p)
			}
		}
		out = append(out, PrefixListEntry{CIDR: p, Description: e.Description})
	}
	return out, nil
}

// CreatePrefixList creates a customer-managed prefix list at version 1.
func (tx *Tx) CreatePrefixList(c Caller, s PrefixListSpec) (*PrefixList, error) {
	tx.mustWriteModel(&tx.w.pls, &tx.w.accounts) // nothing references a new list yet
	if err := checkPrefixListName(s.Name); err != nil {
		return nil, err
	}
	switch s.AddressFamily {
	case "":
		return nil, AWSErr("MissingParameter", "The request must contain the parameter AddressFamily")
	case "IPv4":
	case "IPv6":
		return nil, AWSErr("UnsupportedOperation", "spacelab models IPv4 prefix lists only (AddressFamily IPv6)")
	default:
		return nil, AWSErr("InvalidParameterValue", "The address family '%s' is invalid. Valid values are IPv4 and IPv6.", s.AddressFamily)
	}
	if s.MaxEntries < 1 || s.MaxEntries > 1000 {
		return nil, AWSErr("InvalidParameterValue", "The maximum number of entries must be between 1 and 1000.")
	}
	entries, err := parseEntries(s.Entries)
	if err != nil {
		return nil, err
	}
	if len(entries) > s.MaxEntries {
		return nil, AWSErr("PrefixListMaxEntriesExceeded", "The prefix list has exceeded its maximum number of entries (%d).", s.MaxEntries)
	}
	tx.ensureAccount(c.Account, "customer")
	p := &PrefixList{ID: tx.NewID("pl"), Account: c.Account, Region: c.Region, Name: s.Name, AddressFamily: s.AddressFamily,
		MaxEntries: s.MaxEntries, Version: 1, State: "create-complete", Entries: entries,
		Versions: [][]PrefixListEntry{slices.Clone(entries)}, Tags: cloneTags(s.Tags)}
	if p.Entries == nil {
		p.Entries = []PrefixListEntry{}
	}
	tx.w.pls[p.ID] = p
	return p, nil
}

// PrefixListChange is what ModifyManagedPrefixList asks for. CurrentVersion is required when
// entries change; Name and MaxEntries are optional.
type PrefixListChange struct {
	CurrentVersion *int
	Name           string
	MaxEntries     *int
	Add            []PermissionCIDR
	Remove         []string
}

// ModifyPrefixList renames a list, resizes it, or adds and removes entries (a new version).
func (tx *Tx) ModifyPrefixList(c Caller, id string, ch PrefixListChange) (*PrefixList, error) {
	p, err := tx.callerPrefixList(c, id)
	if err != nil {
		return nil, err
	}
	tx.mustWriteFor(Changed{"prefix-list", p.ID}, p)
	changing := len(ch.Add) > 0 || len(ch.Remove) > 0
	if changing && ch.MaxEntries != nil {
		return nil, AWSErr("InvalidParameterCombination", "You cannot modify the entries of a prefix list and modify the size of a prefix list at the same time.")
	}
	if ch.CurrentVersion != nil && *ch.CurrentVersion != p.Version {
		return nil, AWSErr("PrefixListVersionMismatch", "The prefix list has the incorrect version number (%d); the current version is %d.", *ch.CurrentVersion, p.Version)
	}
	if changing && ch.CurrentVersion == nil {
		return nil, AWSErr("MissingParameter", "The request must contain the parameter CurrentVersion")
	}
	if ch.Name != "" {
		if err := checkPrefixListName(ch.Name); err != nil {
			return nil, err
		}
	}
	add, err := parseEntries(ch.Add)
	if err != nil {
		return nil, err
	}
	next := slices.Clone(p.Entries)
	for _, raw := range ch.Remove {
		r, err := netip.ParsePrefix(raw)
		if err != nil || !r.Addr().Is4() {
			return nil, AWSErr("InvalidParameterValue", "The CIDR '%s' is invalid.", raw)
		}
		for _, a := range add {
			if a.CIDR == r.Masked() {
				return nil, AWSErr("InvalidParameterValue", "Request cannot contain Cidr %s in both AddPrefixListEntries and RemovePrefixListEntries", a.CIDR)
			}
		}
		i := slices.IndexFunc(next, func(e PrefixListEntry) bool { return e.CIDR == r.Masked() })
		if i < 0 {
			return nil, AWSErr("InvalidPrefixListModification", "The prefix list entry %s does not exist in %s.", r.Masked(), id)
		}
		next = slices.Delete(next, i, i+1)
	}
	for _, a := range add {
		if slices.ContainsFunc(next, func(e PrefixListEntry) bool { return e.CIDR == a.CIDR }) {
			return nil, AWSErr("InvalidPrefixListModification", "The prefix list entry %s already exists in %s.", a.CIDR, id)
		}
		next = append(next, a)
	}
	max := p.MaxEntries
	if ch.MaxEntries != nil {
		max = *ch.MaxEntries
		if max < 1 || max > 1000 {
			return nil, AWSErr("InvalidParameterValue", "The maximum number of entries must be between 1 and 1000.")
		}
		if max < len(p.Entries) {
			return nil, AWSErr("InvalidParameterValue", "The maximum number of entries (%d) cannot be less than the number of entries in the prefix list (%d).", max, len(p.Entries))
		}
	}
	if len(next) > max {
		return nil, AWSErr("PrefixListMaxEntriesExceeded", "The prefix list has exceeded its maximum number of entries (%d).", max)
	}
	if ch.Name != "" {
		p.Name = ch.Name
	}
	p.MaxEntries = max
	if changing {
		p.Entries = next
		p.Version++
		p.Versions = append(p.Versions, slices.Clone(next))
	}
	p.State = "modify-complete"
	return p, nil
}

// RestorePrefixListVersion makes an earlier version's entries the current ones (a new version).
func (tx *Tx) RestorePrefixListVersion(c Caller, id string, previous, current int) (*PrefixList, error) {
	p, err := tx.callerPrefixList(c, id)
	if err != nil {
		return nil, err
	}
	tx.mustWriteFor(Changed{"prefix-list", p.ID}, p)
	if current != p.Version {
		return nil, AWSErr("PrefixListVersionMismatch", "The prefix list has the incorrect version number (%d); the current version is %d.", current, p.Version)
	}
	if previous < 1 || previous > len(p.Versions) {
		return nil, AWSErr("InvalidParameterValue", "The version %d of prefix list %s does not exist.", previous, id)
	}
	old := slices.Clone(p.Versions[previous-1])
	if len(old) > p.MaxEntries {
		return nil, AWSErr("PrefixListMaxEntriesExceeded", "The prefix list has exceeded its maximum number of entries (%d).", p.MaxEntries)
	}
	p.Entries = old
	p.Version++
	p.Versions = append(p.Versions, slices.Clone(old))
	p.State = "restore-complete"
	return p, nil
}

// PrefixListEntriesAt returns the entries of a version (0 means the current one).
func (tx *Tx) PrefixListEntriesAt(c Caller, id string, version int) ([]PrefixListEntry, error) {
	p, err := tx.callerPrefixList(c, id)
	if err != nil {
		return nil, err
	}
	if version == 0 {
		return p.Entries, nil
	}
	if version < 1 || version > len(p.Versions) {
		return nil, AWSErr("InvalidParameterValue", "The version %d of prefix list %s does not exist.", version, id)
	}
	return p.Versions[version-1], nil
}

// PrefixListAssociation is a resource that references a prefix list.
type PrefixListAssociation struct {
	ResourceID    string // sg-… or rtb-…
	ResourceOwner string
}

// PrefixListAssociations lists the security groups and route tables that reference a list.
func (tx *Tx) PrefixListAssociations(c Caller, id string) ([]PrefixListAssociation, error) {
	if _, err := tx.callerPrefixList(c, id); err != nil {
		return nil, err
	}
	return tx.PrefixListUsers(id), nil
}

// PrefixListUsers lists the security groups and route tables of any account that reference a
// list: what a change of its entries reaches.
func (tx *Tx) PrefixListUsers(id string) []PrefixListAssociation {
	var out []PrefixListAssociation
	names := func(r *SGRule) bool { return r.PrefixListID == id }
	for _, g := range ordered(tx.w.sgs) {
		if slices.ContainsFunc(g.Ingress, names) || slices.ContainsFunc(g.Egress, names) {
			out = append(out, PrefixListAssociation{ResourceID: g.ID, ResourceOwner: g.Account})
		}
	}
	for _, rt := range ordered(tx.w.rtbs) {
		if slices.ContainsFunc(rt.Routes, func(r *Route) bool { return r.PrefixListID == id }) {
			out = append(out, PrefixListAssociation{ResourceID: rt.ID, ResourceOwner: rt.Account})
		}
	}
	return out
}

// DeletePrefixList deletes a list nothing references.
func (tx *Tx) DeletePrefixList(c Caller, id string) (*PrefixList, error) {
	p, err := tx.callerPrefixList(c, id)
	if err != nil {
		return nil, err
	}
	if users := tx.PrefixListUsers(id); len(users) > 0 {
		return nil, AWSErr("DependencyViolation", "The prefix list '%s' is referenced by %s and cannot be deleted.", id, users[0].ResourceID)
	}
	tx.mustWriteModel(&tx.w.pls, p) // nothing references it
	delete(tx.w.pls, id)
	p.State = "delete-complete"
	return p, nil
}

func init() {
	registerTaggable("pl-", "prefix-list", func(w *World) map[string]*PrefixList { return w.pls },
		func(p *PrefixList) (string, string) { return p.Account, p.Region }, func(p *PrefixList) *Tags { return &p.Tags },
		"InvalidPrefixListID.NotFound", "prefix list")
}

// A route to a prefix list's CIDRs: Route.PrefixListID names the list and Dst is unset. The
// route table holds the list; the data plane routes each current entry (a static route with
// the same CIDR wins the tie).

// CreatePrefixListRoute adds a route whose destination is a prefix list.
func (tx *Tx) CreatePrefixListRoute(c Caller, rtbID, plID string, t RouteTarget) error {
	rt, err := tx.callerRouteTable(c, rtbID)
	if err != nil {
		return err
	}
	tx.mustWriteFor(Changed{"route-table", rt.VPCID}, rt)
	if _, err := tx.callerPrefixList(c, plID); err != nil {
		return err
	}
	for _, r := range rt.Routes {
		if r.PrefixListID == plID {
			return AWSErr("RouteAlreadyExists", "The route identified by %s already exists.", plID)
		}
	}
	kind, target, err := tx.resolveTarget(c, rt, t)
	if err != nil {
		return err
	}
	if len(rt.Routes) >= tx.Quotas().RoutesPerRouteTable {
		return AWSErr("RouteLimitExceeded", "The maximum number of routes has been reached for the specified route table %s (%d).", rt.ID, tx.Quotas().RoutesPerRouteTable)
	}
	rt.Routes = append(rt.Routes, &Route{PrefixListID: plID, Kind: kind, Target: target, Origin: "CreateRoute"})
	return nil
}

// ReplacePrefixListRoute points a prefix list route at a new target.
func (tx *Tx) ReplacePrefixListRoute(c Caller, rtbID, plID string, t RouteTarget) error {
	rt, err := tx.callerRouteTable(c, rtbID)
	if err != nil {
		return err
	}
	tx.mustWriteFor(Changed{"route-table", rt.VPCID}, rt)
	for _, r := range rt.Routes {
		if r.PrefixListID == plID {
			kind, target, err := tx.resolveTarget(c, rt, t)
			if err != nil {
				return err
			}
			r.Kind, r.Target = kind, target
			return nil
		}
	}
	return AWSErr("InvalidParameterValue", "There is no route defined for '%s' in the route table. Use CreateRoute instead.", plID)
}

// DeletePrefixListRoute removes a prefix list route.
func (tx *Tx) DeletePrefixListRoute(c Caller, rtbID, plID string) error {
	rt, err := tx.callerRouteTable(c, rtbID)
	if err != nil {
		return err
	}
	tx.mustWriteFor(Changed{"route-table", rt.VPCID}, rt)
	for i, r := range rt.Routes {
		if r.PrefixListID == plID {
			rt.Routes = append(rt.Routes[:i:i], rt.Routes[i+1:]...)
			return nil
		}
	}
	return AWSErr("InvalidRoute.NotFound", "no route with destination-prefix-list-id %s in route table %s", plID, rtbID)
}
