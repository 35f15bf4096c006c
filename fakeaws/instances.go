package fakeaws

import (
	"encoding/base64"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/spacelab-dev/spacelab/emulator"
)

func init() {
	register("DescribeInstances", describeInstances)
}

// instanceXML is EC2's Instance shape (the parts spacelab models, plus the constant fields
// tools and waiters read).
type instanceXML struct {
	InstanceID          string              `xml:"instanceId"`
	ImageID             string              `xml:"imageId"`
	InstanceState       instanceState       `xml:"instanceState"`
	PrivateDNSName      string              `xml:"privateDnsName"`
	DNSName             string              `xml:"dnsName"`
	Reason              string              `xml:"reason"`
	KeyName             string              `xml:"keyName,omitempty"`
	AmiLaunchIndex      int                 `xml:"amiLaunchIndex"`
	InstanceType        string              `xml:"instanceType"`
	LaunchTime          string              `xml:"launchTime"`
	Placement           placement           `xml:"placement"`
	Monitoring          stateXML            `xml:"monitoring"`
	SubnetID            string              `xml:"subnetId,omitempty"`
	VpcID               string              `xml:"vpcId,omitempty"`
	PrivateIPAddress    string              `xml:"privateIpAddress,omitempty"`
	IPAddress           string              `xml:"ipAddress,omitempty"`
	SourceDestCheck     bool                `xml:"sourceDestCheck"`
	GroupSet            items[groupIdent]   `xml:"groupSet"`
	Architecture        string              `xml:"architecture"`
	RootDeviceType      string              `xml:"rootDeviceType"`
	RootDeviceName      string              `xml:"rootDeviceName"`
	VirtualizationType  string              `xml:"virtualizationType"`
	ClientToken         string              `xml:"clientToken"`
	TagSet              items[tagXML]       `xml:"tagSet"`
	Hypervisor          string              `xml:"hypervisor"`
	NetworkInterfaceSet items[eniXML]       `xml:"networkInterfaceSet,omitempty"`
	EbsOptimized        bool                `xml:"ebsOptimized"`
	EnaSupport          bool                `xml:"enaSupport"`
	MetadataOptions     *metadataOptionsXML `xml:"metadataOptions,omitempty"`
	BlockDeviceMapping  items[instanceBDM]  `xml:"blockDeviceMapping"`
	CPUOptions          cpuOptionsXML       `xml:"cpuOptions"`
	HibernationOptions  hibernationXML      `xml:"hibernationOptions"`
}

type metadataOptionsXML struct {
	State                   string `xml:"state"`
	HTTPTokens              string `xml:"httpTokens"`
	HTTPPutResponseHopLimit int    `xml:"httpPutResponseHopLimit"`
	HTTPEndpoint            string `xml:"httpEndpoint"`
	HTTPProtocolIpv6        string `xml:"httpProtocolIpv6"`
	InstanceMetadataTags    string `xml:"instanceMetadataTags"`
}

type cpuOptionsXML struct {
	CoreCount      int `xml:"coreCount"`
	ThreadsPerCore int `xml:"threadsPerCore"`
}

type instanceState struct {
	Code int    `xml:"code"`
	Name string `xml:"name"`
}

type placement struct {
	AvailabilityZone string `xml:"availabilityZone"`
	GroupName        string `xml:"groupName"`
	Tenancy          string `xml:"tenancy"`
}

type groupIdent struct {
	GroupID   string `xml:"groupId"`
	GroupName string `xml:"groupName"`
}

type eniXML struct {
	NetworkInterfaceID    string            `xml:"networkInterfaceId"`
	SubnetID              string            `xml:"subnetId"`
	VpcID                 string            `xml:"vpcId"`
	Description           string            `xml:"description"`
	OwnerID               string            `xml:"ownerId"`
	Status                string            `xml:"status"`
	MacAddress            string            `xml:"macAddress"`
	PrivateIPAddress      string            `xml:"privateIpAddress"`
	PrivateDNSName        string            `xml:"privateDnsName"`
	SourceDestCheck       bool              `xml:"sourceDestCheck"`
	GroupSet              items[groupIdent] `xml:"groupSet"`
	Attachment            eniAttachment     `xml:"attachment"`
	PrivateIPAddressesSet items[privateIP]  `xml:"privateIpAddressesSet"`
	InterfaceType         string            `xml:"interfaceType"`
}

