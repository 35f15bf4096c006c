package fakeaws

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/spacelab-dev/spacelab/emulator"
)

func init() {
	register("DescribeSubnets", describeSubnets)
}

// subnetXML is EC2's Subnet shape.
type subnetXML struct {
	SubnetID                      string                       `xml:"subnetId"`
	SubnetArn                     string                       `xml:"subnetArn"`
	State                         string                       `xml:"state"`
	VpcID                         string                       `xml:"vpcId"`
	OwnerID                       string                       `xml:"ownerId"`
	CidrBlock                     string                       `xml:"cidrBlock"`
	AvailableIPAddressCount       int                          `xml:"availableIpAddressCount"`
	AvailabilityZone              string                       `xml:"availabilityZone"`
	AvailabilityZoneID            string                       `xml:"availabilityZoneId"`
	DefaultForAz                  bool                         `xml:"defaultForAz"`
	MapPublicIPOnLaunch           bool                         `xml:"mapPublicIpOnLaunch"`
	AssignIpv6AddressOnCreation   bool                         `xml:"assignIpv6AddressOnCreation"`
	Ipv6CidrBlockAssociationSet   items[subnetIPv6Association] `xml:"ipv6CidrBlockAssociationSet"`
	Ipv6Native                    bool                         `xml:"ipv6Native"`
	EnableDNS64                   bool                         `xml:"enableDns64"`
	PrivateDNSNameOptionsOnLaunch privateDNSOpts               `xml:"privateDnsNameOptionsOnLaunch"`
	TagSet                        items[tagXML]                `xml:"tagSet"`
}

type privateDNSOpts struct {
	HostnameType                    string `xml:"hostnameType"`
	EnableResourceNameDNSARecord    bool   `xml:"enableResourceNameDnsARecord"`
	EnableResourceNameDNSAAAARecord bool   `xml:"enableResourceNameDnsAAAARecord"`
}

// availableAddrs is the subnet size less EC2's five reserved addresses and the addresses of
// live instances in it.
func availableAddrs(tx *emulator.Tx, sn *emulator.Subnet) int {
	n := 1<<(32-sn.CIDR.Bits()) - 5
	for _, i := range tx.Instances() {
		if i.SubnetID == sn.ID && i.State != "terminated" {
			n--
		}
	}
	return n
}

func renderSubnet(tx *emulator.Tx, sn *emulator.Subnet) subnetXML {
	return subnetXML{
		Ipv6CidrBlockAssociationSet: subnetIPv6Set(tx, sn.ID),
		SubnetID:                    sn.ID, SubnetArn: "arn:aws:ec2:" + sn.Region + ":" + sn.Account + ":subnet/" + sn.ID,
		State: "available", VpcID: sn.VPCID, OwnerID: sn.Account, CidrBlock: sn.CIDR.String(),
		AvailableIPAddressCount: availableAddrs(tx, sn), AvailabilityZone: sn.AZ, AvailabilityZoneID: zoneID(sn.AZ),
		MapPublicIPOnLaunch: sn.MapPublicIPOnLaunch, EnableDNS64: sn.EnableDNS64, DefaultForAz: sn.DefaultForAZ,
		PrivateDNSNameOptionsOnLaunch: privateDNSOpts{HostnameType: orString(sn.HostnameType, "ip-name"), EnableResourceNameDNSARecord: sn.ResourceNameARecord},
		TagSet:                        tagSet(sn.Tags),
	}
}

func subnetFields(tx *emulator.Tx) fields[*emulator.Subnet] {
	cidr := func(s *emulator.Subnet) []string { return one(s.CIDR.String()) }
	az := func(s *emulator.Subnet) []string { return one(s.AZ) }
	f := func(b bool) func(*emulator.Subnet) []string {
		return func(*emulator.Subnet) []string { return one(boolStr(b)) }
	}
	return withIPv6Fields(fields[*emulator.Subnet]{
		"subnet-id":                  func(s *emulator.Subnet) []string { return one(s.ID) },
		"vpc-id":                     func(s *emulator.Subnet) []string { return one(s.VPCID) },
		"cidr":                       cidr,
		"cidr-block":                 cidr,
		"cidrBlock":                  cidr,
		"availability-zone":          az,
		"availabilityZone":           az,
		"availability-zone-id":       func(s *emulator.Subnet) []string { return one(zoneID(s.AZ)) },
		"state":                      func(*emulator.Subnet) []string { return one("available") },
		"owner-id":                   func(s *emulator.Subnet) []string { return one(s.Account) },
		"default-for-az":             func(s *emulator.Subnet) []string { return one(boolStr(s.DefaultForAZ)) },
		"defaultForAz":               func(s *emulator.Subnet) []string { return one(boolStr(s.DefaultForAZ)) },
		"map-public-ip-on-launch":    func(s *emulator.Subnet) []string { return one(boolStr(s.MapPublicIPOnLaunch)) },
		"ipv6-native":                f(false),
		"subnet-arn":                 func(s *emulator.Subnet) []string { return one(renderSubnet(tx, s).SubnetArn) },
		"available-ip-address-count": func(s *emulator.Subnet) []string { return one(strconv.Itoa(availableAddrs(tx, s))) },
	}, func(s *emulator.Subnet) []*emulator.IPv6CIDRAssociation { return tx.SubnetIPv6(s.ID) })
}

