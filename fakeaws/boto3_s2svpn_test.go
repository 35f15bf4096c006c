package fakeaws_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"reflect"
	"strings"
	"testing"

	"github.com/spacelab-dev/spacelab/internal/testenv"
)

// TestBoto3SiteToSiteVPN drives every Site-to-Site VPN action with boto3 (Debian's
// python3-boto3) through testdata/boto3/s2svpn.py, each with a bad request that must get EC2's
// error code and leave the state as it was.
func TestBoto3SiteToSiteVPN(t *testing.T) {
	t.Parallel()
	py := testenv.Binary(t, boto3Python)
	if out, err := exec.Command(py, "-c", "import boto3").CombinedOutput(); err != nil {
		testenv.Missing(t, "boto3 is not importable by %s (%v: %s); apt-get install python3-boto3 (or sudo %s)", py, err, out, testenv.InstallScript)
	}
	e := newEnv(t)
	cmd := exec.Command(py, "testdata/boto3/s2svpn.py")
	cmd.Env = append(os.Environ(), "SPACELAB_ENDPOINT="+e.url,
		"CUSTOMER_KEY="+customerKey, "CUSTOMER_SECRET="+customerSecret, "CUSTOMER_REGION="+customerRegion, "CUSTOMER_VPC="+customerVPC,
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_EC2_METADATA_DISABLED=true")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("s2svpn.py: %v\n%s", err, stderr.String())
	}
	var got map[string]any
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("s2svpn.py printed %s: %v", out, err)
	}
	want := map[string]any{
		"CreateCustomerGateway":                         []any{"available", "198.51.100.77", "65010"},
		"CreateCustomerGateway.bad":                     "InvalidParameterValue 400",
		"CreateCustomerGateway.same":                    true,
		"DescribeCustomerGateways":                      float64(1),
		"DescribeCustomerGateways.bad":                  "InvalidCustomerGatewayID.NotFound 400",
		"CreateVpnGateway":                              []any{"available", float64(64600)},
		"CreateVpnGateway.bad":                          "InvalidParameterValue 400",
		"AttachVpnGateway":                              "attaching",
		"AttachVpnGateway.bad":                          "IncorrectState 400",
		"DescribeVpnGateways":                           []any{"attached"},
		"DescribeVpnGateways.bad":                       "InvalidVpnGatewayID.NotFound 400",
		"CreateVpnConnection.bad":                       "UnsupportedOperation 400",
		"CreateVpnConnection.none":                      float64(0),
		"CreateVpnConnection":                           []any{"pending", true, "192.168.50.0/24", []any{"add", "start"}},
		"CustomerGatewayConfiguration":                  []any{[]any{"group14", "198.51.100.77"}, []any{"group2", "198.51.100.77"}},
		"CreateVpnConnectionRoute.bad":                  "InvalidParameterValue 400",
		"EnableVgwRoutePropagation":                     []any{[]any{true}, []any{"EnableVgwRoutePropagation"}},
		"EnableVgwRoutePropagation.bad":                 "InvalidRouteTableID.NotFound 400",
		"DisableVgwRoutePropagation":                    float64(0),
		"DisableVgwRoutePropagation.bad":                "InvalidVpnGatewayID.NotFound 400",
		"DescribeVpnConnections":                        []any{"available", []any{"192.168.50.0/24"}, []any{"DOWN", "DOWN"}},
		"DescribeVpnConnections.bad":                    "InvalidVpnConnectionID.NotFound 400",
		"GetVpnConnectionDeviceTypes":                   []any{"Generic", "Strongswan"},
		"GetVpnConnectionDeviceSampleConfiguration":     true,
		"GetVpnConnectionDeviceSampleConfiguration.bad": "UnsupportedOperation 400",
		"DeleteVpnConnectionRoute.bad":                  "InvalidRoute.NotFound 400",
		"DeleteCustomerGateway.bad":                     "IncorrectState 400",
		"DeleteVpnConnection.bad":                       "InvalidVpnConnectionID.NotFound 400",
		"DeleteVpnConnection":                           "deleted",
		"DeleteVpnGateway.bad":                          "IncorrectState 400",
		"DetachVpnGateway.bad":                          "InvalidVpnGatewayAttachment.NotFound 400",
		"DeleteVpnGateway":                              "deleted",
		"DeleteCustomerGateway":                         "deleted",
	}
	for k, w := range want {
		if g := got[k]; !reflect.DeepEqual(g, w) {
			t.Errorf("%s = %#v, want %#v", k, g, w)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("unchecked step %s = %#v", k, got[k])
		}
	}
}
