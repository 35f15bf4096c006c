package emulator

// AWSQuotas are the EC2 and VPC quotas the model enforces, with AWS's default values where a
// field is zero. Users who had theirs raised set them in the topology (aws: quotas:).
type AWSQuotas struct {
	// RulesPerSecurityGroup bounds inbound and, separately, outbound rules (default 60).
	RulesPerSecurityGroup int
	// SecurityGroupsPerENI bounds the groups of one network interface (default 5).
	SecurityGroupsPerENI int
	// RoutesPerRouteTable bounds the routes added to a route table, local ones not counted
	// (default 50).
	RoutesPerRouteTable int
	// InstancesPerRun bounds how many instances one RunInstances call may launch (default 20,
	// the historical On-Demand default): above MinCount it launches fewer, below it refuses.
	InstancesPerRun int
	// PeeringsPerVPC bounds the active peering connections of a VPC (default 50).
	PeeringsPerVPC int
	// ElasticIPsPerRegion bounds an account's Elastic IPs in one region (default 5).
	ElasticIPsPerRegion int
	// IPv4CIDRBlocksPerVPC bounds a VPC's IPv4 CIDR blocks, the primary one included (default 5).
	IPv4CIDRBlocksPerVPC int
}

// Default quotas, as AWS documents them for a new account.
const (
	DefaultRulesPerSecurityGroup = 60
	DefaultSecurityGroupsPerENI  = 5
	DefaultRoutesPerRouteTable   = 50
	DefaultInstancesPerRun       = 20
	DefaultPeeringsPerVPC        = 50
	DefaultElasticIPsPerRegion   = 5
	DefaultIPv4CIDRBlocksPerVPC  = 5
)

// WithDefaults returns q with AWS's default for every zero field.
func (q AWSQuotas) WithDefaults() AWSQuotas {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&q.RulesPerSecurityGroup, DefaultRulesPerSecurityGroup)
	def(&q.SecurityGroupsPerENI, DefaultSecurityGroupsPerENI)
	def(&q.RoutesPerRouteTable, DefaultRoutesPerRouteTable)
	def(&q.InstancesPerRun, DefaultInstancesPerRun)
	def(&q.PeeringsPerVPC, DefaultPeeringsPerVPC)
	def(&q.ElasticIPsPerRegion, DefaultElasticIPsPerRegion)
	def(&q.IPv4CIDRBlocksPerVPC, DefaultIPv4CIDRBlocksPerVPC)
	return q
}

// Quotas are the world's AWS quotas (defaults filled in).
func (tx *Tx) Quotas() AWSQuotas { return tx.w.opts.AWSQuotas.WithDefaults() }
