package fleet_test

import (
	"fmt"

	"github.com/spacelab-dev/spacelab/bench/fleet"
)

// A fleet of 1,000 dynos and 20 VPCs, as `go run ./bench/scale -sizes 1000x20` starts.
func ExampleTopology() {
	t, err := fleet.Topology(1000, 20, "idle-app")
	if err != nil {
		panic(err)
	}
	fmt.Println(len(t.Spaces), len(t.Spaces[0].Apps))
	// Output: 1 2
}
