package fakeaws

import (
	"bytes"
	"fmt"
	"sort"
)

// networkingActions are the EC2 actions that networking code (the AWS CLI, SDKs, Terraform's
// AWS provider) calls about VPCs, their subnets, routing, gateways, addresses, interfaces,
// filtering, peering, VPN and the instances in them: the operations of the EC2 API model
// (botocore's ec2/2016-11-15, as Debian's awscli ships it) whose names are about those nouns,
// less transit gateways, IPAM, Verified Access, Network Insights, traffic mirroring, Local
// Zones/Outposts, Client VPN and EC2-Classic, plus the instance, image, key-pair and volume
// calls such code makes. Those spacelab does not serve are answered InvalidAction, like any
// action it does not know; Actions lists both kinds.
var networkingActions = []string{
	"AcceptAddressTransfer", "AcceptVpcEndpointConnections", "AcceptVpcPeeringConnection",
	"AllocateAddress", "AssignIpv6Addresses", "AssignPrivateIpAddresses", "AssociateAddress",
	"AssociateDhcpOptions", "AssociateIamInstanceProfile", "AssociateRouteTable",
	"AssociateSubnetCidrBlock", "AssociateVpcCidrBlock", "AttachInternetGateway",
	"AttachNetworkInterface", "AttachVpnGateway", "AuthorizeSecurityGroupEgress",
	"AuthorizeSecurityGroupIngress", "CreateCarrierGateway", "CreateCustomerGateway",
	"CreateDefaultSubnet", "CreateDefaultVpc", "CreateDhcpOptions", "CreateEgressOnlyInternetGateway",
	"CreateFlowLogs", "CreateInternetGateway", "CreateKeyPair", "CreateManagedPrefixList",
	"CreateNatGateway", "CreateNetworkAcl", "CreateNetworkAclEntry", "CreateNetworkInterface",
	"CreateNetworkInterfacePermission", "CreateRoute", "CreateRouteTable", "CreateSecurityGroup",
	"CreateSubnet", "CreateSubnetCidrReservation", "CreateTags", "CreateVpc", "CreateVpcEndpoint",
	"CreateVpcEndpointConnectionNotification", "CreateVpcEndpointServiceConfiguration",
	"CreateVpcPeeringConnection", "CreateVpnConnection", "CreateVpnConnectionRoute",
	"CreateVpnGateway", "DeleteCarrierGateway", "DeleteCustomerGateway", "DeleteDhcpOptions",
	"DeleteEgressOnlyInternetGateway", "DeleteFlowLogs", "DeleteInternetGateway", "DeleteKeyPair",
	"DeleteManagedPrefixList", "DeleteNatGateway", "DeleteNetworkAcl", "DeleteNetworkAclEntry",
	"DeleteNetworkInterface", "DeleteNetworkInterfacePermission", "DeleteRoute", "DeleteRouteTable",
	"DeleteSecurityGroup", "DeleteSubnet", "DeleteSubnetCidrReservation", "DeleteTags", "DeleteVpc",
	"DeleteVpcEndpointConnectionNotifications", "DeleteVpcEndpointServiceConfigurations",
	"DeleteVpcEndpoints", "DeleteVpcPeeringConnection", "DeleteVpnConnection",
	"DeleteVpnConnectionRoute", "DeleteVpnGateway", "DescribeAccountAttributes",
	"DescribeAddressTransfers", "DescribeAddresses", "DescribeAddressesAttribute",
	"DescribeAvailabilityZones", "DescribeCarrierGateways", "DescribeCustomerGateways",
	"DescribeDhcpOptions", "DescribeEgressOnlyInternetGateways", "DescribeFlowLogs",
	"DescribeIamInstanceProfileAssociations", "DescribeImages", "DescribeInstanceAttribute",
	"DescribeInstanceCreditSpecifications", "DescribeInstanceStatus", "DescribeInstanceTypeOfferings",
	"DescribeInstanceTypes", "DescribeInstances", "DescribeInternetGateways", "DescribeKeyPairs",
	"DescribeLaunchTemplateVersions", "DescribeLaunchTemplates", "DescribeManagedPrefixLists",
	"DescribeMovingAddresses", "DescribeNatGateways", "DescribeNetworkAcls",
	"DescribeNetworkInterfaceAttribute", "DescribeNetworkInterfacePermissions",
	"DescribeNetworkInterfaces", "DescribePrefixLists", "DescribeRegions", "DescribeRouteTables",
	"DescribeSecurityGroupReferences", "DescribeSecurityGroupRules", "DescribeSecurityGroups",
	"DescribeStaleSecurityGroups", "DescribeSubnets", "DescribeTags", "DescribeVolumes",
	"DescribeVpcAttribute", "DescribeVpcEndpointConnectionNotifications",
	"DescribeVpcEndpointConnections", "DescribeVpcEndpointServiceConfigurations",
	"DescribeVpcEndpointServicePermissions", "DescribeVpcEndpointServices", "DescribeVpcEndpoints",
	"DescribeVpcPeeringConnections", "DescribeVpcs", "DescribeVpnConnections", "DescribeVpnGateways",
	"DetachInternetGateway", "DetachNetworkInterface", "DetachVpnGateway", "DisableAddressTransfer",
	"DisableVgwRoutePropagation", "DisassociateAddress", "DisassociateRouteTable",
	"DisassociateSubnetCidrBlock", "DisassociateVpcCidrBlock", "EnableAddressTransfer",
	"EnableVgwRoutePropagation", "GetConsoleOutput", "GetManagedPrefixListAssociations",
	"GetManagedPrefixListEntries", "GetSubnetCidrReservations",
	"GetVpnConnectionDeviceSampleConfiguration", "GetVpnConnectionDeviceTypes", "ImportKeyPair",
	"ModifyAddressAttribute", "ModifyAvailabilityZoneGroup", "ModifyInstanceAttribute",
	"ModifyInstanceMetadataOptions", "ModifyManagedPrefixList", "ModifyNetworkInterfaceAttribute",
	"ModifySecurityGroupRules", "ModifySubnetAttribute", "ModifyVpcAttribute", "ModifyVpcEndpoint",
	"ModifyVpcEndpointConnectionNotification", "ModifyVpcEndpointServiceConfiguration",
	"ModifyVpcEndpointServicePayerResponsibility", "ModifyVpcEndpointServicePermissions",
	"ModifyVpcPeeringConnectionOptions", "ModifyVpcTenancy", "ModifyVpnConnection",
	"ModifyVpnConnectionOptions", "MoveAddressToVpc", "RebootInstances",
	"RejectVpcEndpointConnections", "RejectVpcPeeringConnection", "ReleaseAddress",
	"ReplaceNetworkAclAssociation", "ReplaceNetworkAclEntry", "ReplaceRoute",
	"ReplaceRouteTableAssociation", "ResetAddressAttribute", "ResetInstanceAttribute",
	"ResetNetworkInterfaceAttribute", "RestoreManagedPrefixListVersion", "RevokeSecurityGroupEgress",
	"RevokeSecurityGroupIngress", "RunInstances", "StartInstances",
	"StartVpcEndpointServicePrivateDnsVerification", "StopInstances", "TerminateInstances",
	"UnassignIpv6Addresses", "UnassignPrivateIpAddresses",
	"UpdateSecurityGroupRuleDescriptionsEgress", "UpdateSecurityGroupRuleDescriptionsIngress",
}