type eniAttachment struct {
	AttachmentID        string `xml:"attachmentId"`
	DeviceIndex         int    `xml:"deviceIndex"`
	Status              string `xml:"status"`
	AttachTime          string `xml:"attachTime"`
	DeleteOnTermination bool   `xml:"deleteOnTermination"`
}

type privateIP struct {
	PrivateIPAddress string `xml:"privateIpAddress"`
	PrivateDNSName   string `xml:"privateDnsName"`
	Primary          bool   `xml:"primary"`
}

// stateCodes are EC2's instance state codes.
var stateCodes = map[string]int{"pending": 0, "running": 16, "shutting-down": 32, "terminated": 48, "stopping": 64, "stopped": 80}

func renderInstance(tx *emulator.Tx, i *emulator.Instance) instanceXML {
	x := instanceXML{
		InstanceID: i.ID, ImageID: i.ImageID, InstanceState: instanceState{Code: stateCodes[i.State], Name: i.State},
		KeyName: i.KeyName, InstanceType: i.InstanceType, LaunchTime: timestamp(i.LaunchTime),
		Monitoring: stateXML{map[bool]string{true: "enabled", false: "disabled"}[i.Attributes.Monitoring]}, Architecture: "x86_64", RootDeviceType: "ebs", RootDeviceName: rootDevice(i),
		VirtualizationType: "hvm", ClientToken: i.ClientToken, AmiLaunchIndex: i.LaunchIndex, TagSet: tagSet(i.Tags), Hypervisor: "xen",
		Placement: placement{Tenancy: "default"}, EbsOptimized: i.Attributes.EBSOptimized,
		MetadataOptions: &metadataOptionsXML{State: "applied", HTTPTokens: i.Attributes.HTTPTokens, HTTPPutResponseHopLimit: i.Attributes.HopLimit,
			HTTPEndpoint: i.Attributes.HTTPEndpoint, HTTPProtocolIpv6: "disabled", InstanceMetadataTags: "disabled"},
		BlockDeviceMapping: list(rootVolume(i)), CPUOptions: cpuOptionsXML{CoreCount: 1, ThreadsPerCore: 2},
		EnaSupport: true,
	}
	x.HibernationOptions.Configured = i.Attributes.Hibernation
	if t, ok := findInstanceType(i.InstanceType); ok {
		x.Architecture = t.arch
		x.CPUOptions = cpuOptionsXML{CoreCount: t.cores, ThreadsPerCore: t.vcpus / t.cores}
	}
	if sn := tx.Subnet(i.SubnetID); sn != nil {
		x.Placement.AvailabilityZone = sn.AZ
	}
	if i.State == "terminated" {
		// A terminated instance has left its network.
		x.Reason = "User initiated"
		return x
	}
	x.PrivateDNSName, x.SubnetID, x.VpcID, x.PrivateIPAddress, x.SourceDestCheck = i.PrivateDNSName(), i.SubnetID, i.VPCID, i.PrivateIP.String(), i.Attributes.SourceDestCheck
	if pub := tx.PublicIPOf(i); pub.IsValid() {
		b := pub.As4()
		x.IPAddress = pub.String()
		x.DNSName = fmt.Sprintf("ec2-%d-%d-%d-%d.compute-1.amazonaws.com", b[0], b[1], b[2], b[3])
	}
	for _, id := range i.SecurityGroupIDs {
		gi := groupIdent{GroupID: id}
		if g := tx.SecurityGroup(id); g != nil {
			gi.GroupName = g.Name
		}
		x.GroupSet.Items = append(x.GroupSet.Items, gi)
	}
	for _, n := range tx.InstanceInterfaces(i.ID) {
		a := n.Attachment
		x.NetworkInterfaceSet.Items = append(x.NetworkInterfaceSet.Items, eniXML{
			NetworkInterfaceID: n.ID, SubnetID: n.SubnetID, VpcID: n.VPCID, Description: n.Description, OwnerID: n.Account, Status: n.Status(),
			MacAddress: n.MAC, PrivateIPAddress: n.PrivateIP.String(), PrivateDNSName: n.PrivateDNSName(), SourceDestCheck: n.SourceDestCheck,
			GroupSet: groupIdents(tx, n.SecurityGroupIDs),
			Attachment: eniAttachment{AttachmentID: a.ID, DeviceIndex: a.DeviceIndex, Status: "attached", AttachTime: timestamp(a.AttachTime),
				DeleteOnTermination: a.DeleteOnTermination},
			PrivateIPAddressesSet: list([]privateIP{{PrivateIPAddress: n.PrivateIP.String(), PrivateDNSName: n.PrivateDNSName(), Primary: true}}),
			InterfaceType:         "interface",
		})
	}
	return x
}

