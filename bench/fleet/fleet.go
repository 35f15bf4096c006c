// Package fleet builds the topologies the scale benchmarks start: one Private Space holding N
// web dynos (and any other apps asked for, with no dynos), and M customer VPCs of one subnet
// with one instance serving HTTP each, so a size is "N dynos + M VPCs". The dynos are spread
// over apps of at most 1,000 each (web-app, web-app-2, …), as a user past Heroku's 1,000 per
// process type must.
package fleet

import (
	"fmt"
	"strings"

	"github.com/spacelab-dev/spacelab/topology"
)

// PerApp is how many web dynos one app of the fleet holds at most: Heroku's limit per process
// type (emulator.MaxDynosPerType).
const PerApp = 1000

// Topology returns the fleet of the given size; extraApps are more apps of the space, idle.
func Topology(dynos, vpcs int, extraApps ...string) (*topology.Topology, error) {
	var b strings.Builder
	b.WriteString(`heroku:
  users: [{email: user@example.com}]
  spaces:
    - name: big
      team: t
      region: virginia
      apps:
`)
	for i, left := 0, dynos; i == 0 || left > 0; i++ {
		name := "web-app"
		if i > 0 {
			name = fmt.Sprintf("web-app-%d", i+1)
		}
		n := min(left, PerApp)
		left -= n
		fmt.Fprintf(&b, "        - name: %s\n          formation: {web: %d}\n", name, n)
	}
	for _, a := range extraApps {
		fmt.Fprintf(&b, "        - name: %s\n", a)
	}
	b.WriteString(`aws:
  accounts:
    - id: "435886841536"
      access_key_id: AKIA1
      secret_access_key: s
      vpcs:
`)
	for i := range vpcs {
		fmt.Fprintf(&b, `        - id: vpc-0%016x
          region: us-east-1
          cidr: 172.%d.0.0/16
          subnets:
            - cidr: 172.%d.0.0/24
              instances: [{private_ip: 172.%d.0.8, services: [{http: 80}]}]
`, i+1, 16+i, 16+i, 16+i)
	}
	raw, err := topology.Parse([]byte(b.String()))
	if err != nil {
		return nil, fmt.Errorf("fleet: %w", err)
	}
	t, err := raw.Resolve()
	if err != nil {
		return nil, fmt.Errorf("fleet: %w", err)
	}
	return t, nil
}
