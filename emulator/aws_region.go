package emulator

import (
	"slices"
	"strconv"
	"strings"
)

// AWSRegion is a commercial AWS region as EC2's DescribeRegions lists it, with the
// availability zones a fresh account sees there.
type AWSRegion struct {
	Name string
	// OptIn says the region is disabled until the account enables it (every region launched
	// after 20 March 2019). A fresh account reports it "not-opted-in"; the others are
	// "opt-in-not-required".
	OptIn bool
	// Zones are the availability zones in name order.
	Zones []AWSZone
}

// AWSZone is an availability zone: its name (region + letter) and zone id.
type AWSZone struct {
	Name, ID string
}

// Zone names and zone ids. On AWS the letter → id mapping is shuffled per account (us-east-1a
// is use1-az4 in one account and use1-az6 in another). spacelab uses one fixed, documented
// mapping for every account: the n-th zone of a region in name order has the n-th id in
// number order. Where AWS has retired a zone for new accounts, the retired letter and id are
// skipped exactly as a fresh account sees them: us-west-1 has zones a and b (usw1-az1,
// usw1-az3), ap-northeast-1 has a, c and d (apne1-az1, -az2, -az4), ca-central-1 has a, b
// and d (cac1-az1, -az2, -az4).

// awsRegions are every commercial region, in the order DescribeRegions lists them.
var awsRegions = []AWSRegion{
	region("af-south-1", true, "abc", 1, 2, 3),
	region("ap-east-1", true, "abc", 1, 2, 3),
	region("ap-east-2", true, "abc", 1, 2, 3),
	region("ap-northeast-1", false, "acd", 1, 2, 4),
	region("ap-northeast-2", false, "abcd", 1, 2, 3, 4),
	region("ap-northeast-3", false, "abc", 1, 2, 3),
	region("ap-south-1", false, "abc", 1, 2, 3),
	region("ap-south-2", true, "abc", 1, 2, 3),
	region("ap-southeast-1", false, "abc", 1, 2, 3),
	region("ap-southeast-2", false, "abc", 1, 2, 3),
	region("ap-southeast-3", true, "abc", 1, 2, 3),
	region("ap-southeast-4", true, "abc", 1, 2, 3),
	region("ap-southeast-5", true, "abc", 1, 2, 3),
	region("ap-southeast-6", true, "abc", 1, 2, 3),
	region("ap-southeast-7", true, "abc", 1, 2, 3),
	region("ca-central-1", false, "abd", 1, 2, 4),
	region("ca-west-1", true, "abc", 1, 2, 3),
	region("eu-central-1", false, "abc", 1, 2, 3),
	region("eu-central-2", true, "abc", 1, 2, 3),
	region("eu-north-1", false, "abc", 1, 2, 3),
	region("eu-south-1", true, "abc", 1, 2, 3),
	region("eu-south-2", true, "abc", 1, 2, 3),
	region("eu-west-1", false, "abc", 1, 2, 3),
	region("eu-west-2", false, "abc", 1, 2, 3),
	region("eu-west-3", false, "abc", 1, 2, 3),
	region("il-central-1", true, "abc", 1, 2, 3),
	region("me-central-1", true, "abc", 1, 2, 3),
	region("me-south-1", true, "abc", 1, 2, 3),
	region("mx-central-1", true, "abc", 1, 2, 3),
	region("sa-east-1", false, "abc", 1, 2, 3),
	region("us-east-1", false, "abcdef", 1, 2, 3, 4, 5, 6),
	region("us-east-2", false, "abc", 1, 2, 3),
	region("us-west-1", false, "ab", 1, 3),
	region("us-west-2", false, "abcd", 1, 2, 3, 4),
}

// region builds a region whose zone letters[i] has id <short>-az<ids[i]>.
func region(name string, optIn bool, letters string, ids ...int) AWSRegion {
	if len(letters) != len(ids) {
		panic("emulator: region " + name + ": letters and ids differ in number")
	}
	r := AWSRegion{Name: name, OptIn: optIn}
	short := regionShortName(name)
	for i, l := range letters {
		r.Zones = append(r.Zones, AWSZone{Name: name + string(l), ID: short + "-az" + strconv.Itoa(ids[i])})
	}
	return r
}

