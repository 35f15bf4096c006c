package emulator

import (
	"net/netip"
	"strconv"
	"strings"
)

// A DHCP options set is what a VPC's instances are told at boot: their search domain
// (domain-name) and resolvers (domain-name-servers: AmazonProvidedDNS or addresses). Every
// account has a default set per region (the region's internal domain and AmazonProvidedDNS),
// made with its first VPC; a VPC associated with "default" has no options at all. The data
// plane honours domain-name and domain-name-servers in each instance's /etc/resolv.conf;
// ntp-servers, netbios-name-servers, netbios-node-type and ipv6-address-preferred-lease-time
// are stored and described only.

// DHCPOption is one key of a DHCP options set with its values, in the order sent.
type DHCPOption struct {
	Key    string
	Values []string
}

// DHCPOptions is a DHCP options set.
type DHCPOptions struct {
	ID      string
	Account string
	Region  string
	Options []DHCPOption
	Tags    Tags
	// Default marks the set AWS made for the account in the region.
	Default bool
}

// Value returns the values of a key, or nil.
func (d *DHCPOptions) Value(key string) []string {
	for _, o := range d.Options {
		if o.Key == key {
			return o.Values
		}
	}
	return nil
}

// DHCPOptionsSet returns a DHCP options set by id, or nil.
func (tx *Tx) DHCPOptionsSet(id string) *DHCPOptions { return tx.w.dopts[id] }

// DHCPOptionsSets returns every DHCP options set, ordered by id.
func (tx *Tx) DHCPOptionsSets() []*DHCPOptions { return ordered(tx.w.dopts) }

// defaultDHCPOptions returns the id of the account's default set in a region, making it with
// id when there is none yet.
func (tx *Tx) defaultDHCPOptions(account, region, id string) string {
	for _, d := range ordered(tx.w.dopts) {
		if d.Account == account && d.Region == region && d.Default {
			return d.ID
		}
	}
	tx.w.dopts[id] = &DHCPOptions{ID: id, Account: account, Region: region, Tags: Tags{}, Default: true, Options: []DHCPOption{
		{Key: "domain-name", Values: []string{InternalDomain(region)}},
		{Key: "domain-name-servers", Values: []string{"AmazonProvidedDNS"}},
	}}
	return id
}

var dhcpKeys = map[string]bool{"domain-name": true, "domain-name-servers": true, "ntp-servers": true,
	"netbios-name-servers": true, "netbios-node-type": true, "ipv6-address-preferred-lease-time": true}

// CreateDHCPOptions creates a DHCP options set. No VPC has it yet: the data plane does not see
// it.
func (tx *Tx) CreateDHCPOptions(c Caller, opts []DHCPOption, tags Tags) (*DHCPOptions, error) {
	tx.mustWriteModel(&tx.w.dopts)
	if len(opts) == 0 {
		return nil, AWSErr("MissingParameter", "The request must contain the parameter dhcpConfiguration")
	}
	seen := map[string]bool{}
	for _, o := range opts {
		if !dhcpKeys[o.Key] {
			return nil, AWSErr("InvalidParameterValue", "Value (%s) for parameter name is invalid. Unrecognized option name", o.Key)
		}
		if seen[o.Key] {
			return nil, AWSErr("InvalidParameterValue", "Duplicate value for parameter name: %s", o.Key)
		}
		seen[o.Key] = true
		if len(o.Values) == 0 {
			return nil, AWSErr("InvalidParameterValue", "Value for parameter %s is required", o.Key)
		}
		if err := checkDHCPValues(o); err != nil {
			return nil, err
		}
	}
	tx.ensureAccount(c.Account, "customer")
	d := &DHCPOptions{ID: tx.NewID("dopt"), Account: c.Account, Region: c.Region, Tags: cloneTags(tags)}
	for _, o := range opts {
		d.Options = append(d.Options, DHCPOption{Key: o.Key, Values: append([]string(nil), o.Values...)})
	}
	tx.w.dopts[d.ID] = d
	return d, nil
}

