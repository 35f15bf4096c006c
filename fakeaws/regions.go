package fakeaws

import (
	"strings"

	"github.com/spacelab-dev/spacelab/emulator"
)

func init() {
	register("DescribeRegions", describeRegions)
	register("DescribeAvailabilityZones", describeAvailabilityZones)
}

// zoneLetters are the availability zones the emulator offers in every region.
var zoneLetters = []string{"a", "b", "c"}

// zoneID derives an AZ id from a zone name the way EC2 spells them: us-east-1a → use1-az1,
// ap-northeast-1c → apne1-az3.
func zoneID(zone string) string {
	if zone == "" {
		return ""
	}
	region, letter := zone[:len(zone)-1], zone[len(zone)-1:]
	parts := strings.Split(region, "-")
	if len(parts) != 3 {
		return ""
	}
	dir := map[string]string{"east": "e", "west": "w", "north": "n", "south": "s", "central": "c",
		"northeast": "ne", "northwest": "nw", "southeast": "se", "southwest": "sw"}[parts[1]]
	n := strings.Index("abcdefghijklmnopqrstuvwxyz", letter) + 1
	return parts[0] + dir + parts[2] + "-az" + itoa(n)
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}

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

func describeRegions(s *Server, r *request) (response, error) {
	fs, err := r.Params.filters()
	if err != nil {
		return nil, err
	}
	var all []regionXML
	for _, name := range emulator.Regions() {
		all = append(all, regionXML{RegionName: name, RegionEndpoint: "ec2." + name + ".amazonaws.com", OptInStatus: "opt-in-not-required"})
	}
	rows, missing := pickIDs(all, func(x regionXML) string { return x.RegionName }, r.Params.list("RegionName"))
	if len(missing) > 0 {
		return nil, emulator.AWSErr("InvalidParameterValue", "Invalid region: %s", missing[0])
	}
	rows, err = applyFilters(rows, fs, regionFields, nil)
	if err != nil {
		return nil, err
	}
	if err := s.view(r, func(*emulator.Tx) error { return nil }); err != nil {
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
	"network-border-group": func(z zoneXML) []string { return one(z.NetworkBorderGroup) },
	"opt-in-status":        func(z zoneXML) []string { return one(z.OptInStatus) },
	"zone-type":            func(z zoneXML) []string { return one(z.ZoneType) },
}

// zones lists the availability zones of a region.
func zones(region string) []zoneXML {
	var out []zoneXML
	for _, l := range zoneLetters {
		out = append(out, zoneXML{ZoneName: region + l, ZoneID: zoneID(region + l), ZoneState: "available",
			OptInStatus: "opt-in-not-required", RegionName: region, GroupName: region + "-zg-1",
			NetworkBorderGroup: region, ZoneType: "availability-zone"})
	}
	return out
}

func describeAvailabilityZones(s *Server, r *request) (response, error) {
	fs, err := r.Params.filters()
	if err != nil {
		return nil, err
	}
	all := zones(r.Caller.Region)
	rows, missing := pickIDs(all, func(z zoneXML) string { return z.ZoneName }, r.Params.list("ZoneName"))
	if len(missing) > 0 {
		return nil, emulator.AWSErr("InvalidParameterValue", "The zone '%s' does not exist.", missing[0])
	}
	rows, missing = pickIDs(rows, func(z zoneXML) string { return z.ZoneID }, r.Params.list("ZoneId"))
	if len(missing) > 0 {
		return nil, emulator.AWSErr("InvalidParameterValue", "The zone ID '%s' does not exist.", missing[0])
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
