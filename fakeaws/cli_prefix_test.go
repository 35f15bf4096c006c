package fakeaws_test

import (
	"strings"
	"testing"
)

// TestAWSCLIPrefixListsAndDHCPOptions drives every managed prefix list, DHCP options and
// peering options action with the real AWS CLI v2, with refusals (exit 254 and EC2's error
// line) that change nothing.
func TestAWSCLIPrefixListsAndDHCPOptions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cli := newCLI(t, e)
	refused := func(want string, args ...string) {
		t.Helper()
		_, stderr, code := cli.run(customerKey, customerSecret, customerRegion, args...)
		if code != 254 || !strings.Contains(stderr, want) {
			t.Errorf("aws %s: exit %d, %q; want 254 and %q", strings.Join(args, " "), code, stderr, want)
		}
	}
	type plXML struct {
		PrefixList struct {
			PrefixListId, State string
			Version             int
		}
	}
	var pl plXML
	cli.customer(&pl, "ec2", "create-managed-prefix-list", "--prefix-list-name", "vpn", "--address-family", "IPv4",
		"--max-entries", "2", "--entries", "Cidr=192.0.2.0/24,Description=hq")
	id := pl.PrefixList.PrefixListId
	if !strings.HasPrefix(id, "pl-") || pl.PrefixList.State != "create-in-progress" || pl.PrefixList.Version != 1 {
		t.Fatalf("create-managed-prefix-list = %+v", pl)
	}
	refused("(InvalidParameterValue) when calling the CreateManagedPrefixList operation: The address family 'IPv5' is invalid",
		"ec2", "create-managed-prefix-list", "--prefix-list-name", "x", "--address-family", "IPv5", "--max-entries", "2")
	cli.customer(&pl, "ec2", "modify-managed-prefix-list", "--prefix-list-id", id, "--current-version", "1",
		"--add-entries", "Cidr=198.51.100.0/24")
	refused("(PrefixListMaxEntriesExceeded) when calling the ModifyManagedPrefixList operation",
		"ec2", "modify-managed-prefix-list", "--prefix-list-id", id, "--current-version", "2", "--add-entries", "Cidr=203.0.113.0/24")
	var ents struct {
		Entries []struct{ Cidr, Description string }
	}
	cli.customer(&ents, "ec2", "get-managed-prefix-list-entries", "--prefix-list-id", id)
	if len(ents.Entries) != 2 || ents.Entries[0].Cidr != "192.0.2.0/24" || ents.Entries[0].Description != "hq" || ents.Entries[1].Cidr != "198.51.100.0/24" {
		t.Errorf("entries after a refused modify = %+v", ents)
	}
	refused("(InvalidPrefixListID.NotFound) when calling the GetManagedPrefixListEntries operation: The prefix list ID 'pl-0123456789abcdef0' does not exist",
		"ec2", "get-managed-prefix-list-entries", "--prefix-list-id", "pl-0123456789abcdef0")
	cli.customer(&pl, "ec2", "restore-managed-prefix-list-version", "--prefix-list-id", id, "--previous-version", "1", "--current-version", "2")
	if pl.PrefixList.Version != 3 {
		t.Errorf("restore-managed-prefix-list-version = %+v", pl)
	}
	refused("(PrefixListVersionMismatch)", "ec2", "restore-managed-prefix-list-version", "--prefix-list-id", id, "--previous-version", "1", "--current-version", "2")
	var lists struct {
		PrefixLists []struct {
			PrefixListId, PrefixListName, State, OwnerId string
			Version                                      int
		}
	}
	cli.customer(&lists, "ec2", "describe-managed-prefix-lists", "--filters", "Name=prefix-list-name,Values=vpn")
	if len(lists.PrefixLists) != 1 || lists.PrefixLists[0].Version != 3 || lists.PrefixLists[0].State != "restore-complete" || lists.PrefixLists[0].OwnerId != customerAccount {
		t.Errorf("describe-managed-prefix-lists = %+v", lists)
	}

	var sg struct{ GroupId string }
	cli.customer(&sg, "ec2", "create-security-group", "--group-name", "vpn-ssh", "--description", "ssh", "--vpc-id", customerVPC)
	cli.customer(nil, "ec2", "authorize-security-group-ingress", "--group-id", sg.GroupId, "--ip-permissions",
		"IpProtocol=tcp,FromPort=22,ToPort=22,PrefixListIds=[{PrefixListId="+id+"}]")
	refused("(InvalidPrefixListID.NotFound) when calling the AuthorizeSecurityGroupIngress operation",
		"ec2", "authorize-security-group-ingress", "--group-id", sg.GroupId, "--ip-permissions", "IpProtocol=tcp,FromPort=23,ToPort=23,PrefixListIds=[{PrefixListId=pl-0123456789abcdef0}]")
	var assoc struct {
		PrefixListAssociations []struct{ ResourceId, ResourceOwner string }
	}
	cli.customer(&assoc, "ec2", "get-managed-prefix-list-associations", "--prefix-list-id", id)
	if len(assoc.PrefixListAssociations) != 1 || assoc.PrefixListAssociations[0].ResourceId != sg.GroupId {
		t.Errorf("get-managed-prefix-list-associations = %+v", assoc)
	}
	refused("(DependencyViolation) when calling the DeleteManagedPrefixList operation", "ec2", "delete-managed-prefix-list", "--prefix-list-id", id)
	cli.customer(nil, "ec2", "delete-security-group", "--group-id", sg.GroupId)
	cli.customer(&pl, "ec2", "delete-managed-prefix-list", "--prefix-list-id", id)
	var aws struct{ PrefixLists []any }
	cli.customer(&aws, "ec2", "describe-prefix-lists")
	if len(aws.PrefixLists) != 0 {
		t.Errorf("describe-prefix-lists = %+v, want none (spacelab has no AWS-managed lists)", aws)
	}

	var dopt struct {
		DhcpOptions struct{ DhcpOptionsId string }
	}
	cli.customer(&dopt, "ec2", "create-dhcp-options", "--dhcp-configurations", "Key=domain-name,Values=corp.example", "Key=domain-name-servers,Values=10.0.0.2,10.0.0.3")
	did := dopt.DhcpOptions.DhcpOptionsId
	refused("(InvalidParameterValue) when calling the CreateDhcpOptions operation", "ec2", "create-dhcp-options", "--dhcp-configurations", "Key=netbios-node-type,Values=3")
	cli.customer(nil, "ec2", "associate-dhcp-options", "--dhcp-options-id", did, "--vpc-id", customerVPC)
	refused("(DependencyViolation) when calling the DeleteDhcpOptions operation", "ec2", "delete-dhcp-options", "--dhcp-options-id", did)
	var ds struct {
		DhcpOptions []struct {
			DhcpOptionsId      string
			DhcpConfigurations []struct {
				Key    string
				Values []struct{ Value string }
			}
		}
	}
	cli.customer(&ds, "ec2", "describe-dhcp-options", "--filters", "Name=key,Values=domain-name-servers", "Name=value,Values=10.0.0.3")
	if len(ds.DhcpOptions) != 1 || ds.DhcpOptions[0].DhcpOptionsId != did || len(ds.DhcpOptions[0].DhcpConfigurations[1].Values) != 2 {
		t.Errorf("describe-dhcp-options = %+v", ds)
	}
	var vpcs struct {
		Vpcs []struct{ DhcpOptionsId string }
	}
	cli.customer(&vpcs, "ec2", "describe-vpcs", "--vpc-ids", customerVPC)
	if vpcs.Vpcs[0].DhcpOptionsId != did {
		t.Errorf("the VPC's DhcpOptionsId = %s, want %s", vpcs.Vpcs[0].DhcpOptionsId, did)
	}
	cli.customer(nil, "ec2", "associate-dhcp-options", "--dhcp-options-id", "default", "--vpc-id", customerVPC)
	cli.customer(nil, "ec2", "delete-dhcp-options", "--dhcp-options-id", did)

	var v1, v2 struct{ Vpc struct{ VpcId string } }
	cli.customer(&v1, "ec2", "create-vpc", "--cidr-block", "10.91.0.0/16")
	cli.customer(&v2, "ec2", "create-vpc", "--cidr-block", "10.92.0.0/16")
	var pcx struct {
		VpcPeeringConnection struct{ VpcPeeringConnectionId string }
	}
	cli.customer(&pcx, "ec2", "create-vpc-peering-connection", "--vpc-id", v1.Vpc.VpcId, "--peer-vpc-id", v2.Vpc.VpcId)
	p := pcx.VpcPeeringConnection.VpcPeeringConnectionId
	refused("(OperationNotPermitted) when calling the ModifyVpcPeeringConnectionOptions operation", "ec2", "modify-vpc-peering-connection-options",
		"--vpc-peering-connection-id", p, "--requester-peering-connection-options", "AllowDnsResolutionFromRemoteVpc=true")
	cli.customer(nil, "ec2", "accept-vpc-peering-connection", "--vpc-peering-connection-id", p)
	var opts struct {
		RequesterPeeringConnectionOptions struct{ AllowDnsResolutionFromRemoteVpc bool }
	}
	cli.customer(&opts, "ec2", "modify-vpc-peering-connection-options", "--vpc-peering-connection-id", p,
		"--requester-peering-connection-options", "AllowDnsResolutionFromRemoteVpc=true")
	if !opts.RequesterPeeringConnectionOptions.AllowDnsResolutionFromRemoteVpc {
		t.Errorf("modify-vpc-peering-connection-options = %+v", opts)
	}
}
