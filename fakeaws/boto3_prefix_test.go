package fakeaws_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestBoto3PrefixListsAndDHCPOptions drives every managed prefix list, DHCP options and
// peering options action with boto3 (testdata/boto3/prefix_dhcp.py), each with a bad request
// that must get EC2's error code and status and leave the state as it was.
func TestBoto3PrefixListsAndDHCPOptions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	got := runBoto3(t, e, "prefix_dhcp.py")
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
