package fakeaws_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"reflect"
	"strings"
	"testing"

	"github.com/spacelab-dev/spacelab/emulator"
	"github.com/spacelab-dev/spacelab/internal/testenv"
)

// boto3Python is Debian's python3, whose dist-packages hold python3-boto3; a pyenv python3
// earlier on PATH would not see it.
const boto3Python = "/usr/bin/python3"

// runBoto3 runs testdata/boto3/SCRIPT with Debian's boto3 against e and returns the JSON report
// it prints: what each action answered, by action name. The script reads the endpoint, both
// accounts' credentials and regions and the seeded ids from its environment, and no user config.
func runBoto3(t *testing.T, e *env, script string) map[string]any {
	t.Helper()
	py := testenv.Binary(t, boto3Python)
	if out, err := exec.Command(py, "-c", "import boto3").CombinedOutput(); err != nil {
		testenv.Missing(t, "boto3 is not importable by %s (%v: %s); apt-get install python3-boto3 (or sudo %s)", py, err, out, testenv.InstallScript)
	}
	cmd := exec.Command(py, "testdata/boto3/"+script)
	cmd.Env = append(os.Environ(),
		"SPACELAB_ENDPOINT="+e.url,
		"CUSTOMER_KEY="+customerKey, "CUSTOMER_SECRET="+customerSecret, "CUSTOMER_REGION="+customerRegion,
		"HEROKU_KEY="+herokuKey, "HEROKU_SECRET="+herokuSecret, "HEROKU_REGION="+herokuRegion,
		"CUSTOMER_VPC="+customerVPC, "CUSTOMER_SUBNET="+customerSubnet, "CUSTOMER_INSTANCE="+customerInst,
		"SPACE_VPC="+spaceVPC, "HEROKU_ACCOUNT="+herokuAccount,
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_EC2_METADATA_DISABLED=true")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s", script, err, stderr.String())
	}
	var got map[string]any
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%s printed %s: %v", script, out, err)
	}
	return got
}

// TestBoto3 drives the fake EC2/STS with boto3 (Debian's python3-boto3) through
// testdata/boto3/flow.py: the seed's peering flow and the newer actions, each with one bad
// request that must get EC2's error code and status.
func TestBoto3(t *testing.T) {
	e := newEnv(t)
	// This account launches into its default VPC, which newWorld switched off.
	if err := e.world.Update(func(tx *emulator.Tx) error {
		a := tx.Account(customerAccount)
		tx.Changing(a)
		a.NoDefaultVPC = false // newWorld switched it off
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	got := runBoto3(t, e, "flow.py")
	want := map[string]any{
		"DescribeRegions":     float64(17),
		"DescribeRegions.bad": "InvalidParameterValue 400",
		"DescribeAvailabilityZones": []any{"us-east-1a=use1-az1", "us-east-1b=use1-az2", "us-east-1c=use1-az3",
			"us-east-1d=use1-az4", "us-east-1e=use1-az5", "us-east-1f=use1-az6"},
		"DescribeAvailabilityZones.bad":     "InvalidParameterValue 400",
		"DescribeVpcs":                      "172.16.0.0/16",
		"DescribeVpcs.bad":                  "InvalidVpcID.NotFound 400",
		"DescribeVpcAttribute":              true,
		"DescribeVpcAttribute.bad":          "InvalidParameterValue 400",
		"CreateVpcPeeringConnection":        "initiating-request",
		"CreateVpcPeeringConnection.bad":    "InvalidVpcID.NotFound 400",
		"AcceptVpcPeeringConnection":        "provisioning",
		"AcceptVpcPeeringConnection.bad":    "InvalidVpcPeeringConnectionID.NotFound 400",
		"DescribeVpcPeeringConnections":     "active",
		"DescribeVpcPeeringConnections.bad": "InvalidVpcPeeringConnectionID.NotFound 400",
		"DescribeRouteTables":               float64(1),
		"DescribeRouteTables.bad":           "InvalidParameterValue 400",
		"CreateRoute":                       true,
		"CreateRoute.bad":                   "RouteAlreadyExists 400",
		"DescribeSecurityGroups":            "default",
		"DescribeSecurityGroups.bad":        "InvalidGroup.NotFound 400",
		"AuthorizeSecurityGroupIngress":     true,
		"AuthorizeSecurityGroupIngress.bad": "InvalidPermission.Duplicate 400",
		"DescribeSecurityGroupRules":        "True tcp 443 10.0.0.0/16 space",
		"DescribeSecurityGroupRules.bad":    "InvalidSecurityGroupRuleId.NotFound 400",
		"DescribeImages":                    true,
		"DescribeImages.bad":                "InvalidAMIID.NotFound 400",
		"ModifySubnetAttribute":             true,
		"ModifySubnetAttribute.bad":         "InvalidSubnetID.NotFound 400",
		"RunInstances":                      true,
		"RunInstances.bad":                  "InvalidParameterValue 400",
		"TerminateInstances":                "shutting-down",
		"TerminateInstances.bad":            "InvalidInstanceID.NotFound 400",
		"GetCallerIdentity":                 customerAccount,
	}
	for k, w := range want {
		if !reflect.DeepEqual(got[k], w) {
			t.Errorf("%s = %v, want %v", k, got[k], w)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("flow.py reported %s = %v, which the test does not check", k, got[k])
		}
	}
}
