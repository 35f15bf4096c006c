package explain_test

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/spacelab-dev/spacelab/emulator"
	"github.com/spacelab-dev/spacelab/emulator/explain"
	"github.com/spacelab-dev/spacelab/emulator/render"
	"github.com/spacelab-dev/spacelab/netspec"
)

// TestExplainNetworkInterfaces: the model's walk through interfaces. The customer's instance is
// an appliance with a second ENI that a client subnet's route points at; a server has a second
// ENI with a group of its own. The walk names the ENIs of source and destination, stops at the
// appliance while its ENI's source/destination check is on, and applies the second ENI's
// groups to its address.
func TestExplainNetworkInterfaces(t *testing.T) {
	const appliance = "i-0f3c2b1a998877665"
	var client, server *emulator.Instance
	var router, web *emulator.NetworkInterface
	w := world(t, func(tx *emulator.Tx) error {
		az := tx.Subnet(tx.Instance(appliance).SubnetID).AZ
		tx.Changing(tx.Instance(appliance))
		tx.Instance(appliance).Attributes.SourceDestCheck = false // its primary ENI forwards
		a, err := tx.CreateSubnet(customer, customerVPC, netip.MustParsePrefix("172.16.10.0/24"), emulator.SubnetOptions{AZ: az})
		if err != nil {
			return err
		}
		b, err := tx.CreateSubnet(customer, customerVPC, netip.MustParsePrefix("172.16.11.0/24"), emulator.SubnetOptions{AZ: az})
		if err != nil {
			return err
		}
		if client, err = tx.RunInstance(customer, a.ID, emulator.InstanceOptions{}); err != nil {
			return err
		}
		if server, err = tx.RunInstance(customer, b.ID, emulator.InstanceOptions{Services: []emulator.Service{{Kind: "http", Port: 80}, {Kind: "http", Port: 8080}}}); err != nil {
			return err
		}
		if router, err = tx.CreateNetworkInterface(customer, tx.Instance(appliance).SubnetID, emulator.ENIOptions{}); err != nil {
			return err
		}
		if _, err := tx.AttachNetworkInterface(customer, router.ID, appliance, 1); err != nil {
			return err
		}
		g, err := tx.CreateSecurityGroup(customer, customerVPC, "web8080", "8080 only", nil)
		if err != nil {
			return err
		}
		p := 8080
		if _, err := tx.AuthorizeIngress(customer, g.ID, []emulator.Permission{{Protocol: "tcp", FromPort: &p, ToPort: &p, CIDRs: []emulator.PermissionCIDR{{CIDR: "172.16.0.0/16"}}}}); err != nil {
			return err
		}
		if web, err = tx.CreateNetworkInterface(customer, b.ID, emulator.ENIOptions{SecurityGroupIDs: []string{g.ID}}); err != nil {
			return err
		}
		if _, err := tx.AttachNetworkInterface(customer, web.ID, server.ID, 1); err != nil {
			return err
		}
		rt, err := tx.CreateRouteTable(customer, customerVPC, nil)
		if err != nil {
			return err
		}
		if _, err := tx.AssociateRouteTable(customer, rt.ID, a.ID); err != nil {
			return err
		}
		return tx.CreateRoute(customer, rt.ID, b.CIDR, emulator.RouteTarget{NetworkInterfaceID: router.ID})
	})
	connect := func(to netip.Addr, port uint16) explain.Verdict {
		return explain.Connect((&render.Reconciler{World: w}).Render(), explain.Flow{From: client.ID, To: to.String(), Proto: netspec.TCP, Port: port})
	}
	v := connect(server.PrivateIP, 80)
	if v.Reachable || v.Explanation != "SOURCE_DEST_CHECK" || !strings.Contains(v.Reason, router.ID) || !strings.Contains(v.Reason, appliance) {
		t.Fatalf("through an ENI whose check is on: %s %s\n%s", v.Explanation, v, v.Path())
	}
	if err := w.Update(func(tx *emulator.Tx) error {
		off := false
		return tx.ModifyNetworkInterface(customer, router.ID, emulator.ENIChange{SourceDestCheck: &off})
	}); err != nil {
		t.Fatal(err)
	}
	v = connect(server.PrivateIP, 80)
	if !v.Reachable || !strings.Contains(v.Path(), client.ENIID) || !strings.Contains(v.Path(), server.ENIID) || !strings.Contains(v.Path(), router.ID) {
		t.Fatalf("through the appliance with the check off: %s\n%s", v, v.Path())
	}
	if v := connect(web.PrivateIP, 8080); !v.Reachable || !strings.Contains(v.Path(), web.ID) {
		t.Errorf("to the second ENI on 8080: %s\n%s", v, v.Path())
	}
	v = connect(web.PrivateIP, 80)
	if v.Reachable || v.Explanation != "SG_INGRESS_DENIED" || !strings.Contains(v.Reason, web.ID) || !strings.Contains(strings.Join(v.Rules, "\n"), "from port: 8080") {
		t.Errorf("to the second ENI on 80 (its group opens 8080 only, the primary's default group would let the client in): %s %s, rules %q\n%s", v.Explanation, v, v.Rules, v.Path())
	}
	if v := connect(server.PrivateIP, 8080); !v.Reachable {
		t.Errorf("to the primary on 8080 (default group, self-referencing): %s", v)
	}
}