// Action is one EC2 action and whether spacelab serves it.
type Action struct {
	// Name is the action's name as the Query API spells it (CreateVpc).
	Name string
	// Served is true for an action spacelab answers, false for one it refuses.
	Served bool
}

// Actions lists every EC2 action spacelab serves (the handler table) and every well-known
// networking action it refuses with InvalidAction, sorted by name.
func Actions() []Action {
	seen := map[string]bool{}
	var out []Action
	for name := range ec2Actions {
		out = append(out, Action{Name: name, Served: true})
		seen[name] = true
	}
	for _, name := range networkingActions {
		if !seen[name] {
			out = append(out, Action{Name: name})
			seen[name] = true
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// ActionsDocCommand regenerates docs/ec2-actions.md from the code.
const ActionsDocCommand = "go run ./cmd/ec2-actions > docs/ec2-actions.md"

// ActionsDoc renders Actions as the Markdown of docs/ec2-actions.md.
func ActionsDoc() []byte {
	var served, refused []string
	for _, a := range Actions() {
		if a.Served {
			served = append(served, a.Name)
		} else {
			refused = append(refused, a.Name)
		}
	}
	var b bytes.Buffer
	b.WriteString("# EC2 actions spacelab serves and refuses\n\n")
	fmt.Fprintf(&b, "Generated from the code (package `fakeaws`, `fakeaws.Actions`); do not edit. Regenerate with\n`%s`;\n", ActionsDocCommand)
	b.WriteString("`go test ./fakeaws -run TestActionsDoc` fails while this file is out of date.\n\n")
	b.WriteString("Served actions answer from the model with EC2's shapes and error codes. Refused actions are\n")
	b.WriteString("well-known EC2 networking actions spacelab does not serve: they answer `400 InvalidAction`\n")
	b.WriteString("(`The action X is not valid for this web service.`), as does any other action name. Parameters\n")
	b.WriteString("of served actions for features spacelab does not model are refused with `UnsupportedOperation`\n")
	b.WriteString("naming them. STS `GetCallerIdentity` is served too (not listed: it is not EC2).\n\n")
	fmt.Fprintf(&b, "## Served (%d)\n\n", len(served))
	for _, a := range served {
		fmt.Fprintf(&b, "- `%s`\n", a)
	}
	fmt.Fprintf(&b, "\n## Refused with InvalidAction (%d)\n\n", len(refused))
	for _, a := range refused {
		fmt.Fprintf(&b, "- `%s`\n", a)
	}
	return b.Bytes()
}
