package fakeaws

import (
	"net/netip"

	"github.com/spacelab-dev/spacelab/emulator"
)

func init() {
	register("AllocateAddress", allocateAddress)
	register("DescribeAddresses", describeAddresses)
	register("AssociateAddress", associateAddress)
	register("DisassociateAddress", disassociateAddress)
	register("ReleaseAddress", releaseAddress)
	register("DescribeAddressesAttribute", describeAddressesAttribute)
}

// addressXML is EC2's Address shape (domain vpc).
type addressXML struct {
	PublicIP                string        `xml:"publicIp"`
	AllocationID            string        `xml:"allocationId"`
	Domain                  string        `xml:"domain"`
	AssociationID           string        `xml:"associationId,omitempty"`
	InstanceID              string        `xml:"instanceId,omitempty"`
	NetworkInterfaceID      string        `xml:"networkInterfaceId,omitempty"`
	NetworkInterfaceOwnerID string        `xml:"networkInterfaceOwnerId,omitempty"`
	PrivateIPAddress        string        `xml:"privateIpAddress,omitempty"`
	PublicIpv4Pool          string        `xml:"publicIpv4Pool"`
	NetworkBorderGroup      string        `xml:"networkBorderGroup"`
	TagSet                  items[tagXML] `xml:"tagSet"`
}

func renderAddress(tx *emulator.Tx, e *emulator.ElasticIP) addressXML {
	x := addressXML{PublicIP: e.PublicIP.String(), AllocationID: e.AllocationID, Domain: "vpc", AssociationID: e.AssociationID,
		PublicIpv4Pool: "amazon", NetworkBorderGroup: e.Region, TagSet: tagSet(e.Tags)}
	if i := tx.Instance(e.InstanceID); i != nil {
		x.InstanceID, x.NetworkInterfaceID, x.NetworkInterfaceOwnerID, x.PrivateIPAddress = i.ID, i.ENIID, i.Account, i.PrivateIP.String()
	}
	if n := tx.NetworkInterface(e.NetworkInterfaceID); n != nil {
		x.NetworkInterfaceID, x.NetworkInterfaceOwnerID, x.PrivateIPAddress = n.ID, n.Account, n.PrivateIP.String()
		if n.Attachment != nil {
			x.InstanceID = n.Attachment.InstanceID
		}
	}
	if n := tx.NatGateway(e.NatGatewayID); n != nil {
		x.NetworkInterfaceID, x.NetworkInterfaceOwnerID, x.PrivateIPAddress = n.ENIID, n.Account, n.PrivateIP.String()
	}
	return x
}

type allocateAddressResponse struct {
	PublicIP           string `xml:"publicIp"`
	AllocationID       string `xml:"allocationId"`
	Domain             string `xml:"domain"`
	PublicIpv4Pool     string `xml:"publicIpv4Pool"`
	NetworkBorderGroup string `xml:"networkBorderGroup"`
}

