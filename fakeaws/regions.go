package fakeaws

import (
	"slices"
	"strings"

	"github.com/spacelab-dev/spacelab/emulator"
)

func init() {
	register("DescribeRegions", describeRegions)
	register("DescribeAvailabilityZones", describeAvailabilityZones)
}

// zoneID is a zone's id (us-east-1a → use1-az1) in spacelab's fixed zone mapping.
func zoneID(zone string) string { return emulator.ZoneID(zone) }

type regionXML struct {
	RegionName     string `xml:"regionName"`
	RegionEndpoint string `xml:"regionEndpoint"`
	OptInStatus    string `xml:"optInStatus"`
}

type describeRegionsResponse struct {
	RegionInfo items[regionXML] `xml:"regionInfo"`
}

var regionFields = fields[regionXML]{
	"region-name":   func(r regionXML) []string { return one(r.RegionName) },
	"endpoint":      func(r regionXML) []string { return one(r.RegionEndpoint) },
	"opt-in-status": func(r regionXML) []string { return one(r.OptInStatus) },
}

// describeRegions lists the regions enabled for the caller's account; AllRegions adds the
// opt-in regions it has not enabled, and naming a region lists it whatever its status.
func describeRegions(s *Server, r *request) (response, error) {
	fs, err := r.Params.filters()
	if err != nil {
		return nil, err
	}
	all, err := r.Params.boolean("AllRegions", false)
	if err != nil {
		return nil, err
	}
	names := r.Params.list("RegionName")
	var rows []regionXML
	if err := s.view(r, func(tx *emulator.Tx) error {
		for _, reg := range emulator.AWSRegions() {
			st := tx.OptInStatus(r.Caller.Account, reg.Name)
			if st == "not-opted-in" && !all && len(names) == 0 {
				continue
			}
			rows = append(rows, regionXML{RegionName: reg.Name, RegionEndpoint: "ec2." + reg.Name + ".amazonaws.com", OptInStatus: st})
		}
		var missing []string
		if rows, missing = pickIDs(rows, func(x regionXML) string { return x.RegionName }, names); len(missing) > 0 {
			return emulator.AWSErr("InvalidParameterValue", "Invalid region: %s", missing[0])
		}
		rows, err = applyFilters(rows, fs, regionFields, nil)
		return err
	}); err != nil {
		return nil, err
	}
	return &describeRegionsResponse{RegionInfo: list(rows)}, nil
}

type zoneXML struct {
	ZoneName           string          `xml:"zoneName"`
	ZoneID             string          `xml:"zoneId"`
	ZoneState          string          `xml:"zoneState"`
	OptInStatus        string          `xml:"optInStatus"`
	RegionName         string          `xml:"regionName"`
	GroupName          string          `xml:"groupName"`
	NetworkBorderGroup string          `xml:"networkBorderGroup"`
	ZoneType           string          `xml:"zoneType"`
	GroupLongName      string          `xml:"groupLongName"`
	MessageSet         items[struct{}] `xml:"messageSet"`
}

type describeZonesResponse struct {
	AvailabilityZoneInfo items[zoneXML] `xml:"availabilityZoneInfo"`
}

var zoneFields = fields[zoneXML]{
	"zone-name":            func(z zoneXML) []string { return one(z.ZoneName) },
	"zone-id":              func(z zoneXML) []string { return one(z.ZoneID) },
	"state":                func(z zoneXML) []string { return one(z.ZoneState) },
	"region-name":          func(z zoneXML) []string { return one(z.RegionName) },
	"group-name":           func(z zoneXML) []string { return one(z.GroupName) },
	"group-long-name":      func(z zoneXML) []string { return one(z.GroupLongName) },
	"network-border-group": func(z zoneXML) []string { return one(z.NetworkBorderGroup) },
	"opt-in-status":        func(z zoneXML) []string { return one(z.OptInStatus) },
	"zone-type":            func(z zoneXML) []string { return one(z.ZoneType) },
	"message":              func(z zoneXML) []string { return nil },
	"parent-zone-id":       func(z zoneXML) []string { return nil },
	"parent-zone-name":     func(z zoneXML) []string { return nil },
}

