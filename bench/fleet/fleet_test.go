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
	// Past 1,000 dynos they are spread over apps of 1,000 (Heroku's limit per process type).
	t, err = fleet.Topology(5000, 20)
	if err != nil {
		panic(err)
	}
	fmt.Println(len(t.Spaces[0].Apps), t.Spaces[0].Apps[4].Spec.Name, t.Spaces[0].Apps[4].Formation["web"])
	// Output:
	// 1 2
	// 5 web-app-5 1000
}
