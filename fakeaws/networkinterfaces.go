package fakeaws

import (
	"fmt"
	"net/netip"
	"strconv"

	"github.com/spacelab-dev/spacelab/emulator"
)

func init() {
	register("DescribeNetworkInterfaces", describeNetworkInterfaces)
	register("CreateNetworkInterface", createNetworkInterface)
	register("DeleteNetworkInterface", deleteNetworkInterface)
	register("AttachNetworkInterface", attachNetworkInterface)
	register("DetachNetworkInterface", detachNetworkInterface)
	register("ModifyNetworkInterfaceAttribute", modifyNetworkInterfaceAttribute)
	register("DescribeNetworkInterfaceAttribute", describeNetworkInterfaceAttribute)
}

// networkInterfaceXML is EC2's NetworkInterface shape, as DescribeNetworkInterfaces lists it.
// Every live instance has its primary interface (device 0), deleted with the instance unless
// its DeleteOnTermination is turned off.
type networkInterfaceXML struct {
	NetworkInterfaceID    string            `xml:"networkInterfaceId"`
	SubnetID              string            `xml:"subnetId"`
	VpcID                 string            `xml:"vpcId"`
	AvailabilityZone      string            `xml:"availabilityZone"`
	Description           string            `xml:"description"`
	OwnerID               string            `xml:"ownerId"`
	RequesterManaged      bool              `xml:"requesterManaged"`
	Status                string            `xml:"status"`
	MacAddress            string            `xml:"macAddress"`
	PrivateIPAddress      string            `xml:"privateIpAddress"`
	PrivateDNSName        string            `xml:"privateDnsName"`
	SourceDestCheck       bool              `xml:"sourceDestCheck"`
	GroupSet              items[groupIdent] `xml:"groupSet"`
	Attachment            *eniAttachmentXML `xml:"attachment,omitempty"`
	Association           *eniAssociation   `xml:"association,omitempty"`
	TagSet                items[tagXML]     `xml:"tagSet"`
	PrivateIPAddressesSet items[privateIP]  `xml:"privateIpAddressesSet"`
	Ipv6AddressesSet      items[struct{}]   `xml:"ipv6AddressesSet"`
	InterfaceType         string            `xml:"interfaceType"`
}

type eniAttachmentXML struct {
	AttachmentID        string `xml:"attachmentId"`
	InstanceID          string `xml:"instanceId"`
	InstanceOwnerID     string `xml:"instanceOwnerId"`
	DeviceIndex         int    `xml:"deviceIndex"`
	NetworkCardIndex    int    `xml:"networkCardIndex"`
	Status              string `xml:"status"`
	AttachTime          string `xml:"attachTime"`
	DeleteOnTermination bool   `xml:"deleteOnTermination"`
}

type eniAssociation struct {
	PublicIP      string `xml:"publicIp"`
	PublicDNSName string `xml:"publicDnsName"`
	IPOwnerID     string `xml:"ipOwnerId"`
	AllocationID  string `xml:"allocationId,omitempty"`
	AssociationID string `xml:"associationId,omitempty"`
}

func groupIdents(tx *emulator.Tx, ids []string) items[groupIdent] {
	var out []groupIdent
	for _, id := range ids {
		gi := groupIdent{GroupID: id}
		if g := tx.SecurityGroup(id); g != nil {
			gi.GroupName = g.Name
		}
		out = append(out, gi)
	}
	return list(out)
}