// reservationXML is one RunInstances call's worth of instances.
type reservationXML struct {
	ReservationID string             `xml:"reservationId"`
	OwnerID       string             `xml:"ownerId"`
	GroupSet      items[groupIdent]  `xml:"groupSet"`
	InstancesSet  items[instanceXML] `xml:"instancesSet"`
}

type describeInstancesResponse struct {
	ReservationSet items[reservationXML] `xml:"reservationSet"`
	NextToken      string                `xml:"nextToken,omitempty"`
}

// reservations groups instances by reservation, in order of first appearance.
func reservations(tx *emulator.Tx, insts []*emulator.Instance) []reservationXML {
	var out []reservationXML
	index := map[string]int{}
	for _, i := range insts {
		k, ok := index[i.ReservationID]
		if !ok {
			out = append(out, reservationXML{ReservationID: i.ReservationID, OwnerID: i.Account})
			k = len(out) - 1
			index[i.ReservationID] = k
		}
		out[k].InstancesSet.Items = append(out[k].InstancesSet.Items, renderInstance(tx, i))
	}
	return out
}

func instanceFields(tx *emulator.Tx) fields[*emulator.Instance] {
	groups := func(f func(*emulator.SecurityGroup) string) func(*emulator.Instance) []string {
		return func(i *emulator.Instance) []string {
			var out []string
			for _, id := range i.SecurityGroupIDs {
				if g := tx.SecurityGroup(id); g != nil {
					out = append(out, f(g))
				}
			}
			return out
		}
	}
	live := func(f func(*emulator.Instance) string) func(*emulator.Instance) []string {
		return func(i *emulator.Instance) []string {
			if i.State == "terminated" {
				return nil
			}
			return one(f(i))
		}
	}
	gid := groups(func(g *emulator.SecurityGroup) string { return g.ID })
	gname := groups(func(g *emulator.SecurityGroup) string { return g.Name })
	return fields[*emulator.Instance]{
		"instance-id":                            func(i *emulator.Instance) []string { return one(i.ID) },
		"instance-state-name":                    func(i *emulator.Instance) []string { return one(i.State) },
		"instance-state-code":                    func(i *emulator.Instance) []string { return one(strconv.Itoa(stateCodes[i.State])) },
		"instance-type":                          func(i *emulator.Instance) []string { return one(i.InstanceType) },
		"image-id":                               func(i *emulator.Instance) []string { return one(i.ImageID) },
		"key-name":                               func(i *emulator.Instance) []string { return nonEmpty(i.KeyName) },
		"reservation-id":                         func(i *emulator.Instance) []string { return one(i.ReservationID) },
		"owner-id":                               func(i *emulator.Instance) []string { return one(i.Account) },
		"client-token":                           func(i *emulator.Instance) []string { return nonEmpty(i.ClientToken) },
		"vpc-id":                                 live(func(i *emulator.Instance) string { return i.VPCID }),
		"subnet-id":                              live(func(i *emulator.Instance) string { return i.SubnetID }),
		"private-ip-address":                     live(func(i *emulator.Instance) string { return i.PrivateIP.String() }),
		"private-dns-name":                       live(func(i *emulator.Instance) string { return i.PrivateDNSName() }),
		"network-interface.network-interface-id": live(func(i *emulator.Instance) string { return i.ENIID }),
		"network-interface.addresses.private-ip-address": live(func(i *emulator.Instance) string { return i.PrivateIP.String() }),
		"availability-zone": func(i *emulator.Instance) []string {
			if sn := tx.Subnet(i.SubnetID); sn != nil {
				return one(sn.AZ)
			}
			return nil
		},
		"instance.group-id":   gid,
		"instance.group-name": gname,
		"group-id":            gid,
		"group-name":          gname,
	}
}

func callerInstances(tx *emulator.Tx, c emulator.Caller) []*emulator.Instance {
	var out []*emulator.Instance
	for _, i := range tx.Instances() {
		if i.Account == c.Account && i.Region == c.Region {
			out = append(out, i)
		}
	}
	return out
}

