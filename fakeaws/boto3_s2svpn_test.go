package fakeaws_test

import (
	"reflect"
	"testing"
)

// TestBoto3SiteToSiteVPN drives every Site-to-Site VPN action with boto3 (Debian's
// python3-boto3) through testdata/boto3/s2svpn.py, each with a bad request that must get EC2's
// error code and leave the state as it was.
func TestBoto3SiteToSiteVPN(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	got := runBoto3(t, e, "s2svpn.py")
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
