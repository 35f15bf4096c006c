package emulator

// Region is a Heroku region and the AWS region it runs in.
type Region struct {
	ID          string
	Name        string
	Description string
	AWSRegion   string
	Country     string
	Locale      string
	Private     bool // a Private Spaces region
}

// HerokuRegions are the Private Space regions plus the Common Runtime ones. The AWS mapping
// follows the region list of the peering-info schema.
var HerokuRegions = []Region{
	{"ed30241c-ed8c-4bb6-9714-61953675d0b4", "dublin", "Dublin, Ireland", "eu-west-1", "Ireland", "dublin", true},
	{"ed30241c-ed8c-4bb6-9714-61953675d0b5", "frankfurt", "Frankfurt, Germany", "eu-central-1", "Germany", "frankfurt", true},
	{"ed30241c-ed8c-4bb6-9714-61953675d0b6", "london", "London, United Kingdom", "eu-west-2", "United Kingdom", "london", true},
	{"ed30241c-ed8c-4bb6-9714-61953675d0b7", "montreal", "Montreal, Canada", "ca-central-1", "Canada", "montreal", true},
	{"ed30241c-ed8c-4bb6-9714-61953675d0b8", "mumbai", "Mumbai, India", "ap-south-1", "India", "mumbai", true},
	{"ed30241c-ed8c-4bb6-9714-61953675d0b9", "oregon", "Oregon, United States", "us-west-2", "United States", "oregon", true},
	{"ed30241c-ed8c-4bb6-9714-61953675d0ba", "singapore", "Singapore", "ap-southeast-1", "Singapore", "singapore", true},
	{"ed30241c-ed8c-4bb6-9714-61953675d0bb", "sydney", "Sydney, Australia", "ap-southeast-2", "Australia", "sydney", true},
	{"ed30241c-ed8c-4bb6-9714-61953675d0bc", "tokyo", "Tokyo, Japan", "ap-northeast-1", "Japan", "tokyo", true},
	{"ed30241c-ed8c-4bb6-9714-61953675d0bd", "virginia", "Virginia, United States", "us-east-1", "United States", "virginia", true},
	{"59accabd-516d-4f0e-83e6-6e3757701145", "us", "United States", "us-east-1", "United States", "us", false},
	{"ed30241c-ed8c-4bb6-9714-61953675d0b3", "eu", "Europe", "eu-west-1", "Ireland", "eu", false},
}

// LookupRegion finds a Heroku region by name or id.
func LookupRegion(nameOrID string) (Region, bool) {
	for _, r := range HerokuRegions {
		if r.Name == nameOrID || r.ID == nameOrID {
			return r, true
		}
	}
	return Region{}, false
}
