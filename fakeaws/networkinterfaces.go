package fakeaws

import (
	"github.com/spacelab-dev/spacelab/emulator"
)

func init() {
	register("DescribeNetworkInterfaces", describeNetworkInterfaces)
}

// networkInterfaceXML is EC2's NetworkInterface shape, as DescribeNetworkInterfaces lists it.
// Every live instance has its primary interface (device 0), deleted with the instance.
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

func renderInstanceENI(tx *emulator.Tx, i *emulator.Instance) networkInterfaceXML {
	x := renderInstance(tx, i)
	e := x.NetworkInterfaceSet.Items[0]
	n := networkInterfaceXML{NetworkInterfaceID: e.NetworkInterfaceID, SubnetID: e.SubnetID, VpcID: e.VpcID,
		AvailabilityZone: x.Placement.AvailabilityZone, OwnerID: e.OwnerID, Status: e.Status, MacAddress: e.MacAddress,
		PrivateIPAddress: e.PrivateIPAddress, PrivateDNSName: e.PrivateDNSName, SourceDestCheck: e.SourceDestCheck,
		GroupSet: e.GroupSet, PrivateIPAddressesSet: e.PrivateIPAddressesSet, InterfaceType: e.InterfaceType,
		Attachment: &eniAttachmentXML{AttachmentID: e.Attachment.AttachmentID, InstanceID: i.ID, InstanceOwnerID: i.Account,
			Status: e.Attachment.Status, AttachTime: e.Attachment.AttachTime, DeleteOnTermination: e.Attachment.DeleteOnTermination}}
	if x.IPAddress != "" {
		n.Association = &eniAssociation{PublicIP: x.IPAddress, PublicDNSName: x.DNSName, IPOwnerID: "amazon"}
		if e := tx.InstanceElasticIP(i.ID); e != nil {
			n.Association.IPOwnerID, n.Association.AllocationID, n.Association.AssociationID = e.Account, e.AllocationID, e.AssociationID
		}
	}
	return n
}

var eniFields = fields[networkInterfaceXML]{
	"network-interface-id": func(n networkInterfaceXML) []string { return one(n.NetworkInterfaceID) },
	"subnet-id":            func(n networkInterfaceXML) []string { return one(n.SubnetID) },
	"vpc-id":               func(n networkInterfaceXML) []string { return one(n.VpcID) },
	"availability-zone":    func(n networkInterfaceXML) []string { return one(n.AvailabilityZone) },
	"description":          func(n networkInterfaceXML) []string { return one(n.Description) },
	"owner-id":             func(n networkInterfaceXML) []string { return one(n.OwnerID) },
	"status":               func(n networkInterfaceXML) []string { return one(n.Status) },
	"mac-address":          func(n networkInterfaceXML) []string { return one(n.MacAddress) },
	"private-ip-address":   func(n networkInterfaceXML) []string { return one(n.PrivateIPAddress) },
	"private-dns-name":     func(n networkInterfaceXML) []string { return one(n.PrivateDNSName) },
	"source-dest-check":    func(n networkInterfaceXML) []string { return one(boolStr(n.SourceDestCheck)) },
	"interface-type":       func(n networkInterfaceXML) []string { return one(n.InterfaceType) },
	"requester-managed":    func(n networkInterfaceXML) []string { return one(boolStr(n.RequesterManaged)) },
	"group-id": func(n networkInterfaceXML) []string {
		return mapItems(n.GroupSet.Items, func(g groupIdent) string { return g.GroupID })
	},
	"group-name": func(n networkInterfaceXML) []string {
		return mapItems(n.GroupSet.Items, func(g groupIdent) string { return g.GroupName })
	},
	"attachment.instance-id": func(n networkInterfaceXML) []string {
		if n.Attachment == nil {
			return nil
		}
		return one(n.Attachment.InstanceID)
	},
	"attachment.attachment-id": func(n networkInterfaceXML) []string {
		if n.Attachment == nil {
			return nil
		}
		return one(n.Attachment.AttachmentID)
	},
	"attachment.status": func(n networkInterfaceXML) []string {
		if n.Attachment == nil {
			return nil
		}
		return one(n.Attachment.Status)
	},
	"association.public-ip": func(n networkInterfaceXML) []string {
		if n.Association == nil {
			return nil
		}
		return one(n.Association.PublicIP)
	},
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
		for _, i := range tx.Instances() {
			if i.State != "terminated" && r.Caller.Owns(i.Account, i.Region) {
				all = append(all, renderInstanceENI(tx, i))
			}
		}
		sel := selection[networkInterfaceXML]{id: func(n networkInterfaceXML) string { return n.NetworkInterfaceID },
			notFound: func(missing []string) error {
				return emulator.AWSErr("InvalidNetworkInterfaceID.NotFound", "The networkInterface ID '%s' does not exist", joinIDs(missing))
			},
			fields: eniFields, tags: func(networkInterfaceXML) emulator.Tags { return nil }, maxPage: 1000}
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
