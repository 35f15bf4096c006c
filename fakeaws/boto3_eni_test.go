package fakeaws_test

import (
	"reflect"
	"testing"
)

// TestBoto3NetworkInterfaces drives every network interface action with boto3 (Debian's
// python3-boto3) through testdata/boto3/eni.py; each bad request must get EC2's error code
// and status and leave the interface as it was.
func TestBoto3NetworkInterfaces(t *testing.T) {
	e := newEnv(t)
	got := runBoto3(t, e, "eni.py")
	want := map[string]any{
		"CreateNetworkInterface":                "available True",
		"CreateNetworkInterface.bad":            "InvalidIPAddress.InUse 400 unchanged",
		"DescribeNetworkInterfaces":             []any{true},
		"DescribeNetworkInterfaces.bad":         "InvalidNetworkInterfaceID.NotFound 400 unchanged",
		"AttachNetworkInterface":                true,
		"AttachNetworkInterface.bad":            "InvalidNetworkInterface.InUse 400 unchanged",
		"ModifyNetworkInterfaceAttribute":       "False router True",
		"ModifyNetworkInterfaceAttribute.bad":   "InvalidGroup.NotFound 400 unchanged",
		"DescribeNetworkInterfaceAttribute":     []any{true},
		"DescribeNetworkInterfaceAttribute.bad": "InvalidParameterValue 400 unchanged",
		"CreateRoute.eni":                       []any{true},
		"CreateRoute.instance.bad":              "InvalidInstanceID 400 unchanged",
		"DeleteNetworkInterface.bad":            "InvalidNetworkInterface.InUse 400 unchanged",
		"DetachNetworkInterface.bad":            "InvalidAttachmentID.NotFound 400 unchanged",
		"DetachNetworkInterface":                "available",
		"DeleteNetworkInterface.again.bad":      "InvalidNetworkInterfaceID.NotFound 400 unchanged",
		"DeleteNetworkInterface":                true,
	}
	for k, w := range want {
		if !reflect.DeepEqual(got[k], w) {
			t.Errorf("%s = %v, want %v", k, got[k], w)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected report %s = %v", k, got[k])
		}
	}
}
