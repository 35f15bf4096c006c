package emulator

// awsRegions are the regions the emulator accepts.
var awsRegions = []string{
	"us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "sa-east-1",
	"eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1", "eu-north-1",
	"ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-south-1", "ap-southeast-1", "ap-southeast-2",
}

func validRegion(r string) bool {
	for _, x := range awsRegions {
		if x == r {
			return true
		}
	}
	return false
}

// Regions lists the AWS regions the emulator accepts.
func Regions() []string { return append([]string(nil), awsRegions...) }