// zones lists the availability zones of a region. Availability zones proper need no opt-in
// (only Local and Wavelength Zones do, and spacelab has none), so they are all
// opt-in-not-required and AllAvailabilityZones lists the same zones.
func zones(region string) []zoneXML {
	reg, _ := emulator.LookupAWSRegion(region)
	var out []zoneXML
	for _, z := range reg.Zones {
		out = append(out, zoneXML{ZoneName: z.Name, ZoneID: z.ID, ZoneState: "available",
			OptInStatus: "opt-in-not-required", RegionName: region, GroupName: region + "-zg-1",
			NetworkBorderGroup: region, ZoneType: "availability-zone", GroupLongName: regionLongName(region) + " 1"})
	}
	return out
}

// regionLongName is the zone group's long name AWS shows for a region's own zones.
func regionLongName(region string) string {
	names := map[string]string{
		"af-south-1": "Africa (Cape Town)", "ap-east-1": "Asia Pacific (Hong Kong)", "ap-east-2": "Asia Pacific (Taipei)",
		"ap-northeast-1": "Asia Pacific (Tokyo)", "ap-northeast-2": "Asia Pacific (Seoul)", "ap-northeast-3": "Asia Pacific (Osaka)",
		"ap-south-1": "Asia Pacific (Mumbai)", "ap-south-2": "Asia Pacific (Hyderabad)", "ap-southeast-1": "Asia Pacific (Singapore)",
		"ap-southeast-2": "Asia Pacific (Sydney)", "ap-southeast-3": "Asia Pacific (Jakarta)", "ap-southeast-4": "Asia Pacific (Melbourne)",
		"ap-southeast-5": "Asia Pacific (Malaysia)", "ap-southeast-6": "Asia Pacific (New Zealand)", "ap-southeast-7": "Asia Pacific (Thailand)",
		"ca-central-1": "Canada (Central)", "ca-west-1": "Canada West (Calgary)", "eu-central-1": "Europe (Frankfurt)",
		"eu-central-2": "Europe (Zurich)", "eu-north-1": "Europe (Stockholm)", "eu-south-1": "Europe (Milan)", "eu-south-2": "Europe (Spain)",
		"eu-west-1": "Europe (Ireland)", "eu-west-2": "Europe (London)", "eu-west-3": "Europe (Paris)", "il-central-1": "Israel (Tel Aviv)",
		"me-central-1": "Middle East (UAE)", "me-south-1": "Middle East (Bahrain)", "mx-central-1": "Mexico (Central)",
		"sa-east-1": "South America (Sao Paulo)", "us-east-1": "US East (N. Virginia)", "us-east-2": "US East (Ohio)",
		"us-west-1": "US West (N. California)", "us-west-2": "US West (Oregon)",
	}
	return names[region]
}

func describeAvailabilityZones(s *Server, r *request) (response, error) {
	fs, err := r.Params.filters()
	if err != nil {
		return nil, err
	}
	if _, err := r.Params.boolean("AllAvailabilityZones", false); err != nil {
		return nil, err
	}
	rows := zones(r.Caller.Region)
	if names := r.Params.list("ZoneName"); len(names) > 0 {
		var missing []string
		if rows, missing = pickIDs(rows, func(z zoneXML) string { return z.ZoneName }, names); len(missing) > 0 {
			return nil, emulator.AWSErr("InvalidParameterValue", "Invalid availability zone: [%s]", strings.Join(missing, ", "))
		}
	}
	if ids := r.Params.list("ZoneId"); len(ids) > 0 {
		var missing []string
		if rows, missing = pickIDs(rows, func(z zoneXML) string { return z.ZoneID }, ids); len(missing) > 0 {
			return nil, emulator.AWSErr("InvalidParameterValue", "Invalid availability zone ID: [%s]", strings.Join(missing, ", "))
		}
	}
	rows, err = applyFilters(rows, fs, zoneFields, nil)
	if err != nil {
		return nil, err
	}
	if err := s.view(r, func(*emulator.Tx) error { return nil }); err != nil {
		return nil, err
	}
	return &describeZonesResponse{AvailabilityZoneInfo: list(rows)}, nil
}

// zoneByID finds the zone name of a zone id in a region, or "".
func zoneByID(region, id string) string {
	i := slices.IndexFunc(zones(region), func(z zoneXML) bool { return z.ZoneID == id })
	if i < 0 {
		return ""
	}
	return zones(region)[i].ZoneName
}
