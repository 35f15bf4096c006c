package emulator_test

import (
	"fmt"

	"github.com/spacelab-dev/spacelab/emulator"
)

// Every commercial region is known with its zones; the zone ids follow spacelab's one fixed
// mapping (the n-th zone in name order has the n-th id, zones AWS retired for new accounts
// skipped).
func ExampleLookupAWSRegion() {
	for _, name := range []string{"us-east-1", "us-west-1", "af-south-1"} {
		r, _ := emulator.LookupAWSRegion(name)
		fmt.Print(r.Name, " opt-in=", r.OptIn, ":")
		for _, z := range r.Zones {
			fmt.Print(" ", z.Name, "=", z.ID)
		}
		fmt.Println()
	}
	// Output:
	// us-east-1 opt-in=false: us-east-1a=use1-az1 us-east-1b=use1-az2 us-east-1c=use1-az3 us-east-1d=use1-az4 us-east-1e=use1-az5 us-east-1f=use1-az6
	// us-west-1 opt-in=false: us-west-1a=usw1-az1 us-west-1b=usw1-az3
	// af-south-1 opt-in=true: af-south-1a=afs1-az1 af-south-1b=afs1-az2 af-south-1c=afs1-az3
}
