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

// TestBoto3NetworkInterfaces drives every network interface action with boto3 (Debian's
// python3-boto3) through testdata/boto3/eni.py; each bad request must get EC2's error code
// and status and leave the interface as it was.
func TestBoto3NetworkInterfaces(t *testing.T) {
	py := testenv.Binary(t, boto3Python)
	if out, err := exec.Command(py, "-c", "import boto3").CombinedOutput(); err != nil {
		testenv.Missing(t, "boto3 is not importable by %s (%v: %s); apt-get install python3-boto3 (or sudo %s)", py, err, out, testenv.InstallScript)
	}
	e := newEnv(t)
	cmd := exec.Command(py, "testdata/boto3/eni.py")
	cmd.Env = append(os.Environ(),
		"SPACELAB_ENDPOINT="+e.url,
		"CUSTOMER_KEY="+customerKey, "CUSTOMER_SECRET="+customerSecret, "CUSTOMER_REGION="+customerRegion,
		"CUSTOMER_VPC="+customerVPC, "CUSTOMER_SUBNET="+customerSubnet, "CUSTOMER_INSTANCE="+customerInst,
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_EC2_METADATA_DISABLED=true")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("eni.py: %v\n%s", err, stderr.String())
	}
	var got map[string]any
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("eni.py printed %s: %v", out, err)
	}
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
