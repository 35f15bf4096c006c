package fakeaws

import (
	"net/netip"
	"strconv"

	"github.com/spacelab-dev/spacelab/emulator"
)

func init() {
	register("CreateNetworkAcl", createNetworkAcl)
	register("DeleteNetworkAcl", deleteNetworkAcl)
	register("DescribeNetworkAcls", describeNetworkAcls)
	register("CreateNetworkAclEntry", func(s *Server, r *request) (response, error) { return putNetworkAclEntry(s, r, false) })
	register("ReplaceNetworkAclEntry", func(s *Server, r *request) (response, error) { return putNetworkAclEntry(s, r, true) })
	register("DeleteNetworkAclEntry", deleteNetworkAclEntry)
	register("ReplaceNetworkAclAssociation", replaceNetworkAclAssociation)
}

// networkACLXML is EC2's NetworkAcl shape.
type networkACLXML struct {
	NetworkACLID   string              `xml:"networkAclId"`
	VpcID          string              `xml:"vpcId"`
	OwnerID        string              `xml:"ownerId"`
	Default        bool                `xml:"default"`
	EntrySet       items[naclEntryXML] `xml:"entrySet"`
	AssociationSet items[naclAssocXML] `xml:"associationSet"`
	TagSet         items[tagXML]       `xml:"tagSet"`
}

type naclEntryXML struct {
	RuleNumber    int           `xml:"ruleNumber"`
	Protocol      string        `xml:"protocol"`
	RuleAction    string        `xml:"ruleAction"`
	Egress        bool          `xml:"egress"`
	CidrBlock     string        `xml:"cidrBlock,omitempty"`
	Ipv6CidrBlock string        `xml:"ipv6CidrBlock,omitempty"`
	IcmpTypeCode  *icmpTypeCode `xml:"icmpTypeCode,omitempty"`
	PortRange     *portRange    `xml:"portRange,omitempty"`
}

type icmpTypeCode struct {
	Code int `xml:"code"`
	Type int `xml:"type"`
}

type portRange struct {
	From int `xml:"from"`
	To   int `xml:"to"`
}

type naclAssocXML struct {
	NetworkACLAssociationID string `xml:"networkAclAssociationId"`
	NetworkACLID            string `xml:"networkAclId"`
	SubnetID                string `xml:"subnetId"`
}

func renderEntry(e *emulator.NACLEntry) naclEntryXML {
	x := naclEntryXML{RuleNumber: e.RuleNumber, Protocol: e.Protocol, RuleAction: "deny", Egress: e.Egress}
	if emulator.IsIPv6(e.CIDR) {
		x.Ipv6CidrBlock = e.CIDR.String()
	} else {
		x.CidrBlock = e.CIDR.String()
	}
	if e.Allow {
		x.RuleAction = "allow"
	}
	switch e.Protocol {
	case "6", "17":
		x.PortRange = &portRange{From: e.FromPort, To: e.ToPort}
	case "1", "58":
		x.IcmpTypeCode = &icmpTypeCode{Code: e.ICMPCode, Type: e.ICMPType}
	}
	return x
}

// naclDefaultRuleIPv6 is the number EC2 shows for the final "*" rule of IPv6 traffic, present
// while the VPC has an IPv6 block.
const naclDefaultRuleIPv6 = 32768

func renderNACL(tx *emulator.Tx, n *emulator.NetworkACL) networkACLXML {
	x := networkACLXML{NetworkACLID: n.ID, VpcID: n.VPCID, OwnerID: n.Account, Default: n.IsDefault, TagSet: tagSet(n.Tags)}
	x.EntrySet.Items = []naclEntryXML{}
	for _, egress := range []bool{true, false} {
		for _, e := range n.Entries {
			if e.Egress == egress {
				x.EntrySet.Items = append(x.EntrySet.Items, renderEntry(e))
			}
		}
		// The final "*" rule, shown as 32767, denies whatever no rule allowed.
		x.EntrySet.Items = append(x.EntrySet.Items, naclEntryXML{RuleNumber: emulator.NACLDefaultRule, Protocol: "-1", RuleAction: "deny", Egress: egress, CidrBlock: "0.0.0.0/0"})
		if tx.VPCHasIPv6(n.VPCID) {
			x.EntrySet.Items = append(x.EntrySet.Items, naclEntryXML{RuleNumber: naclDefaultRuleIPv6, Protocol: "-1", RuleAction: "deny", Egress: egress, Ipv6CidrBlock: "::/0"})
		}
	}
	for _, a := range n.Associations {
		x.AssociationSet.Items = append(x.AssociationSet.Items, naclAssocXML{NetworkACLAssociationID: a.ID, NetworkACLID: n.ID, SubnetID: a.SubnetID})
	}
	return x
}

type createNACLResponse struct {
	NetworkACL  networkACLXML `xml:"networkAcl"`
	ClientToken string        `xml:"clientToken,omitempty"`
}

