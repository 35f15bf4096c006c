package emulator

import (
	"sort"
	"strings"
	"unicode/utf8"
)

// Tags are resource tags. Keys are unique; output sorts them.
type Tags map[string]string

// Sorted returns the tag keys in order.
func (t Tags) Sorted() []string {
	keys := make([]string, 0, len(t))
	for k := range t {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func cloneTags(t Tags) Tags {
	out := Tags{}
	for k, v := range t {
		out[k] = v
	}
	return out
}

// Tag limits of EC2 (user-defined tags per resource, key and value lengths).
const (
	maxTagsPerResource = 50
	maxTagKeyLen       = 128
	maxTagValueLen     = 256
)

// TaggedResource is one resource as DescribeTags lists it.
type TaggedResource struct {
	ID   string
	Type string // EC2 resource type: vpc, subnet, route-table, security-group, instance, …
	Tags Tags
}

// taggable is a kind of resource that carries tags: its id prefix, EC2 resource type, how to
// find one instance's tag map as the caller sees it, and how to list those the caller sees.
type taggable struct {
	prefix string
	typ    string
	tags   func(tx *Tx, c Caller, id string) (*Tags, error)
	list   func(tx *Tx, c Caller) []string
}

func ownedTags[V any](m func(*World) map[string]*V, owner func(*V) (string, string), tags func(*V) *Tags, code, noun string) (func(*Tx, Caller, string) (*Tags, error), func(*Tx, Caller) []string) {
	get := func(tx *Tx, c Caller, id string) (*Tags, error) {
		r := m(tx.w)[id]
		if r == nil {
			return nil, AWSErr(code, "The %s ID '%s' does not exist", noun, id)
		}
		if a, reg := owner(r); !c.owns(a, reg) {
			return nil, AWSErr(code, "The %s ID '%s' does not exist", noun, id)
		}
		return tags(r), nil
	}
	list := func(tx *Tx, c Caller) []string {
		var out []string
		for _, id := range sortedKeys(m(tx.w)) {
			if a, reg := owner(m(tx.w)[id]); c.owns(a, reg) {
				out = append(out, id)
			}
		}
		return out
	}
	return get, list
}

var taggables []taggable

func registerTaggable[V any](prefix, typ string, m func(*World) map[string]*V, owner func(*V) (string, string), tags func(*V) *Tags, code, noun string) {
	get, list := ownedTags(m, owner, tags, code, noun)
	taggables = append(taggables, taggable{prefix: prefix, typ: typ, tags: get, list: list})
}

func init() {
	registerTaggable("vpc-", "vpc", func(w *World) map[string]*VPC { return w.vpcs },
		func(v *VPC) (string, string) { return v.Account, v.Region }, func(v *VPC) *Tags { return &v.Tags },
		"InvalidVpcID.NotFound", "vpc")
	registerTaggable("subnet-", "subnet", func(w *World) map[string]*Subnet { return w.subnets },
		func(v *Subnet) (string, string) { return v.Account, v.Region }, func(v *Subnet) *Tags { return &v.Tags },
		"InvalidSubnetID.NotFound", "subnet")
	registerTaggable("rtb-", "route-table", func(w *World) map[string]*RouteTable { return w.rtbs },
		func(v *RouteTable) (string, string) { return v.Account, v.Region }, func(v *RouteTable) *Tags { return &v.Tags },
		"InvalidRouteTableID.NotFound", "routeTable")
	registerTaggable("sg-", "security-group", func(w *World) map[string]*SecurityGroup { return w.sgs },
		func(v *SecurityGroup) (string, string) { return v.Account, v.Region }, func(v *SecurityGroup) *Tags { return &v.Tags },
		"InvalidGroup.NotFound", "security group")
	registerTaggable("i-", "instance", func(w *World) map[string]*Instance { return w.instances },
		func(v *Instance) (string, string) { return v.Account, v.Region }, func(v *Instance) *Tags { return &v.Tags },
		"InvalidInstanceID.NotFound", "instance")
	registerTaggable("acl-", "network-acl", func(w *World) map[string]*NetworkACL { return w.nacls },
		func(v *NetworkACL) (string, string) { return v.Account, v.Region }, func(v *NetworkACL) *Tags { return &v.Tags },
		"InvalidNetworkAclID.NotFound", "networkAcl")
	registerTaggable("igw-", "internet-gateway", func(w *World) map[string]*InternetGateway { return w.igws },
		func(v *InternetGateway) (string, string) { return v.Account, v.Region }, func(v *InternetGateway) *Tags { return &v.Tags },
		"InvalidInternetGatewayID.NotFound", "internetGateway")
	registerTaggable("eipalloc-", "elastic-ip", func(w *World) map[string]*ElasticIP { return w.eips },
		func(v *ElasticIP) (string, string) { return v.Account, v.Region }, func(v *ElasticIP) *Tags { return &v.Tags },
		"InvalidAllocationID.NotFound", "allocation")
	registerTaggable("nat-", "natgateway", func(w *World) map[string]*NatGateway { return w.natgws },
		func(v *NatGateway) (string, string) { return v.Account, v.Region }, func(v *NatGateway) *Tags { return &v.Tags },
		"InvalidNatGatewayID.NotFound", "natGateway")
	registerTaggable("cgw-", "customer-gateway", func(w *World) map[string]*CustomerGateway { return w.cgws },
		func(v *CustomerGateway) (string, string) { return v.Account, v.Region }, func(v *CustomerGateway) *Tags { return &v.Tags },
		"InvalidCustomerGatewayID.NotFound", "customerGateway")
	registerTaggable("vgw-", "vpn-gateway", func(w *World) map[string]*VpnGateway { return w.vgws },
		func(v *VpnGateway) (string, string) { return v.Account, v.Region }, func(v *VpnGateway) *Tags { return &v.Tags },
		"InvalidVpnGatewayID.NotFound", "vpnGateway")
	registerTaggable("vpn-", "vpn-connection", func(w *World) map[string]*VpnConnection { return w.s2svpns },
		func(v *VpnConnection) (string, string) { return v.Account, v.Region }, func(v *VpnConnection) *Tags { return &v.Tags },
		"InvalidVpnConnectionID.NotFound", "vpnConnection")
	taggables = append(taggables, taggable{prefix: "pcx-", typ: "vpc-peering-connection",
		tags: func(tx *Tx, c Caller, id string) (*Tags, error) {
			p, err := tx.callerPeering(c, id)
			if err != nil {
				return nil, err
			}
			return p.tagsFor(c), nil
		},
		list: func(tx *Tx, c Caller) []string {
			var out []string
			for _, p := range tx.PeeringsVisibleTo(c) {
				out = append(out, p.ID)
			}
			return out
		}})
}

// tagsFor is the tag map the caller's account and region keep for the peering.
func (p *Peering) tagsFor(c Caller) *Tags {
	if c.owns(p.Requester.Account, p.Requester.Region) {
		return &p.Tags
	}
	return &p.AccepterTags
}

// TagsOf returns the tags the caller sees on a peering: a peering's tags are kept per account
// and region, so the two sides of a cross-account peering tag it independently.
func (p *Peering) TagsOf(c Caller) Tags { return *p.tagsFor(c) }

func (tx *Tx) lookupTags(c Caller, id string) (*Tags, error) {
	for _, k := range taggables {
		if strings.HasPrefix(id, k.prefix) {
			return k.tags(tx, c, id)
		}
	}
	return nil, AWSErr("InvalidID", "The ID '%s' is not valid", id)
}

// ResourceType returns the EC2 resource type of an id by its prefix ("" when unknown).
func ResourceType(id string) string {
	for _, k := range taggables {
		if strings.HasPrefix(id, k.prefix) {
			return k.typ
		}
	}
	return ""
}

// CheckTags validates tags to be applied: EC2's limits on key and value length and the
// reserved aws: prefix.
func CheckTags(t Tags) error {
	for _, k := range t.Sorted() {
		v := t[k]
		switch {
		case k == "":
			return AWSErr("InvalidParameterValue", "Tag key cannot be empty")
		case utf8.RuneCountInString(k) > maxTagKeyLen:
			return AWSErr("InvalidParameterValue", "Tag key exceeds the maximum length of %d characters", maxTagKeyLen)
		case utf8.RuneCountInString(v) > maxTagValueLen:
			return AWSErr("InvalidParameterValue", "Tag value exceeds the maximum length of %d characters", maxTagValueLen)
		case strings.HasPrefix(strings.ToLower(k), "aws:"):
			return AWSErr("InvalidParameterValue", "Tag keys starting with 'aws:' are reserved for internal use")
		}
	}
	return nil
}

// CreateTags adds or overwrites tags on resources the caller owns. Every id is checked before
// anything changes; an unknown id refuses the whole request with that resource's NotFound error
// (InvalidID for an id of no known kind).
func (tx *Tx) CreateTags(c Caller, ids []string, tags Tags) error {
	if len(ids) == 0 {
		return AWSErr("MissingParameter", "The request must contain the parameter resourceIdSet")
	}
	if len(tags) == 0 {
		return AWSErr("MissingParameter", "The request must contain the parameter tagSet")
	}
	if err := CheckTags(tags); err != nil {
		return err
	}
	maps := make([]*Tags, len(ids))
	for i, id := range ids {
		m, err := tx.lookupTags(c, id)
		if err != nil {
			return err
		}
		n := len(*m)
		for k := range tags {
			if _, ok := (*m)[k]; !ok {
				n++
			}
		}
		if n > maxTagsPerResource {
			return AWSErr("TagLimitExceeded", "The maximum number of Tags for a resource has been reached.")
		}
		maps[i] = m
	}
	tx.writeTags(maps, func(k string) bool { _, ok := tags[k]; return ok })
	for _, m := range maps {
		if *m == nil {
			*m = Tags{}
		}
		for k, v := range tags {
			(*m)[k] = v
		}
	}
	return nil
}

// TagMatch selects a tag for DeleteTags: a key alone deletes the tag whatever its value; a key
// with a value (even empty) deletes it only when the value matches.
type TagMatch struct {
	Key   string
	Value *string
}

// DeleteTags removes tags from resources the caller owns. No matches means all tags.
func (tx *Tx) DeleteTags(c Caller, ids []string, match []TagMatch) error {
	if len(ids) == 0 {
		return AWSErr("MissingParameter", "The request must contain the parameter resourceIdSet")
	}
	maps := make([]*Tags, len(ids))
	for i, id := range ids {
		m, err := tx.lookupTags(c, id)
		if err != nil {
			return err
		}
		maps[i] = m
	}
	tx.writeTags(maps, func(k string) bool {
		for _, t := range match {
			if t.Key == k {
				return true
			}
		}
		return len(match) == 0
	})
	for _, m := range maps {
		if len(match) == 0 {
			*m = Tags{}
			continue
		}
		for _, t := range match {
			if v, ok := (*m)[t.Key]; ok && (t.Value == nil || *t.Value == v) {
				delete(*m, t.Key)
			}
		}
	}
	return nil
}

// writeTags journals the tag maps a request changes. Tags are model only, except a Name tag:
// the rendered network uses a VPC's and an instance's Name as a host alias.
func (tx *Tx) writeTags(maps []*Tags, touches func(key string) bool) {
	what := make([]any, len(maps))
	for i, m := range maps {
		what[i] = m
	}
	if touches("Name") {
		tx.mustWrite(what...)
		return
	}
	tx.mustWriteModel(what...)
}

// TaggedResources lists every resource the caller sees that has at least one tag, ordered by
// resource type and id.
func (tx *Tx) TaggedResources(c Caller) []TaggedResource {
	var out []TaggedResource
	for _, k := range taggables {
		for _, id := range k.list(tx, c) {
			m, err := k.tags(tx, c, id)
			if err != nil || len(*m) == 0 {
				continue
			}
			out = append(out, TaggedResource{ID: id, Type: k.typ, Tags: *m})
		}
	}
	return out
}