func renderENI(tx *emulator.Tx, n *emulator.NetworkInterface) networkInterfaceXML {
	x := networkInterfaceXML{NetworkInterfaceID: n.ID, SubnetID: n.SubnetID, VpcID: n.VPCID, Description: n.Description,
		OwnerID: n.Account, Status: n.Status(), MacAddress: n.MAC, PrivateIPAddress: n.PrivateIP.String(),
		PrivateDNSName: n.PrivateDNSName(), SourceDestCheck: n.SourceDestCheck, GroupSet: groupIdents(tx, n.SecurityGroupIDs),
		TagSet: tagSet(n.Tags), InterfaceType: "interface",
		PrivateIPAddressesSet: list([]privateIP{{PrivateIPAddress: n.PrivateIP.String(), PrivateDNSName: n.PrivateDNSName(), Primary: true}})}
	if s := tx.Subnet(n.SubnetID); s != nil {
		x.AvailabilityZone = s.AZ
	}
	if a := n.Attachment; a != nil {
		x.Attachment = &eniAttachmentXML{AttachmentID: a.ID, InstanceID: a.InstanceID, InstanceOwnerID: n.Account, DeviceIndex: a.DeviceIndex,
			Status: "attached", AttachTime: timestamp(a.AttachTime), DeleteOnTermination: a.DeleteOnTermination}
	}
	if i := tx.Instance(attachedTo(n)); n.Primary && i != nil {
		if pub := tx.PublicIPOf(i); pub.IsValid() {
			ix := renderInstance(tx, i)
			x.Association = &eniAssociation{PublicIP: pub.String(), PublicDNSName: ix.DNSName, IPOwnerID: "amazon"}
			if e := tx.InstanceElasticIP(i.ID); e != nil {
				x.Association.IPOwnerID, x.Association.AllocationID, x.Association.AssociationID = e.Account, e.AllocationID, e.AssociationID
			}
		}
	}
	if e := tx.ENIElasticIP(n.ID); e != nil && !n.Primary {
		b := e.PublicIP.As4()
		x.Association = &eniAssociation{PublicIP: e.PublicIP.String(), IPOwnerID: e.Account, AllocationID: e.AllocationID, AssociationID: e.AssociationID,
			PublicDNSName: fmt.Sprintf("ec2-%d-%d-%d-%d.compute-1.amazonaws.com", b[0], b[1], b[2], b[3])}
	}
	return x
}

func attachedTo(n *emulator.NetworkInterface) string {
	if n.Attachment == nil {
		return ""
	}
	return n.Attachment.InstanceID
}

func attachmentField(f func(a *eniAttachmentXML) string) func(n networkInterfaceXML) []string {
	return func(n networkInterfaceXML) []string {
		if n.Attachment == nil {
			return nil
		}
		return one(f(n.Attachment))
	}
}

var eniFields = fields[networkInterfaceXML]{
	"network-interface-id":             func(n networkInterfaceXML) []string { return one(n.NetworkInterfaceID) },
	"subnet-id":                        func(n networkInterfaceXML) []string { return one(n.SubnetID) },
	"vpc-id":                           func(n networkInterfaceXML) []string { return one(n.VpcID) },
	"availability-zone":                func(n networkInterfaceXML) []string { return one(n.AvailabilityZone) },
	"description":                      func(n networkInterfaceXML) []string { return one(n.Description) },
	"owner-id":                         func(n networkInterfaceXML) []string { return one(n.OwnerID) },
	"status":                           func(n networkInterfaceXML) []string { return one(n.Status) },
	"mac-address":                      func(n networkInterfaceXML) []string { return one(n.MacAddress) },
	"private-ip-address":               func(n networkInterfaceXML) []string { return one(n.PrivateIPAddress) },
	"addresses.private-ip-address":     func(n networkInterfaceXML) []string { return one(n.PrivateIPAddress) },
	"addresses.primary":                func(n networkInterfaceXML) []string { return one("true") },
	"private-dns-name":                 func(n networkInterfaceXML) []string { return one(n.PrivateDNSName) },
	"source-dest-check":                func(n networkInterfaceXML) []string { return one(boolStr(n.SourceDestCheck)) },
	"interface-type":                   func(n networkInterfaceXML) []string { return one(n.InterfaceType) },
	"requester-managed":                func(n networkInterfaceXML) []string { return one(boolStr(n.RequesterManaged)) },
	"attachment.instance-id":           attachmentField(func(a *eniAttachmentXML) string { return a.InstanceID }),
	"attachment.instance-owner-id":     attachmentField(func(a *eniAttachmentXML) string { return a.InstanceOwnerID }),
	"attachment.attachment-id":         attachmentField(func(a *eniAttachmentXML) string { return a.AttachmentID }),
	"attachment.status":                attachmentField(func(a *eniAttachmentXML) string { return a.Status }),
	"attachment.device-index":          attachmentField(func(a *eniAttachmentXML) string { return strconv.Itoa(a.DeviceIndex) }),
	"attachment.network-card-index":    attachmentField(func(a *eniAttachmentXML) string { return "0" }),
	"attachment.attach-time":           attachmentField(func(a *eniAttachmentXML) string { return a.AttachTime }),
	"attachment.delete-on-termination": attachmentField(func(a *eniAttachmentXML) string { return boolStr(a.DeleteOnTermination) }),
	"association.public-ip":            associationField(func(a *eniAssociation) string { return a.PublicIP }),
	"association.allocation-id":        associationField(func(a *eniAssociation) string { return a.AllocationID }),
	"association.association-id":       associationField(func(a *eniAssociation) string { return a.AssociationID }),
	"association.ip-owner-id":          associationField(func(a *eniAssociation) string { return a.IPOwnerID }),
	"association.public-dns-name":      associationField(func(a *eniAssociation) string { return a.PublicDNSName }),
	"addresses.association.public-ip":  associationField(func(a *eniAssociation) string { return a.PublicIP }),
	"addresses.association.owner-id":   associationField(func(a *eniAssociation) string { return a.IPOwnerID }),
	"group-id":                         groupField(func(g groupIdent) string { return g.GroupID }),
	"group-name":                       groupField(func(g groupIdent) string { return g.GroupName }),
}