func createNetworkAcl(s *Server, r *request) (response, error) {
	vpcID, err := r.Params.required("VpcId")
	if err != nil {
		return nil, err
	}
	tags, err := r.Params.tagSpecs("network-acl")
	if err != nil {
		return nil, err
	}
	resp := &createNACLResponse{ClientToken: r.Params.get("ClientToken")}
	err = s.update(r, func(tx *emulator.Tx) error {
		n, err := tx.CreateNetworkACL(r.Caller, vpcID, tags)
		if err != nil {
			return err
		}
		resp.NetworkACL = renderNACL(tx, n)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

func deleteNetworkAcl(s *Server, r *request) (response, error) {
	id, err := r.Params.required("NetworkAclId")
	if err != nil {
		return nil, err
	}
	if err := s.update(r, func(tx *emulator.Tx) error { return tx.DeleteNetworkACL(r.Caller, id) }); err != nil {
		return nil, err
	}
	return ok(), nil
}

// entryParam reads a CreateNetworkAclEntry / ReplaceNetworkAclEntry request.
func entryParam(p params) (string, emulator.NACLEntry, error) {
	var e emulator.NACLEntry
	id, err := p.required("NetworkAclId")
	if err != nil {
		return "", e, err
	}
	n, set, err := p.integer("RuleNumber")
	if err != nil {
		return "", e, err
	}
	if !set {
		return "", e, emulator.AWSErr("MissingParameter", "The request must contain the parameter ruleNumber")
	}
	e.RuleNumber = n
	if e.Egress, err = p.boolean("Egress", false); err != nil {
		return "", e, err
	}
	if e.Protocol, err = p.required("Protocol"); err != nil {
		return "", e, err
	}
	action, err := p.required("RuleAction")
	if err != nil {
		return "", e, err
	}
	switch action {
	case "allow":
		e.Allow = true
	case "deny":
	default:
		return "", e, invalidValue(action, "RuleAction")
	}
	raw, raw6 := p.get("CidrBlock"), p.get("Ipv6CidrBlock")
	switch {
	case raw != "" && raw6 != "":
		return "", e, emulator.AWSErr("InvalidParameterCombination", "The parameter cidrBlock cannot be used with the parameter ipv6CidrBlock")
	case raw6 != "":
		// IPv6 entries are stored and described; the IPv4 data plane has no packet for them.
		if e.CIDR, err = netip.ParsePrefix(raw6); err != nil || !emulator.IsIPv6(e.CIDR) {
			return "", e, emulator.AWSErr("InvalidParameterValue", "Value (%s) for parameter ipv6CidrBlock is invalid. This is not a valid IPv6 CIDR block.", raw6)
		}
	case raw != "":
		if e.CIDR, err = netip.ParsePrefix(raw); err != nil || !e.CIDR.Addr().Is4() {
			return "", e, emulator.AWSErr("InvalidParameterValue", "Value (%s) for parameter cidrBlock is invalid. This is not a valid CIDR block.", raw)
		}
	default:
		return "", e, emulator.AWSErr("MissingParameter", "The request must contain the parameter cidrBlock or ipv6CidrBlock")
	}
	ints := []struct {
		name string
		dst  *int
	}{{"PortRange.From", &e.FromPort}, {"PortRange.To", &e.ToPort}, {"Icmp.Type", &e.ICMPType}, {"Icmp.Code", &e.ICMPCode}}
	for _, f := range ints {
		v, set, err := p.integer(f.name)
		if err != nil {
			return "", e, err
		}
		if !set {
			v = -1
		}
		*f.dst = v
	}
	proto, err := emulator.NormalizeNACLProtocol(e.Protocol)
	if err != nil {
		return "", e, err
	}
	if (proto == "6" || proto == "17") && (!p.has("PortRange.From") || !p.has("PortRange.To")) {
		return "", e, emulator.AWSErr("InvalidParameterValue", "TCP and UDP entries need a port range (PortRange.From and PortRange.To)")
	}
	if (proto == "1" || proto == "58" && raw6 != "") && (!p.has("Icmp.Type") || !p.has("Icmp.Code")) {
		return "", e, emulator.AWSErr("InvalidParameterValue", "ICMP entries need a type and code (Icmp.Type and Icmp.Code; -1 means all)")
	}
	return id, e, nil
}

func putNetworkAclEntry(s *Server, r *request, replace bool) (response, error) {
	id, e, err := entryParam(r.Params)
	if err != nil {
		return nil, err
	}
	err = s.update(r, func(tx *emulator.Tx) error {
		if replace {
			return tx.ReplaceNetworkACLEntry(r.Caller, id, e)
		}
		return tx.CreateNetworkACLEntry(r.Caller, id, e)
	})
	if err != nil {
		return nil, err
	}
	return ok(), nil
}

func deleteNetworkAclEntry(s *Server, r *request) (response, error) {
	id, err := r.Params.required("NetworkAclId")
	if err != nil {
		return nil, err
	}
	n, set, err := r.Params.integer("RuleNumber")
	if err != nil {
		return nil, err
	}
	if !set {
		return nil, emulator.AWSErr("MissingParameter", "The request must contain the parameter ruleNumber")
	}
	egress, err := r.Params.boolean("Egress", false)
	if err != nil {
		return nil, err
	}
	if err := s.update(r, func(tx *emulator.Tx) error { return tx.DeleteNetworkACLEntry(r.Caller, id, n, egress) }); err != nil {
		return nil, err
	}
	return ok(), nil
}

func replaceNetworkAclAssociation(s *Server, r *request) (response, error) {
	assoc, err := r.Params.required("AssociationId")
	if err != nil {
		return nil, err
	}
	acl, err := r.Params.required("NetworkAclId")
	if err != nil {
		return nil, err
	}
	resp := &struct {
		NewAssociationID string `xml:"newAssociationId"`
	}{}
	err = s.update(r, func(tx *emulator.Tx) error {
		id, err := tx.ReplaceNetworkACLAssociation(r.Caller, assoc, acl)
		resp.NewAssociationID = id
		return err
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

type describeNACLsResponse struct {
	NetworkACLSet items[networkACLXML] `xml:"networkAclSet"`
	NextToken     string               `xml:"nextToken,omitempty"`
}

func entryValues(dir string, f func(naclEntryXML) string) func(networkACLXML) []string {
	return func(x networkACLXML) []string {
		var out []string
		for _, e := range x.EntrySet.Items {
			if dir == "" || (dir == "egress") == e.Egress {
				if v := f(e); v != "" {
					out = append(out, v)
				}
			}
		}
		return out
	}
}

var naclFields = fields[networkACLXML]{
	"network-acl-id": func(x networkACLXML) []string { return one(x.NetworkACLID) },
	"vpc-id":         func(x networkACLXML) []string { return one(x.VpcID) },
	"owner-id":       func(x networkACLXML) []string { return one(x.OwnerID) },
	"default":        func(x networkACLXML) []string { return one(boolStr(x.Default)) },
	"association.association-id": func(x networkACLXML) []string {
		return mapItems(x.AssociationSet.Items, func(a naclAssocXML) string { return a.NetworkACLAssociationID })
	},
	"association.network-acl-id": func(x networkACLXML) []string {
		return mapItems(x.AssociationSet.Items, func(a naclAssocXML) string { return a.NetworkACLID })
	},
	"association.subnet-id": func(x networkACLXML) []string {
		return mapItems(x.AssociationSet.Items, func(a naclAssocXML) string { return a.SubnetID })
	},
	"entry.cidr":            entryValues("", func(e naclEntryXML) string { return e.CidrBlock }),
	"entry.ipv6-cidr-block": entryValues("", func(e naclEntryXML) string { return e.Ipv6CidrBlock }),
	"entry.egress":          entryValues("", func(e naclEntryXML) string { return boolStr(e.Egress) }),
	"entry.protocol":        entryValues("", func(e naclEntryXML) string { return e.Protocol }),
	"entry.rule-action":     entryValues("", func(e naclEntryXML) string { return e.RuleAction }),
	"entry.rule-number":     entryValues("", func(e naclEntryXML) string { return strconv.Itoa(e.RuleNumber) }),
	"entry.port-range.from": entryValues("", func(e naclEntryXML) string {
		if e.PortRange == nil {
			return ""
		}
		return strconv.Itoa(e.PortRange.From)
	}),
	"entry.port-range.to": entryValues("", func(e naclEntryXML) string {
		if e.PortRange == nil {
			return ""
		}
		return strconv.Itoa(e.PortRange.To)
	}),
}

func describeNetworkAcls(s *Server, r *request) (response, error) {
	fs, err := r.Params.filters()
	if err != nil {
		return nil, err
	}
	ids := r.Params.list("NetworkAclId")
	resp := &describeNACLsResponse{}
	err = s.view(r, func(tx *emulator.Tx) error {
		var all []networkACLXML
		tagsOf := map[string]emulator.Tags{}
		for _, n := range tx.NetworkACLs() {
			if n.Account == r.Caller.Account && n.Region == r.Caller.Region {
				all = append(all, renderNACL(tx, n))
				tagsOf[n.ID] = n.Tags
			}
		}
		sel := selection[networkACLXML]{id: func(x networkACLXML) string { return x.NetworkACLID },
			notFound: idsNotFound("InvalidNetworkAclID.NotFound", "networkAcl"),
			fields:   naclFields, tags: func(x networkACLXML) emulator.Tags { return tagsOf[x.NetworkACLID] }, maxPage: 100}
		pg, err := sel.page(all, ids, fs, r.Params)
		if err != nil {
			return err
		}
		resp.NetworkACLSet, resp.NextToken = list(pg.Items), pg.Next
		return nil
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}