func describeInstances(s *Server, r *request) (response, error) {
	fs, err := r.Params.filters()
	if err != nil {
		return nil, err
	}
	ids := r.Params.list("InstanceId")
	if len(ids) > 0 && r.Params.has("MaxResults") {
		return nil, emulator.AWSErr("InvalidParameterCombination", "The parameter instancesSet cannot be used with the parameter maxResults")
	}
	resp := &describeInstancesResponse{}
	err = s.view(r, func(tx *emulator.Tx) error {
		sel := selection[*emulator.Instance]{id: func(i *emulator.Instance) string { return i.ID },
			notFound: idsNotFound("InvalidInstanceID.NotFound", "instance"),
			fields:   instanceFields(tx), tags: func(i *emulator.Instance) emulator.Tags { return i.Tags }, maxPage: 1000}
		pg, err := sel.page(callerInstances(tx, r.Caller), ids, fs, r.Params)
		if err != nil {
			return err
		}
		resp.ReservationSet, resp.NextToken = list(reservations(tx, pg.Items)), pg.Next
		return nil
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

func init() {
	register("RunInstances", runInstances)
	register("TerminateInstances", terminateInstances)
}

// fingerprint identifies a request by its parameters, without the ones that do not change
// what it asks for (ClientToken, DryRun).
func fingerprint(p params) string {
	keys := make([]string, 0, len(p.v))
	for k := range p.v {
		if k != "ClientToken" && k != "DryRun" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k + "=" + strings.Join(p.v[k], ",") + "\n")
	}
	return b.String()
}

func runInstances(s *Server, r *request) (response, error) {
	p := r.Params
	for _, name := range []string{"Ipv6AddressCount", "Ipv6Address.", "NetworkInterface.1.Ipv6AddressCount", "NetworkInterface.1.Ipv6Addresses.", "EnablePrimaryIpv6", "NetworkInterface.1.PrimaryIpv6"} {
		for k := range p.v {
			if k == name || strings.HasSuffix(name, ".") && strings.HasPrefix(k, name) {
				return nil, emulator.AWSErr("UnsupportedOperation", "spacelab gives instances no IPv6 addresses (%s): its data plane carries IPv4 only; IPv6 blocks, routes and rules are stored and described", strings.TrimSuffix(name, "."))
			}
		}
	}
	if err := refuseUnknownParams(p, "RunInstances", runInstancesParams); err != nil {
		return nil, err
	}
	attrs, err := launchAttributes(p)
	if err != nil {
		return nil, err
	}
	min, minSet, err := p.integer("MinCount")
	if err != nil {
		return nil, err
	}
	max, maxSet, err := p.integer("MaxCount")
	if err != nil {
		return nil, err
	}
	if !minSet || !maxSet {
		return nil, emulator.AWSErr("MissingParameter", "The request must contain the parameter %s", map[bool]string{true: "maxCount", false: "minCount"}[minSet])
	}
	subnet := p.get("SubnetId")
	privateIP := p.get("PrivateIpAddress")
	groupIDs := p.list("SecurityGroupId")
	publicIP, publicIPSet := false, false
	// One network interface spec (device 0) is what the CLI sends for --associate-public-ip-address:
	// it moves the subnet and groups into it.
	if idx := p.indexes("NetworkInterface"); len(idx) > 0 {
		if len(idx) > 1 || idx[0] != 1 || (p.get("NetworkInterface.1.DeviceIndex") != "" && p.get("NetworkInterface.1.DeviceIndex") != "0") {
			return nil, emulator.AWSErr("UnsupportedOperation", "spacelab models one network interface per instance (device index 0)")
		}
		if p.get("NetworkInterface.1.NetworkInterfaceId") != "" {
			return nil, emulator.AWSErr("UnsupportedOperation", "spacelab does not attach existing network interfaces")
		}
		if v := p.get("NetworkInterface.1.SubnetId"); v != "" {
			if subnet != "" {
				return nil, emulator.AWSErr("InvalidParameterCombination", "Network interfaces and an instance-level subnet ID may not be specified on the same request")
			}
			subnet = v
		}
		if v := p.get("NetworkInterface.1.PrivateIpAddress"); v != "" {
			privateIP = v
		}
		groupIDs = append(groupIDs, p.list("NetworkInterface.1.SecurityGroupId")...)
		if publicIP, err = p.boolean("NetworkInterface.1.AssociatePublicIpAddress", false); err != nil {
			return nil, err
		}
		publicIPSet = p.has("NetworkInterface.1.AssociatePublicIpAddress")
	}
	if subnet == "" {
		// A launch that names no subnet lands in the default subnet of its zone.
		_ = s.World.View(func(tx *emulator.Tx) error {
			if sn := tx.DefaultSubnet(r.Caller, p.get("Placement.AvailabilityZone")); sn != nil {
				subnet = sn.ID
			}
			return nil
		})
	}
	if subnet == "" {
		return nil, emulator.AWSErr("VPCIdNotSpecified", "No default VPC for this user. GroupName is only supported for EC2-Classic and default VPC.")
	}
	opts := emulator.InstanceOptions{ImageID: p.get("ImageId"), InstanceType: p.get("InstanceType"), KeyName: p.get("KeyName"),
		ClientToken: p.get("ClientToken"), SecurityGroupIDs: groupIDs, PublicIP: publicIP, Attributes: attrs}
	if opts.InstanceType != "" {
		if _, ok := findInstanceType(opts.InstanceType); !ok {
			return nil, emulator.AWSErr("InvalidParameterValue", "Invalid value '%s' for InstanceType.", opts.InstanceType)
		}
	}
	if raw := p.get("UserData"); raw != "" {
		// launchAttributes checked the encoding; the boot script runs the decoded text.
		b, _ := base64.StdEncoding.DecodeString(raw)
		opts.UserData = string(b)
	}
	if raw := privateIP; raw != "" {
		if opts.PrivateIP, err = netip.ParseAddr(raw); err != nil || !opts.PrivateIP.Is4() {
			return nil, emulator.AWSErr("InvalidParameterValue", "Value (%s) for parameter privateIpAddress is invalid. This is not a valid IP address.", raw)
		}
	}
	if opts.Tags, err = p.tagSpecsAlso("instance", "volume", "network-interface", "spot-instances-request"); err != nil {
		return nil, err
	}
	names := p.list("SecurityGroup")
	resp := &reservationXML{}
	err = s.update(r, func(tx *emulator.Tx) error {
		sn := tx.Subnet(subnet)
		if sn == nil || sn.Account != r.Caller.Account || sn.Region != r.Caller.Region {
			return emulator.AWSErr("InvalidSubnetID.NotFound", "The subnet ID '%s' does not exist", subnet)
		}
		o := opts
		if az := p.get("Placement.AvailabilityZone"); az != "" && az != sn.AZ {
			return emulator.AWSErr("InvalidParameterValue", "Value (%s) for parameter availabilityZone is invalid. Subnet %s is in availability zone %s", az, sn.ID, sn.AZ)
		}
		if !publicIPSet {
			// The subnet's MapPublicIpOnLaunch decides unless the launch says.
			o.PublicIP = sn.MapPublicIPOnLaunch
		}
		for _, name := range names {
			g := groupByName(tx, r.Caller, sn.VPCID, name)
			if g == nil {
				return emulator.AWSErr("InvalidGroup.NotFound", "The security group '%s' does not exist in VPC '%s'", name, sn.VPCID)
			}
			o.SecurityGroupIDs = append(o.SecurityGroupIDs, g.ID)
		}
		insts, replay, err := tx.RunInstances(r.Caller, emulator.RunRequest{SubnetID: subnet, MinCount: min, MaxCount: max, Options: o, Fingerprint: fingerprint(p)})
		if err != nil {
			return err
		}
		res := reservations(tx, insts)[0]
		if !replay {
			// EC2 answers RunInstances with the instances still pending; they run right after.
			for k := range res.InstancesSet.Items {
				res.InstancesSet.Items[k].InstanceState = instanceState{Code: stateCodes["pending"], Name: "pending"}
			}
		}
		*resp = res
		return nil
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

type stateChangeXML struct {
	InstanceID    string        `xml:"instanceId"`
	CurrentState  instanceState `xml:"currentState"`
	PreviousState instanceState `xml:"previousState"`
}

type terminateResponse struct {
	InstancesSet items[stateChangeXML] `xml:"instancesSet"`
}

func terminateInstances(s *Server, r *request) (response, error) {
	ids := r.Params.list("InstanceId")
	resp := &terminateResponse{}
	err := s.update(r, func(tx *emulator.Tx) error {
		changes, err := tx.TerminateInstances(r.Caller, ids)
		if err != nil {
			return err
		}
		for _, ch := range changes {
			resp.InstancesSet.Items = append(resp.InstancesSet.Items, stateChangeXML{InstanceID: ch.InstanceID,
				CurrentState:  instanceState{Code: stateCodes[ch.Current], Name: ch.Current},
				PreviousState: instanceState{Code: stateCodes[ch.Previous], Name: ch.Previous}})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

type hibernationXML struct {
	Configured bool `xml:"configured"`
}
