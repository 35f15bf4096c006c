package fakeaws_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/spacelab-dev/spacelab/internal/testenv"
)

// TestBoto3PrefixListsAndDHCPOptions drives every managed prefix list, DHCP options and
// peering options action with boto3 (testdata/boto3/prefix_dhcp.py), each with a bad request
// that must get EC2's error code and status and leave the state as it was.
func TestBoto3PrefixListsAndDHCPOptions(t *testing.T) {
	t.Parallel()
	py := testenv.Binary(t, boto3Python)
	if out, err := exec.Command(py, "-c", "import boto3").CombinedOutput(); err != nil {
		testenv.Missing(t, "boto3 is not importable by %s (%v: %s); apt-get install python3-boto3 (or sudo %s)", py, err, out, testenv.InstallScript)
	}
	e := newEnv(t)
	cmd := exec.Command(py, "testdata/boto3/prefix_dhcp.py")
	cmd.Env = append(os.Environ(), "SPACELAB_ENDPOINT="+e.url,
		"CUSTOMER_KEY="+customerKey, "CUSTOMER_SECRET="+customerSecret, "CUSTOMER_REGION="+customerRegion, "CUSTOMER_VPC="+customerVPC,
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_EC2_METADATA_DISABLED=true")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("prefix_dhcp.py: %v\n%s", err, stderr.String())
	}
	var got map[string]any
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("prefix_dhcp.py printed %s: %v", out, err)
	}
	want := map[string]any{
		"CreateManagedPrefixList":                  "create-in-progress",
		"CreateManagedPrefixList.bad":              "PrefixListMaxEntriesExceeded 400",
		"CreateManagedPrefixList.unchanged":        float64(1),
		"ModifyManagedPrefixList":                  float64(2),
		"ModifyManagedPrefixList.bad":              "PrefixListVersionMismatch 400",
		"ModifyManagedPrefixList.unchanged":        []any{"198.51.100.0/24"},
		"DescribeManagedPrefixLists":               []any{true, "modify-complete", float64(2), float64(3)},
		"DescribeManagedPrefixLists.bad":           "InvalidPrefixListID.NotFound 400",
		"GetManagedPrefixListEntries":              []any{[]any{"198.51.100.0/24"}, []any{"192.0.2.0/24"}},
		"GetManagedPrefixListEntries.bad":          "InvalidParameterValue 400",
		"RestoreManagedPrefixListVersion":          []any{float64(3), []any{"192.0.2.0/24"}},
		"RestoreManagedPrefixListVersion.bad":      "PrefixListVersionMismatch 400",
		"AuthorizeSecurityGroupIngress.prefixList": true,
		"DescribeSecurityGroups.prefixList":        true,
		"CreateRoute.prefixList":                   []any{got["CreateRoute.prefixList"].([]any)[0]},
		"CreateRoute.prefixList.bad":               "RouteAlreadyExists 400",
		"GetManagedPrefixListAssociations":         true,
		"GetManagedPrefixListAssociations.bad":     "InvalidPrefixListID.NotFound 400",
		"DeleteManagedPrefixList.bad":              "DependencyViolation 400",
		"DeleteManagedPrefixList.unchanged":        float64(1),
		"DeleteManagedPrefixList":                  "delete-in-progress",
		"DescribePrefixLists":                      []any{},
		"DescribePrefixLists.bad":                  "InvalidPrefixListID.NotFound 400",
		"CreateDhcpOptions":                        []any{"domain-name", "domain-name-servers"},
		"CreateDhcpOptions.bad":                    "InvalidParameterValue 400",
		"AssociateDhcpOptions":                     true,
		"AssociateDhcpOptions.bad":                 "InvalidDhcpOptionID.NotFound 400",
		"DescribeDhcpOptions":                      []any{"corp.example"},
		"DescribeDhcpOptions.bad":                  "InvalidDhcpOptionID.NotFound 400",
		"DeleteDhcpOptions.bad":                    "DependencyViolation 400",
		"AssociateDhcpOptions.default":             "default",
		"DeleteDhcpOptions":                        true,
		"ModifyVpcPeeringConnectionOptions.bad":    "OperationNotPermitted 400",
		"ModifyVpcPeeringConnectionOptions":        []any{true, true, false},
	}
	if s, _ := got["CreateRoute.prefixList"].([]any); len(s) != 1 || !strings.HasPrefix(s[0].(string), "igw-") {
		t.Errorf("the prefix list route's target = %v, want the internet gateway", got["CreateRoute.prefixList"])
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("boto3 report (-want +got):\n%s", d)
	}
}
