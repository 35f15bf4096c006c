package fakeaws_test

import (
	"strings"
	"testing"
)

// TestAWSCLIElasticIPsAndNatGateways drives every Elastic IP and NAT gateway action with the
// real AWS CLI v2, including a refusal (exit 254 and EC2's error line) that changes nothing.
func TestAWSCLIElasticIPsAndNatGateways(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cli := newCLI(t, e)
	var igw struct {
		InternetGateway struct{ InternetGatewayId string }
	}
	cli.customer(&igw, "ec2", "create-internet-gateway")
	cli.customer(nil, "ec2", "attach-internet-gateway", "--internet-gateway-id", igw.InternetGateway.InternetGatewayId, "--vpc-id", customerVPC)

	var alloc struct{ AllocationId, PublicIp, Domain string }
	cli.customer(&alloc, "ec2", "allocate-address", "--domain", "vpc", "--tag-specifications", "ResourceType=elastic-ip,Tags=[{Key=Name,Value=web}]")
	if !strings.HasPrefix(alloc.AllocationId, "eipalloc-") || alloc.Domain != "vpc" || alloc.PublicIp == "" {
		t.Fatalf("allocate-address = %+v", alloc)
	}
	var assoc struct{ AssociationId string }
	cli.customer(&assoc, "ec2", "associate-address", "--allocation-id", alloc.AllocationId, "--instance-id", customerInst)
	if !strings.HasPrefix(assoc.AssociationId, "eipassoc-") {
		t.Fatalf("associate-address = %+v", assoc)
	}
	var addrs struct {
		Addresses []struct{ AllocationId, AssociationId, InstanceId, PublicIp string }
	}
	cli.customer(&addrs, "ec2", "describe-addresses", "--filters", "Name=tag:Name,Values=web")
	if len(addrs.Addresses) != 1 || addrs.Addresses[0].InstanceId != customerInst || addrs.Addresses[0].AssociationId != assoc.AssociationId {
		t.Fatalf("describe-addresses = %+v", addrs)
	}
	_, stderr, code := cli.run(customerKey, customerSecret, customerRegion, "ec2", "release-address", "--allocation-id", alloc.AllocationId)
	if want := "An error occurred (InvalidIPAddress.InUse) when calling the ReleaseAddress operation: Address " + alloc.PublicIp + " is in use."; code != 254 || strings.TrimSpace(stderr) != want {
		t.Errorf("release an associated address: exit %d, %q; want 254, %q", code, stderr, want)
	}
	cli.customer(nil, "ec2", "disassociate-address", "--association-id", assoc.AssociationId)

	var nat struct {
		NatGateway struct{ NatGatewayId, State string }
	}
	cli.customer(&nat, "ec2", "create-nat-gateway", "--subnet-id", customerSubnet, "--allocation-id", alloc.AllocationId)
	if !strings.HasPrefix(nat.NatGateway.NatGatewayId, "nat-") || nat.NatGateway.State != "pending" {
		t.Fatalf("create-nat-gateway = %+v", nat)
	}
	cli.customer(nil, "ec2", "wait", "nat-gateway-available", "--nat-gateway-ids", nat.NatGateway.NatGatewayId)
	var rts cliRouteTables
	cli.customer(&rts, "ec2", "describe-route-tables", "--filters", "Name=vpc-id,Values="+customerVPC, "Name=association.main,Values=true")
	rtb := rts.RouteTables[0].RouteTableId
	cli.customer(nil, "ec2", "create-route", "--route-table-id", rtb, "--destination-cidr-block", "0.0.0.0/0", "--nat-gateway-id", nat.NatGateway.NatGatewayId)
	var withNat struct {
		RouteTables []struct {
			Routes []struct{ NatGatewayId, State string }
		}
	}
	cli.customer(&withNat, "ec2", "describe-route-tables", "--filters", "Name=route.nat-gateway-id,Values="+nat.NatGateway.NatGatewayId)
	if len(withNat.RouteTables) != 1 {
		t.Fatalf("tables routing to the NAT gateway: %+v", withNat)
	}
	var nats struct {
		NatGateways []struct {
			State               string
			NatGatewayAddresses []struct{ PublicIp, AllocationId string }
		}
	}
	cli.customer(&nats, "ec2", "describe-nat-gateways", "--nat-gateway-ids", nat.NatGateway.NatGatewayId)
	if len(nats.NatGateways) != 1 || nats.NatGateways[0].State != "available" || nats.NatGateways[0].NatGatewayAddresses[0].PublicIp != alloc.PublicIp {
		t.Fatalf("describe-nat-gateways = %+v", nats)
	}
	cli.customer(nil, "ec2", "delete-nat-gateway", "--nat-gateway-id", nat.NatGateway.NatGatewayId)
	cli.customer(nil, "ec2", "wait", "nat-gateway-deleted", "--nat-gateway-ids", nat.NatGateway.NatGatewayId)
	cli.customer(nil, "ec2", "delete-route", "--route-table-id", rtb, "--destination-cidr-block", "0.0.0.0/0")
	cli.customer(nil, "ec2", "release-address", "--allocation-id", alloc.AllocationId)
	_, stderr, code = cli.run(customerKey, customerSecret, customerRegion, "ec2", "describe-nat-gateways", "--nat-gateway-ids", "nat-0123456789abcdef0")
	if code != 254 || !strings.Contains(stderr, "(NatGatewayNotFound)") {
		t.Errorf("describe an unknown NAT gateway: exit %d, %q", code, stderr)
	}
}