func allocateAddress(s *Server, r *request) (response, error) {
	switch d := r.Params.get("Domain"); d {
	case "", "vpc":
	case "standard":
		return nil, emulator.AWSErr("InvalidParameterValue", "EC2-Classic is retired: Elastic IP addresses have domain vpc")
	default:
		return nil, invalidValue(d, "Domain")
	}
	for _, name := range []string{"Address", "PublicIpv4Pool", "CustomerOwnedIpv4Pool", "IpamPoolId"} {
		if v := r.Params.get(name); v != "" && !(name == "PublicIpv4Pool" && v == "amazon") {
			return nil, emulator.AWSErr("UnsupportedOperation", "spacelab allocates Elastic IPs from Amazon's pool only; %s is not modelled", lowerFirst(name))
		}
	}
	if g := r.Params.get("NetworkBorderGroup"); g != "" && g != r.Caller.Region {
		return nil, emulator.AWSErr("InvalidParameterValue", "Invalid network border group '%s'", g)
	}
	tags, err := r.Params.tagSpecs("elastic-ip")
	if err != nil {
		return nil, err
	}
	resp := &allocateAddressResponse{}
	err = s.update(r, func(tx *emulator.Tx) error {
		e, err := tx.AllocateAddress(r.Caller, tags)
		if err != nil {
			return err
		}
		*resp = allocateAddressResponse{PublicIP: e.PublicIP.String(), AllocationID: e.AllocationID, Domain: "vpc",
			PublicIpv4Pool: "amazon", NetworkBorderGroup: e.Region}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

type describeAddressesResponse struct {
	AddressesSet items[addressXML] `xml:"addressesSet"`
}

var addressFields = fields[addressXML]{
	"allocation-id":              func(x addressXML) []string { return one(x.AllocationID) },
	"association-id":             func(x addressXML) []string { return one(x.AssociationID) },
	"domain":                     func(x addressXML) []string { return one(x.Domain) },
	"instance-id":                func(x addressXML) []string { return one(x.InstanceID) },
	"network-interface-id":       func(x addressXML) []string { return one(x.NetworkInterfaceID) },
	"network-interface-owner-id": func(x addressXML) []string { return one(x.NetworkInterfaceOwnerID) },
	"private-ip-address":         func(x addressXML) []string { return one(x.PrivateIPAddress) },
	"public-ip":                  func(x addressXML) []string { return one(x.PublicIP) },
	"network-border-group":       func(x addressXML) []string { return one(x.NetworkBorderGroup) },
}

// describeAddresses lists the caller's Elastic IPs, by allocation id or public IP (an unknown
// one of either is an error) and by filter. EC2 does not paginate it.
func describeAddresses(s *Server, r *request) (response, error) {
	fs, err := r.Params.filters()
	if err != nil {
		return nil, err
	}
	ids, ips := r.Params.list("AllocationId"), r.Params.list("PublicIp")
	resp := &describeAddressesResponse{}
	err = s.view(r, func(tx *emulator.Tx) error {
		var all []addressXML
		tagsOf := map[string]emulator.Tags{}
		for _, e := range tx.ElasticIPs() {
			if r.Caller.Owns(e.Account, e.Region) {
				all = append(all, renderAddress(tx, e))
				tagsOf[e.AllocationID] = e.Tags
			}
		}
		kept, missing := pickIDs(all, func(x addressXML) string { return x.AllocationID }, ids)
		if len(missing) > 0 {
			return notFound("InvalidAllocationID.NotFound", "allocation", missing)
		}
		kept, missingIPs := pickIDs(kept, func(x addressXML) string { return x.PublicIP }, ips)
		if len(missingIPs) > 0 {
			return emulator.AWSErr("InvalidAddress.NotFound", "Address '%s' not found.", joinIDs(missingIPs))
		}
		kept, err := applyFilters(kept, fs, addressFields, func(x addressXML) emulator.Tags { return tagsOf[x.AllocationID] })
		if err != nil {
			return err
		}
		resp.AddressesSet = list(kept)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// allocationOf reads AllocationId, or the deprecated PublicIp naming an address of the caller.
func allocationOf(tx *emulator.Tx, r *request) (string, error) {
	if id := r.Params.get("AllocationId"); id != "" {
		return id, nil
	}
	if ip := r.Params.get("PublicIp"); ip != "" {
		e, err := tx.EIPByPublicIP(r.Caller, ip)
		if err != nil {
			return "", err
		}
		return e.AllocationID, nil
	}
	return "", emulator.AWSErr("MissingParameter", "Either public IP or allocation id must be specified")
}

type associateAddressResponse struct {
	AssociationID string `xml:"associationId"`
}

func associateAddress(s *Server, r *request) (response, error) {
	reassoc, err := r.Params.boolean("AllowReassociation", false)
	if err != nil {
		return nil, err
	}
	inst, eni, priv := r.Params.get("InstanceId"), r.Params.get("NetworkInterfaceId"), r.Params.get("PrivateIpAddress")
	if inst == "" && eni == "" {
		return nil, emulator.AWSErr("MissingParameter", "Either instance ID or network interface id must be specified")
	}
	resp := &associateAddressResponse{}
	err = s.update(r, func(tx *emulator.Tx) error {
		alloc, err := allocationOf(tx, r)
		if err != nil {
			return err
		}
		if n := tx.NetworkInterface(eni); n != nil && !n.Primary {
			// An instance's other interface: the address follows the interface.
			if inst != "" && (n.Attachment == nil || n.Attachment.InstanceID != inst) {
				return emulator.AWSErr("InvalidNetworkInterfaceID.NotFound", "The networkInterface ID '%s' does not exist", eni)
			}
			var a netip.Addr
			if priv != "" {
				if a, err = netip.ParseAddr(priv); err != nil || !a.Is4() {
					return emulator.AWSErr("InvalidParameterValue", "Value (%s) for parameter privateIpAddress is invalid. It is not assigned to the network interface %s.", priv, eni)
				}
			}
			resp.AssociationID, err = tx.AssociateAddressENI(r.Caller, alloc, eni, a, reassoc)
			return err
		}
		if eni != "" {
			var found *emulator.Instance
			for _, i := range tx.Instances() {
				if i.ENIID == eni && i.State != "terminated" && r.Caller.Owns(i.Account, i.Region) {
					found = i
				}
			}
			if found == nil || (inst != "" && inst != found.ID) {
				return emulator.AWSErr("InvalidNetworkInterfaceID.NotFound", "The networkInterface ID '%s' does not exist", eni)
			}
			inst = found.ID
		}
		if priv != "" {
			i := tx.Instance(inst)
			if a, err := netip.ParseAddr(priv); i != nil && (err != nil || a != i.PrivateIP) {
				return emulator.AWSErr("InvalidParameterValue", "Value (%s) for parameter privateIpAddress is invalid. It is not assigned to the network interface %s.", priv, i.ENIID)
			}
		}
		resp.AssociationID, err = tx.AssociateAddress(r.Caller, alloc, inst, reassoc)
		return err
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

func disassociateAddress(s *Server, r *request) (response, error) {
	err := s.update(r, func(tx *emulator.Tx) error {
		assoc := r.Params.get("AssociationId")
		if assoc == "" {
			ip := r.Params.get("PublicIp")
			if ip == "" {
				return emulator.AWSErr("MissingParameter", "Either public IP or association id must be specified")
			}
			e, err := tx.EIPByPublicIP(r.Caller, ip)
			if err != nil {
				return err
			}
			if e.AssociationID == "" {
				return emulator.AWSErr("InvalidAssociationID.NotFound", "The address %s is not associated", ip)
			}
			assoc = e.AssociationID
		}
		return tx.DisassociateAddress(r.Caller, assoc)
	})
	if err != nil {
		return nil, err
	}
	return ok(), nil
}

func releaseAddress(s *Server, r *request) (response, error) {
	err := s.update(r, func(tx *emulator.Tx) error {
		alloc, err := allocationOf(tx, r)
		if err != nil {
			return err
		}
		return tx.ReleaseAddress(r.Caller, alloc)
	})
	if err != nil {
		return nil, err
	}
	return ok(), nil
}

type addressAttributeXML struct {
	PublicIP     string `xml:"publicIp"`
	AllocationID string `xml:"allocationId"`
}

type describeAddressesAttributeResponse struct {
	AddressSet items[addressAttributeXML] `xml:"addressSet"`
}

// describeAddressesAttribute answers for the reverse DNS (domain-name) attribute: each address
// without a PTR record, since spacelab publishes none for Elastic IPs.
func describeAddressesAttribute(s *Server, r *request) (response, error) {
	if a := r.Params.get("Attribute"); a != "" && a != "domain-name" {
		return nil, invalidValue(a, "Attribute")
	}
	ids := r.Params.list("AllocationId")
	resp := &describeAddressesAttributeResponse{}
	err := s.view(r, func(tx *emulator.Tx) error {
		out := []addressAttributeXML{}
		for _, id := range ids {
			e := tx.ElasticIP(id)
			if e == nil || !r.Caller.Owns(e.Account, e.Region) {
				return notFound("InvalidAllocationID.NotFound", "allocation", []string{id})
			}
			out = append(out, addressAttributeXML{PublicIP: e.PublicIP.String(), AllocationID: e.AllocationID})
		}
		if len(ids) == 0 {
			for _, e := range tx.ElasticIPs() {
				if r.Caller.Owns(e.Account, e.Region) {
					out = append(out, addressAttributeXML{PublicIP: e.PublicIP.String(), AllocationID: e.AllocationID})
				}
			}
		}
		resp.AddressSet = list(out)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}