// regionShortName is the prefix of a region's zone ids: us-east-1 → use1, ap-northeast-2 →
// apne2, il-central-1 → ilc1, mx-central-1 → mxc1.
func regionShortName(name string) string {
	parts := strings.Split(name, "-")
	if len(parts) != 3 {
		return name
	}
	dir := map[string]string{"east": "e", "west": "w", "north": "n", "south": "s", "central": "c",
		"northeast": "ne", "northwest": "nw", "southeast": "se", "southwest": "sw"}[parts[1]]
	return parts[0] + dir + parts[2]
}

func validRegion(r string) bool { _, ok := LookupAWSRegion(r); return ok }

// Regions lists the names of every AWS region the emulator knows, opt-in ones included.
func Regions() []string {
	out := make([]string, 0, len(awsRegions))
	for _, r := range awsRegions {
		out = append(out, r.Name)
	}
	return out
}

// AWSRegions lists every commercial AWS region with its zones.
func AWSRegions() []AWSRegion {
	out := make([]AWSRegion, len(awsRegions))
	for i, r := range awsRegions {
		out[i] = AWSRegion{Name: r.Name, OptIn: r.OptIn, Zones: slices.Clone(r.Zones)}
	}
	return out
}

// LookupAWSRegion finds a region by name.
func LookupAWSRegion(name string) (AWSRegion, bool) {
	for _, r := range awsRegions {
		if r.Name == name {
			return AWSRegion{Name: r.Name, OptIn: r.OptIn, Zones: slices.Clone(r.Zones)}, true
		}
	}
	return AWSRegion{}, false
}

// ZoneID is the zone id of a zone name (us-east-1a → use1-az1), or "" for a zone no region has.
func ZoneID(zone string) string {
	for _, r := range awsRegions {
		if strings.HasPrefix(zone, r.Name) {
			for _, z := range r.Zones {
				if z.Name == zone {
					return z.ID
				}
			}
		}
	}
	return ""
}

// zoneNames lists a region's zone names.
func zoneNames(region string) []string {
	r, _ := LookupAWSRegion(region)
	var out []string
	for _, z := range r.Zones {
		out = append(out, z.Name)
	}
	return out
}

// OptInStatus is what DescribeRegions says of a region for an account: "opt-in-not-required",
// "opted-in" or "not-opted-in" ("" for a region that does not exist).
func (tx *Tx) OptInStatus(account, region string) string {
	r, ok := LookupAWSRegion(region)
	switch {
	case !ok:
		return ""
	case !r.OptIn:
		return "opt-in-not-required"
	}
	if a := tx.w.accounts[account]; a != nil && (a.Kind == "heroku" || slices.Contains(a.OptedIn, region)) {
		return "opted-in"
	}
	return "not-opted-in"
}

// RegionEnabled reports whether an account may call a region: it exists and needs no opt-in
// or the account has opted in.
func (tx *Tx) RegionEnabled(account, region string) bool {
	s := tx.OptInStatus(account, region)
	return s == "opt-in-not-required" || s == "opted-in"
}

// EnableRegion opts an account into an opt-in region (what the AWS Account Management API's
// EnableRegion does; a topology's opt_in_regions).
func (tx *Tx) EnableRegion(account, region string) error {
	if !validRegion(region) {
		return AWSErr("InvalidParameterValue", "Invalid region: %s", region)
	}
	tx.mustWriteModel(&tx.w.accounts) // what the account may call: the data plane does not see it
	a := tx.ensureAccount(account, "customer")
	tx.mustWriteModel(a)
	if !slices.Contains(a.OptedIn, region) {
		a.OptedIn = append(a.OptedIn, region)
	}
	return nil
}

// ErrZone is EC2's answer to a subnet in a zone the region does not have.
func ErrZone(region, zone string) error {
	return AWSErr("InvalidParameterValue", "Value (%s) for parameter availabilityZone is invalid. Subnets can currently only be created in the following availability zones: %s.", zone, strings.Join(zoneNames(region), ", "))
}
