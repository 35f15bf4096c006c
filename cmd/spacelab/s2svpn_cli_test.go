package main_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spacelab-dev/spacelab/internal/testenv"
)

// TestRealStrongswanAWSVPN is an AWS Site-to-Site VPN done by hand: the real AWS CLI makes a
// customer gateway at office-gw's address, a virtual private gateway on the customer VPC and a
// static VPN connection; VgwTelemetry says DOWN with a reason; a real strongSwan in office-gw,
// configured from the customer gateway configuration XML alone (scripts/aws-cgw-strongswan.sh,
// plus the office LAN and the VPC CIDR as its traffic selectors), brings both tunnels UP; the
// VGW carries nothing the connection has no static route for; the instance pings office-pc by a static route to the VGW and by a propagated route, and not once
// each is removed; office-pc reaches the instance's web server.
func TestRealStrongswanAWSVPN(t *testing.T) {
	aws := testenv.AWSCLI(t)
	testenv.Binary(t, "/usr/lib/ipsec/charon")
	testenv.Binary(t, "/usr/sbin/swanctl")
	testenv.Binary(t, "python3")
	testenv.Binary(t, "curl")
	if os.Geteuid() != 0 {
		testenv.Missing(t, "root: strongSwan's kernel-libipsec needs /dev/net/tun")
	}
	u := startUp(t)
	awsRun := func(args ...string) map[string]any { t.Helper(); return u.aws(aws, args...) }
	str := func(m map[string]any, path ...string) string {
		var v any = m
		for _, p := range path {
			switch x := v.(type) {
			case map[string]any:
				v = x[p]
			case []any:
				v = x[0]
				if mm, ok := v.(map[string]any); ok {
					v = mm[p]
				}
			}
		}
		s, _ := v.(string)
		return s
	}
	const vpc, office = "vpc-0cb1a66017eed9372", "192.168.0.0/24"
	cgw := str(awsRun("ec2", "create-customer-gateway", "--type", "ipsec.1", "--public-ip", "203.0.113.20", "--bgp-asn", "65000"), "CustomerGateway", "CustomerGatewayId")
	vgw := str(awsRun("ec2", "create-vpn-gateway", "--type", "ipsec.1"), "VpnGateway", "VpnGatewayId")
	awsRun("ec2", "attach-vpn-gateway", "--vpn-gateway-id", vgw, "--vpc-id", vpc)
	vpn := str(awsRun("ec2", "create-vpn-connection", "--type", "ipsec.1", "--customer-gateway-id", cgw, "--vpn-gateway-id", vgw,
		"--options", "StaticRoutesOnly=true"), "VpnConnection", "VpnConnectionId")
	awsRun("ec2", "wait", "vpn-connection-available", "--vpn-connection-ids", vpn)

	// telemetry polls DescribeVpnConnections until both tunnels satisfy ok (the emulator
	// carries the gateway's state into the model every 200 ms).
	telemetry := func(ok func(status, msg string) bool) []any {
		t.Helper()
		for {
			d := awsRun("ec2", "describe-vpn-connections", "--vpn-connection-ids", vpn)
			tel := d["VpnConnections"].([]any)[0].(map[string]any)["VgwTelemetry"].([]any)
			n := 0
			for _, x := range tel {
				m := x.(map[string]any)
				if ok(m["Status"].(string), m["StatusMessage"].(string)) {
					n++
				}
			}
			if n == 2 {
				return tel
			}
			select {
			case <-t.Context().Done():
				t.Fatalf("telemetry: %v", tel)
			case <-time.After(300 * time.Millisecond):
			}
		}
	}
	down := telemetry(func(s, m string) bool { return s == "DOWN" && m != "" })
	t.Logf("before the customer gateway runs: %v", down)

	xmlFile := filepath.Join(t.TempDir(), "cgw.xml")
	cfg, code := u.client(aws, "--endpoint-url", u.getenv("AWS_ENDPOINT_URL"), "ec2", "describe-vpn-connections", "--vpn-connection-ids", vpn,
		"--query", "VpnConnections[0].CustomerGatewayConfiguration", "--output", "text")
	if code != 0 || !strings.Contains(cfg, "<ipsec_tunnel>") {
		t.Fatalf("customer gateway configuration (%d):\n%s", code, cfg)
	}
	if err := os.WriteFile(xmlFile, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	ssDir := t.TempDir()
	script := exec.Command("bash", "../../scripts/aws-cgw-strongswan.sh", xmlFile, office, "172.16.0.0/16")
	script.Env = append(os.Environ(), "SPACELAB="+binary, "SPACELAB_STATE_DIR="+u.state, "STRONGSWAN_DIR="+ssDir, "HOME="+t.TempDir())
	if out, err := script.CombinedOutput(); err != nil {
		t.Fatalf("aws-cgw-strongswan.sh: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		stop := exec.Command("bash", "../../scripts/aws-cgw-strongswan.sh", "--stop")
		stop.Env = append(os.Environ(), "STRONGSWAN_DIR="+ssDir)
		stop.Run()
	})
	up := telemetry(func(s, _ string) bool { return s == "UP" })
	t.Logf("with strongSwan: %v", up)

	rtb := str(awsRun("ec2", "describe-route-tables", "--filters", "Name=vpc-id,Values="+vpc, "Name=association.main,Values=true"), "RouteTables", "RouteTableId")
	ping := func(want bool, why string) {
		t.Helper()
		out, code := u.run("check", "i-0f3c2b1a998877665", "192.168.0.10") // ICMP echo by packets, and the model's path
		if code > 1 || (code == 0) != want {
			log, _ := os.ReadFile(filepath.Join(ssDir, "charon.log"))
			t.Fatalf("%s: check exit %d\n%s\ncharon:\n%s", why, code, out, log)
		}
		t.Logf("%s: %s", why, strings.SplitN(out, "\n", 2)[0])
	}
	ping(false, "no route to the office")
	awsRun("ec2", "create-route", "--route-table-id", rtb, "--destination-cidr-block", office, "--gateway-id", vgw)
	ping(false, "a route to the VGW, no VPN static route")
	awsRun("ec2", "create-vpn-connection-route", "--vpn-connection-id", vpn, "--destination-cidr-block", office)
	ping(true, "static routes")
	sg := str(awsRun("ec2", "describe-instances", "--instance-ids", "i-0f3c2b1a998877665"), "Reservations", "Instances", "SecurityGroups", "GroupId")
	awsRun("ec2", "authorize-security-group-ingress", "--group-id", sg, "--protocol", "tcp", "--port", "80", "--cidr", office)
	if out, code := u.run("exec", "office-pc", "--", "curl", "-s", "-m", "3", "-o", "/dev/null", "-w", "%{http_code}", "http://172.16.0.8/"); code != 0 || out != "200" {
		t.Fatalf("office-pc → the instance (%d): %q", code, out)
	}
	awsRun("ec2", "delete-route", "--route-table-id", rtb, "--destination-cidr-block", office)
	ping(false, "route table route removed")
	awsRun("ec2", "enable-vgw-route-propagation", "--route-table-id", rtb, "--gateway-id", vgw)
	ping(true, "propagated route")
	awsRun("ec2", "delete-vpn-connection-route", "--vpn-connection-id", vpn, "--destination-cidr-block", office)
	ping(false, "VPN static route removed")
}