type describeSubnetsResponse struct {
	SubnetSet items[subnetXML] `xml:"subnetSet"`
	NextToken string           `xml:"nextToken,omitempty"`
}

func callerSubnets(tx *emulator.Tx, c emulator.Caller) []*emulator.Subnet {
	var out []*emulator.Subnet
	for _, s := range tx.Subnets() {
		if s.Account == c.Account && s.Region == c.Region {
			out = append(out, s)
		}
	}
	return out
}

func describeSubnets(s *Server, r *request) (response, error) {
	fs, err := r.Params.filters()
	if err != nil {
		return nil, err
	}
	ids := r.Params.list("SubnetId")
	resp := &describeSubnetsResponse{}
	err = s.view(r, func(tx *emulator.Tx) error {
		sel := selection[*emulator.Subnet]{id: func(s *emulator.Subnet) string { return s.ID },
			notFound: idsNotFound("InvalidSubnetID.NotFound", "subnet"),
			fields:   subnetFields(tx), tags: func(s *emulator.Subnet) emulator.Tags { return s.Tags }, maxPage: 1000}
		pg, err := sel.page(callerSubnets(tx, r.Caller), ids, fs, r.Params)
		if err != nil {
			return err
		}
		for _, sn := range pg.Items {
			resp.SubnetSet.Items = append(resp.SubnetSet.Items, renderSubnet(tx, sn))
		}
		resp.NextToken = pg.Next
		return nil
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

func init() {
	register("CreateSubnet", createSubnet)
	register("DeleteSubnet", deleteSubnet)
}

type createSubnetResponse struct {
	Subnet subnetXML `xml:"subnet"`
}

func createSubnet(s *Server, r *request) (response, error) {
	vpcID, err := r.Params.required("VpcId")
	if err != nil {
		return nil, err
	}
	raw, err := r.Params.required("CidrBlock")
	if err != nil {
		return nil, err
	}
	cidr, err := netip.ParsePrefix(raw)
	if err != nil {
		return nil, emulator.AWSErr("InvalidParameterValue", "Value (%s) for parameter cidrBlock is invalid. This is not a valid CIDR block.", raw)
	}
	az := r.Params.get("AvailabilityZone")
	if id := r.Params.get("AvailabilityZoneId"); id != "" && az == "" {
		if az = zoneByID(r.Caller.Region, id); az == "" {
			return nil, emulator.AWSErr("InvalidParameterValue", "Value (%s) for parameter availabilityZoneId is invalid.", id)
		}
	}
	if az != "" && zoneID(az) == "" || az != "" && !strings.HasPrefix(az, r.Caller.Region) {
		return nil, emulator.ErrZone(r.Caller.Region, az)
	}
	tags, err := r.Params.tagSpecs("subnet")
	if err != nil {
		return nil, err
	}
	if native, err := r.Params.boolean("Ipv6Native", false); err != nil {
		return nil, err
	} else if native {
		return nil, emulator.AWSErr("UnsupportedOperation", "spacelab does not model IPv6-only subnets (Ipv6Native): its data plane carries IPv4 only")
	}
	if r.Params.get("Ipv6IpamPoolId") != "" {
		return nil, emulator.AWSErr("UnsupportedOperation", "spacelab does not model Ipv6IpamPoolId: give the subnet's Ipv6CidrBlock")
	}
	// Ipv6CidrBlock gives the new subnet a /64 of its VPC's IPv6 block, as AssociateSubnetCidrBlock does.
	var ipv6 netip.Prefix
	if raw6 := r.Params.get("Ipv6CidrBlock"); raw6 != "" {
		if ipv6, err = netip.ParsePrefix(raw6); err != nil || !emulator.IsIPv6(ipv6) {
			return nil, emulator.AWSErr("InvalidParameterValue", "Value (%s) for parameter ipv6CidrBlock is invalid. This is not a valid IPv6 CIDR block.", raw6)
		}
	}
	resp := &createSubnetResponse{}
	err = s.update(r, func(tx *emulator.Tx) error {
		sn, err := tx.CreateSubnet(r.Caller, vpcID, cidr, emulator.SubnetOptions{AZ: az, Tags: tags})
		if err != nil {
			return err
		}
		if ipv6.IsValid() {
			if _, err := tx.AssociateSubnetIPv6(r.Caller, sn.ID, ipv6); err != nil {
				return err // the update is undone: no subnet without its asked-for block
			}
		}
		resp.Subnet = renderSubnet(tx, sn)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

func deleteSubnet(s *Server, r *request) (response, error) {
	id, err := r.Params.required("SubnetId")
	if err != nil {
		return nil, err
	}
	if err := s.update(r, func(tx *emulator.Tx) error { return tx.DeleteSubnet(r.Caller, id) }); err != nil {
		return nil, err
	}
	return ok(), nil
}

func orString(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
