package emulator

// InstanceAttributes are an instance's settings that DescribeInstanceAttribute reads and
// ModifyInstanceAttribute changes. Those with an effect on the network are enforced: an
// instance with SourceDestCheck on only sends and receives its own addresses' packets.
type InstanceAttributes struct {
	UserData              string // as given (base64), "" when none
	DisableAPITermination bool
	DisableAPIStop        bool
	ShutdownBehavior      string // stop (default) or terminate
	EBSOptimized          bool
	// SourceDestCheck is EC2's default true; NAT instances turn it off.
	SourceDestCheck bool
	Monitoring      bool
	// Metadata service options (MetadataOptions).
	HTTPTokens   string // optional or required
	HTTPEndpoint string // enabled or disabled
	HopLimit     int
	// CPUCredits is standard or unlimited for burstable types, "" otherwise.
	CPUCredits string
	// Hibernation is HibernationOptions.Configured.
	Hibernation bool
}

// DefaultInstanceAttributes are what EC2 gives an instance launched without saying.
func DefaultInstanceAttributes() InstanceAttributes {
	return InstanceAttributes{ShutdownBehavior: "stop", SourceDestCheck: true, HTTPTokens: "required", HTTPEndpoint: "enabled", HopLimit: 2}
}

// Validate refuses values EC2 refuses.
func (a InstanceAttributes) Validate() error {
	switch a.ShutdownBehavior {
	case "stop", "terminate":
	default:
		return AWSErr("InvalidParameterValue", "Value (%s) for parameter instanceInitiatedShutdownBehavior is invalid. Valid values: stop, terminate", a.ShutdownBehavior)
	}
	switch a.HTTPTokens {
	case "optional", "required":
	default:
		return AWSErr("InvalidParameterValue", "Value (%s) for parameter HttpTokens is invalid. Valid values: optional, required", a.HTTPTokens)
	}
	switch a.HTTPEndpoint {
	case "enabled", "disabled":
	default:
		return AWSErr("InvalidParameterValue", "Value (%s) for parameter HttpEndpoint is invalid. Valid values: enabled, disabled", a.HTTPEndpoint)
	}
	if a.HopLimit < 1 || a.HopLimit > 64 {
		return AWSErr("InvalidParameterValue", "Value (%d) for parameter HttpPutResponseHopLimit is invalid. Valid values: 1-64", a.HopLimit)
	}
	switch a.CPUCredits {
	case "", "standard", "unlimited":
	default:
		return AWSErr("InvalidParameterValue", "Value (%s) for parameter cpuCredits is invalid. Valid values: standard, unlimited", a.CPUCredits)
	}
	return nil
}

// SetInstanceAttributes replaces an instance's attributes after fn changed a copy of them.
// A terminated instance cannot be changed.
func (tx *Tx) SetInstanceAttributes(c Caller, id string, fn func(a *InstanceAttributes) error) error {
	i := tx.w.instances[id]
	if i == nil || !c.owns(i.Account, i.Region) {
		return AWSErr("InvalidInstanceID.NotFound", "The instance ID '%s' does not exist", id)
	}
	if i.State == "terminated" {
		return AWSErr("IncorrectInstanceState", "The instance '%s' is not in a state from which it can be modified.", id)
	}
	a := i.Attributes
	if err := fn(&a); err != nil {
		return err
	}
	if err := a.Validate(); err != nil {
		return err
	}
	if a.SourceDestCheck != i.Attributes.SourceDestCheck {
		tx.mustWriteFor(Changed{"instance", id}, i) // its forwarding
	} else {
		tx.mustWriteModel(i) // the rest are the model's (user data runs at launch)
	}
	i.Attributes = a
	return nil
}

// checkTerminable refuses to terminate an instance protected by DisableApiTermination.
func (i *Instance) checkTerminable() error {
	if i.Attributes.DisableAPITermination {
		return AWSErr("OperationNotPermitted", "The instance '%s' may not be terminated. Modify its 'disableApiTermination' instance attribute and try again.", i.ID)
	}
	return nil
}

// Owns reports whether a resource of account and region is the caller's.
func (c Caller) Owns(account, region string) bool { return c.owns(account, region) }
