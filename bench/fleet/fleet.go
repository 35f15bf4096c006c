// Package fleet builds the topologies the scale benchmarks start: one Private Space holding an
// app of N web dynos (and any other apps asked for, with no dynos), and M customer VPCs of one
// subnet with one instance serving HTTP each, so a size is "N dynos + M VPCs".
package fleet

import (
	"fmt"
	"strings"

	"github.com/spacelab-dev/spacelab/topology"
)

// Topology returns the fleet of the given size; extraApps are more apps of the space, idle.
func Topology(dynos, vpcs int, extraApps ...string) (*topology.Topology, error) {
	var b strings.Builder
	fmt.Fprintf(&b, `heroku:
  users: [{email: user@example.com}]
  spaces:
    - name: big
      team: t
      region: virginia
      apps:
        - name: web-app
          formation: {web: %d}
`, dynos)
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