func associationField(f func(a *eniAssociation) string) func(n networkInterfaceXML) []string {
	return func(n networkInterfaceXML) []string {
		if n.Association == nil {
			return nil
		}
		return one(f(n.Association))
	}
}

func groupField(f func(g groupIdent) string) func(n networkInterfaceXML) []string {
	return func(n networkInterfaceXML) []string { return mapItems(n.GroupSet.Items, f) }
}

type describeNetworkInterfacesResponse struct {
	NetworkInterfaceSet items[networkInterfaceXML] `xml:"networkInterfaceSet"`
	NextToken           string                     `xml:"nextToken,omitempty"`
}

func describeNetworkInterfaces(s *Server, r *request) (response, error) {
	fs, err := r.Params.filters()
	if err != nil {
		return nil, err
	}
	ids := r.Params.list("NetworkInterfaceId")
	resp := &describeNetworkInterfacesResponse{}
	err = s.view(r, func(tx *emulator.Tx) error {
		var all []networkInterfaceXML
		tagsOf := map[string]emulator.Tags{}
		for _, n := range tx.NetworkInterfaces() {
			if r.Caller.Owns(n.Account, n.Region) {
				all = append(all, renderENI(tx, n))
				tagsOf[n.ID] = n.Tags
			}
		}
		sel := selection[networkInterfaceXML]{id: func(n networkInterfaceXML) string { return n.NetworkInterfaceID },
			notFound: func(missing []string) error {
				return emulator.AWSErr("InvalidNetworkInterfaceID.NotFound", "The networkInterface ID '%s' does not exist", joinIDs(missing))
			},
			fields: eniFields, tags: func(n networkInterfaceXML) emulator.Tags { return tagsOf[n.NetworkInterfaceID] }, maxPage: 1000}
		pg, err := sel.page(all, ids, fs, r.Params)
		if err != nil {
			return err
		}
		resp.NetworkInterfaceSet, resp.NextToken = list(pg.Items), pg.Next
		return nil
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

type createNetworkInterfaceResponse struct {
	NetworkInterface networkInterfaceXML `xml:"networkInterface"`
	ClientToken      string              `xml:"clientToken,omitempty"`
}

// createNetworkInterface makes an available interface with one private IPv4 address. What
// spacelab does not model (secondary addresses, IPv6, prefixes, EFA/trunk types) is refused.
func createNetworkInterface(s *Server, r *request) (response, error) {
	p := r.Params
	subnet, err := p.required("SubnetId")
	if err != nil {
		return nil, err
	}
	for _, name := range []string{"SecondaryPrivateIpAddressCount", "Ipv6AddressCount", "Ipv4PrefixCount", "Ipv6PrefixCount"} {
		if n, ok, err := p.integer(name); err != nil {
			return nil, err
		} else if ok && n > 0 {
			return nil, emulator.AWSErr("UnsupportedOperation", "spacelab models one private IPv4 address per interface; %s is not modelled", lowerFirst(name))
		}
	}
	for _, prefix := range []string{"Ipv6Addresses", "Ipv4Prefix", "Ipv6Prefix"} {
		if len(p.indexes(prefix)) > 0 {
			return nil, emulator.AWSErr("UnsupportedOperation", "spacelab models one private IPv4 address per interface; %s is not modelled", lowerFirst(prefix))
		}
	}
	if t := p.get("InterfaceType"); t != "" && t != "interface" {
		switch t {
		case "efa", "efa-only", "trunk", "branch":
			return nil, emulator.AWSErr("UnsupportedOperation", "spacelab models interfaces of type interface only, not %s", t)
		}
		return nil, invalidValue(t, "InterfaceType")
	}
	var o emulator.ENIOptions
	raw := p.get("PrivateIpAddress")
	addrs := p.indexes("PrivateIpAddresses")
	if len(addrs) > 1 {
		return nil, emulator.AWSErr("UnsupportedOperation", "spacelab models one private IPv4 address per interface; secondary private addresses are not modelled")
	}
	if len(addrs) == 1 {
		a := p.get(member("PrivateIpAddresses", addrs[0], "PrivateIpAddress"))
		if raw != "" && a != raw {
			return nil, emulator.AWSErr("InvalidParameterCombination", "The primary private IP address in privateIpAddresses must equal privateIpAddress")
		}
		raw = a
	}
	if raw != "" {
		a, err := netip.ParseAddr(raw)
		if err != nil || !a.Is4() {
			return nil, invalidValue(raw, "PrivateIpAddress")
		}
		o.PrivateIP = a
	}
	o.SecurityGroupIDs = p.list("SecurityGroupId")
	o.Description = p.get("Description")
	if o.Tags, err = p.tagSpecs("network-interface"); err != nil {
		return nil, err
	}
	resp := &createNetworkInterfaceResponse{ClientToken: p.get("ClientToken")}
	err = s.update(r, func(tx *emulator.Tx) error {
		n, err := tx.CreateNetworkInterface(r.Caller, subnet, o)
		if err != nil {
			return err
		}
		resp.NetworkInterface = renderENI(tx, n)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

func deleteNetworkInterface(s *Server, r *request) (response, error) {
	id, err := r.Params.required("NetworkInterfaceId")
	if err != nil {
		return nil, err
	}
	if err := s.update(r, func(tx *emulator.Tx) error { return tx.DeleteNetworkInterface(r.Caller, id) }); err != nil {
		return nil, err
	}
	return ok(), nil
}

type attachNetworkInterfaceResponse struct {
	AttachmentID     string `xml:"attachmentId"`
	NetworkCardIndex int    `xml:"networkCardIndex"`
}

func attachNetworkInterface(s *Server, r *request) (response, error) {
	p := r.Params
	eni, err := p.required("NetworkInterfaceId")
	if err != nil {
		return nil, err
	}
	inst, err := p.required("InstanceId")
	if err != nil {
		return nil, err
	}
	if _, err := p.required("DeviceIndex"); err != nil {
		return nil, err
	}
	idx, _, err := p.integer("DeviceIndex")
	if err != nil {
		return nil, err
	}
	if n, ok, err := p.integer("NetworkCardIndex"); err != nil {
		return nil, err
	} else if ok && n != 0 {
		return nil, emulator.AWSErr("InvalidParameterValue", "Network card index %d is not valid for this instance type; it has one network card (index 0).", n)
	}
	resp := &attachNetworkInterfaceResponse{}
	err = s.update(r, func(tx *emulator.Tx) error {
		resp.AttachmentID, err = tx.AttachNetworkInterface(r.Caller, eni, inst, idx)
		return err
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

func detachNetworkInterface(s *Server, r *request) (response, error) {
	id, err := r.Params.required("AttachmentId")
	if err != nil {
		return nil, err
	}
	if _, err := r.Params.boolean("Force", false); err != nil {
		return nil, err
	}
	if err := s.update(r, func(tx *emulator.Tx) error { return tx.DetachNetworkInterface(r.Caller, id) }); err != nil {
		return nil, err
	}
	return ok(), nil
}

// modifyNetworkInterfaceAttribute changes one attribute, as EC2 takes it: description,
// security groups, source/destination check, or the attachment's DeleteOnTermination.
func modifyNetworkInterfaceAttribute(s *Server, r *request) (response, error) {
	p := r.Params
	id, err := p.required("NetworkInterfaceId")
	if err != nil {
		return nil, err
	}
	var ch emulator.ENIChange
	n := 0
	if p.has("Description.Value") {
		d := p.get("Description.Value")
		ch.Description, n = &d, n+1
	}
	if gs := p.list("SecurityGroupId"); len(gs) > 0 {
		ch.Groups, n = gs, n+1
	}
	if p.has("SourceDestCheck.Value") {
		b, err := p.boolean("SourceDestCheck.Value", true)
		if err != nil {
			return nil, err
		}
		ch.SourceDestCheck, n = &b, n+1
	}
	if p.has("Attachment.AttachmentId") || p.has("Attachment.DeleteOnTermination") {
		ch.AttachmentID = p.get("Attachment.AttachmentId")
		if ch.AttachmentID == "" {
			return nil, emulator.AWSErr("MissingParameter", "The request must contain the parameter attachment.attachmentId")
		}
		b, err := p.boolean("Attachment.DeleteOnTermination", false)
		if err != nil {
			return nil, err
		}
		ch.DeleteOnTermination, n = &b, n+1
	}
	for _, name := range []string{"EnaSrdSpecification.EnaSrdEnabled", "ConnectionTrackingSpecification.TcpEstablishedTimeout",
		"EnablePrimaryIpv6", "AssociatePublicIpAddress", "AssociatedSubnetId.1"} {
		if p.has(name) {
			return nil, emulator.AWSErr("UnsupportedOperation", "spacelab does not model the network interface attribute %s", lowerFirst(name))
		}
	}
	switch {
	case n == 0:
		return nil, emulator.AWSErr("MissingParameter", "The request must contain exactly one attribute to modify")
	case n > 1:
		return nil, emulator.AWSErr("InvalidParameterCombination", "Fields for multiple attribute types specified: only one attribute can be modified at a time")
	}
	if err := s.update(r, func(tx *emulator.Tx) error { return tx.ModifyNetworkInterface(r.Caller, id, ch) }); err != nil {
		return nil, err
	}
	return ok(), nil
}

type describeNetworkInterfaceAttributeResponse struct {
	NetworkInterfaceID string             `xml:"networkInterfaceId"`
	Description        *attrValue         `xml:"description,omitempty"`
	SourceDestCheck    *attrValue         `xml:"sourceDestCheck,omitempty"`
	GroupSet           *items[groupIdent] `xml:"groupSet,omitempty"`
	Attachment         *eniAttachmentXML  `xml:"attachment,omitempty"`
}

func describeNetworkInterfaceAttribute(s *Server, r *request) (response, error) {
	id, err := r.Params.required("NetworkInterfaceId")
	if err != nil {
		return nil, err
	}
	attr, err := r.Params.required("Attribute")
	if err != nil {
		return nil, err
	}
	switch attr {
	case "description", "groupSet", "sourceDestCheck", "attachment":
	case "associatePublicIpAddress":
		return nil, emulator.AWSErr("UnsupportedOperation", "spacelab does not model the network interface attribute associatePublicIpAddress")
	default:
		return nil, invalidValue(attr, "Attribute")
	}
	resp := &describeNetworkInterfaceAttributeResponse{NetworkInterfaceID: id}
	err = s.view(r, func(tx *emulator.Tx) error {
		n := tx.NetworkInterface(id)
		if n == nil || !r.Caller.Owns(n.Account, n.Region) {
			return emulator.AWSErr("InvalidNetworkInterfaceID.NotFound", "The networkInterface ID '%s' does not exist", id)
		}
		x := renderENI(tx, n)
		switch attr {
		case "description":
			resp.Description = &attrValue{Value: n.Description}
		case "sourceDestCheck":
			resp.SourceDestCheck = &attrValue{Value: boolStr(n.SourceDestCheck)}
		case "groupSet":
			resp.GroupSet = &x.GroupSet
		case "attachment":
			resp.Attachment = x.Attachment
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}
