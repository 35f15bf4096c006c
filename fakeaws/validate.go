package fakeaws

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/spacelab-dev/spacelab/emulator"
)

// Checks every request passes before its action runs, the way EC2's front end refuses input
// before any resource is looked up: the API version, text that is not UTF-8 or holds control
// characters, and resource ids that cannot be ids at all (answered .Malformed, where an id
// that is well formed but unknown is .NotFound).

// checkVersion refuses a missing or unknown Version. EC2 answers NoSuchVersion for a version it
// does not have; the fake speaks only 2016-11-15 (every current client sends it). STS, a
// generic Query service, says it has no such operation in that version.
func checkVersion(p params, d dialect, action string) error {
	v, sent := p.get("Version"), p.has("Version")
	if !sent || v == "" {
		return emulator.AWSErr("MissingParameter", "The request must contain the parameter Version")
	}
	if d == dialectSTS {
		if v != stsVersion {
			return emulator.AWSErr("InvalidAction", "Could not find operation %s for version %s", action, v)
		}
		return nil
	}
	if v != ec2Version {
		return emulator.AWSErr("NoSuchVersion", "The requested version (%s) of service AmazonEC2 does not exist", v)
	}
	return nil
}

// checkText refuses parameter names or values that are not UTF-8 or contain control
// characters other than tab, line feed and carriage return (EC2 names, descriptions and tags
// are text; a byte that is not would otherwise be stored as U+FFFD and never match again).
func checkText(p params) error {
	for _, k := range slices.Sorted(mapsKeys(p)) {
		for _, v := range p.v[k] {
			if !utf8.ValidString(k) || !utf8.ValidString(v) {
				return emulator.AWSErr("InvalidParameterValue", "Value for parameter %s is not valid UTF-8", strings.ToValidUTF8(k, "?"))
			}
			if i := strings.IndexFunc(k+v, isControl); i >= 0 {
				return emulator.AWSErr("InvalidParameterValue", "Value %s for parameter %s contains a control character (U+%04X)", strconv.QuoteToASCII(v), strconv.QuoteToASCII(k), []rune((k + v)[i:])[0])
			}
		}
	}
	return nil
}

func mapsKeys(p params) func(yield func(string) bool) {
	return func(yield func(string) bool) {
		for k := range p.v {
			if !yield(k) {
				return
			}
		}
	}
}

func isControl(r rune) bool {
	return unicode.IsControl(r) && r != '\t' && r != '\n' && r != '\r'
}

// idParams are the id parameters EC2 checks for form: the parameter (with or without a list
// index), the id's prefix and the .Malformed code.
var idParams = map[string]struct{ prefix, code string }{
	"VpcId":                  {"vpc-", "InvalidVpcID.Malformed"},
	"PeerVpcId":              {"vpc-", "InvalidVpcID.Malformed"},
	"SubnetId":               {"subnet-", "InvalidSubnetID.Malformed"},
	"RouteTableId":           {"rtb-", "InvalidRouteTableID.Malformed"},
	"GroupId":                {"sg-", "InvalidGroupId.Malformed"},
	"SecurityGroupId":        {"sg-", "InvalidGroupId.Malformed"},
	"InstanceId":             {"i-", "InvalidInstanceID.Malformed"},
	"VpcPeeringConnectionId": {"pcx-", "InvalidVpcPeeringConnectionId.Malformed"},
	"CustomerGatewayId":      {"cgw-", "InvalidCustomerGatewayId.Malformed"},
	"NetworkInterfaceId":     {"eni-", "InvalidNetworkInterfaceID.Malformed"},
}

// checkIDs refuses an id parameter whose value is not its prefix followed by 1 to 17
// lower-case hex digits (EC2's ids have 8 or 17; the fake accepts any length up to 17 so that
// a topology's shorter ids stay addressable). The message is EC2's: Invalid id: "vpc-nope".
func checkIDs(p params) error {
	for _, k := range slices.Sorted(mapsKeys(p)) {
		name := k
		if base, idx, ok := strings.Cut(k, "."); ok {
			if _, err := strconv.Atoi(idx); err != nil {
				continue
			}
			name = base
		}
		spec, ok := idParams[name]
		if !ok {
			continue
		}
		for _, v := range p.v[k] {
			if v == "" {
				continue // a missing value is MissingParameter, the action's own check
			}
			if !wellFormedID(v, spec.prefix) {
				return emulator.AWSErr(spec.code, "Invalid id: %s", strconv.QuoteToASCII(v))
			}
		}
	}
	return nil
}

func wellFormedID(id, prefix string) bool {
	hex, ok := strings.CutPrefix(id, prefix)
	if !ok || len(hex) == 0 || len(hex) > 17 {
		return false
	}
	for _, c := range hex {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// checkInput runs the checks above in EC2's order.
func checkInput(p params, d dialect, action string) error {
	if err := checkText(p); err != nil {
		return err
	}
	if err := checkVersion(p, d, action); err != nil {
		return err
	}
	if d == dialectSTS {
		return nil
	}
	if err := checkIDs(p); err != nil {
		return fmt.Errorf("fakeaws: %w", err)
	}
	return nil
}