func checkDHCPValues(o DHCPOption) error {
	switch o.Key {
	case "domain-name-servers", "ntp-servers", "netbios-name-servers":
		if len(o.Values) > 4 {
			return AWSErr("InvalidParameterValue", "Value for parameter %s has more than 4 entries", o.Key)
		}
		for _, v := range o.Values {
			if o.Key == "domain-name-servers" && v == "AmazonProvidedDNS" {
				continue
			}
			if a, err := netip.ParseAddr(v); err != nil || !a.Is4() && o.Key != "domain-name-servers" && o.Key != "ntp-servers" {
				return AWSErr("InvalidParameterValue", "Value (%s) for parameter %s is invalid. Invalid IP address", v, o.Key)
			}
		}
	case "netbios-node-type":
		if len(o.Values) != 1 || !strings.Contains(" 1 2 4 8 ", " "+o.Values[0]+" ") {
			return AWSErr("InvalidParameterValue", "Value (%s) for parameter netbios-node-type is invalid. Valid values are 1, 2, 4 and 8", strings.Join(o.Values, ","))
		}
	case "ipv6-address-preferred-lease-time":
		n, err := strconv.Atoi(o.Values[0])
		if len(o.Values) != 1 || err != nil || n < 140 || n > 2147483647 {
			return AWSErr("InvalidParameterValue", "Value (%s) for parameter ipv6-address-preferred-lease-time is invalid.", strings.Join(o.Values, ","))
		}
	case "domain-name":
		for _, v := range o.Values {
			for _, d := range strings.Fields(v) {
				if len(d) > 255 || strings.ContainsAny(d, "/\\@,;:") {
					return AWSErr("InvalidParameterValue", "Value (%s) for parameter domain-name is invalid.", v)
				}
			}
		}
	}
	return nil
}

func (tx *Tx) callerDHCPOptions(c Caller, id string) (*DHCPOptions, error) {
	d := tx.w.dopts[id]
	if d == nil || !c.owns(d.Account, d.Region) {
		return nil, AWSErr("InvalidDhcpOptionID.NotFound", "The dhcpOption ID '%s' does not exist", id)
	}
	return d, nil
}

// AssociateDHCPOptions gives a VPC a DHCP options set, or none with id "default". Instances
// take the new options at once (a real instance does at its next lease renewal).
func (tx *Tx) AssociateDHCPOptions(c Caller, id, vpcID string) error {
	if id != "default" {
		if _, err := tx.callerDHCPOptions(c, id); err != nil {
			return err
		}
	}
	v := tx.w.vpcs[vpcID]
	if v == nil || !c.owns(v.Account, v.Region) {
		return AWSErr("InvalidVpcID.NotFound", "The vpc ID '%s' does not exist", vpcID)
	}
	tx.mustWriteFor(Changed{"dhcp-options", vpcID}, v)
	v.DHCPOptionsID = id
	return nil
}

// DeleteDHCPOptions deletes a set no VPC is associated with, which the data plane does not see.
func (tx *Tx) DeleteDHCPOptions(c Caller, id string) error {
	tx.mustWriteModel(&tx.w.dopts)
	if _, err := tx.callerDHCPOptions(c, id); err != nil {
		return err
	}
	for _, v := range tx.w.vpcs {
		if v.DHCPOptionsID == id {
			return AWSErr("DependencyViolation", "The dhcpOptions '%s' has dependencies and cannot be deleted.", id)
		}
	}
	delete(tx.w.dopts, id)
	return nil
}

// InstanceResolvers is what a VPC's DHCP options tell its instances: resolvers
// (AmazonProvidedDNS is the VPC's base+2) and search domains. A VPC without options gets none.
func (tx *Tx) InstanceResolvers(v *VPC) ([]netip.Addr, []string) {
	d := tx.w.dopts[v.DHCPOptionsID]
	if d == nil {
		return nil, nil
	}
	var servers []netip.Addr
	for _, s := range d.Value("domain-name-servers") {
		if s == "AmazonProvidedDNS" {
			servers = append(servers, v.ResolverAddr())
		} else if a, err := netip.ParseAddr(s); err == nil && a.Is4() {
			servers = append(servers, a)
		}
	}
	var search []string
	for _, s := range d.Value("domain-name") {
		search = append(search, strings.Fields(s)...)
	}
	return servers, search
}

func init() {
	registerTaggable("dopt-", "dhcp-options", func(w *World) map[string]*DHCPOptions { return w.dopts },
		func(d *DHCPOptions) (string, string) { return d.Account, d.Region }, func(d *DHCPOptions) *Tags { return &d.Tags },
		"InvalidDhcpOptionID.NotFound", "dhcpOption")
}
