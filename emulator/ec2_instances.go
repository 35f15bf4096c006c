package emulator

// RunRequest is RunInstances' input as the model sees it.
type RunRequest struct {
	SubnetID string
	MinCount int
	MaxCount int
	Options  InstanceOptions
	// Fingerprint identifies the request's parameters (without its ClientToken); a repeated
	// ClientToken with another fingerprint is refused with IdempotentParameterMismatch.
	Fingerprint string
}

// RunInstances launches between MinCount and MaxCount instances (as many as the subnet has
// addresses for) in one reservation. A ClientToken the caller used before returns the
// instances of that earlier call instead, as EC2's idempotency does; replay reports that.
func (tx *Tx) RunInstances(c Caller, req RunRequest) (insts []*Instance, replay bool, err error) {
	tx.mustWrite()
	if tok := req.Options.ClientToken; tok != "" {
		for _, i := range tx.Instances() {
			if i.ClientToken == tok && c.owns(i.Account, i.Region) {
				if i.LaunchFingerprint != req.Fingerprint {
					return nil, false, AWSErr("IdempotentParameterMismatch", "Arguments on this idempotent request are inconsistent with arguments used in previous request(s).")
				}
				insts = append(insts, i)
			}
		}
		if len(insts) > 0 {
			return insts, true, nil
		}
	}
	switch {
	case req.MinCount < 1 || req.MaxCount < 1:
		return nil, false, AWSErr("InvalidParameterValue", "Value for parameter minCount and maxCount must be at least 1.")
	case req.MinCount > req.MaxCount:
		return nil, false, AWSErr("InvalidParameterValue", "Value (%d) for parameter maxCount is invalid. Must be greater than or equal to minCount (%d).", req.MaxCount, req.MinCount)
	case req.Options.PrivateIP.IsValid() && req.MaxCount > 1:
		return nil, false, AWSErr("InvalidParameterCombination", "The parameter privateIpAddress cannot be used when launching more than one instance.")
	case req.Options.ID != "" && req.MaxCount > 1:
		return nil, false, AWSErr("InvalidParameterCombination", "A fixed instance id cannot be used when launching more than one instance.")
	}
	for n := 0; n < req.MaxCount; n++ {
		i, err := tx.RunInstance(c, req.SubnetID, req.Options)
		if err != nil {
			if e, ok := AsAWS(err); ok && e.Code == "InsufficientFreeAddressesInSubnet" && n >= req.MinCount {
				break
			}
			for _, done := range insts {
				delete(tx.w.instances, done.ID)
			}
			return nil, false, err
		}
		i.LaunchFingerprint, i.LaunchIndex = req.Fingerprint, n
		if n > 0 {
			i.ReservationID = insts[0].ReservationID
		}
		insts = append(insts, i)
	}
	return insts, false, nil
}

// StateChange is an instance's state before and after TerminateInstances.
type StateChange struct {
	InstanceID string
	Previous   string
	Current    string
}

// TerminateInstances terminates instances of the caller. Every id must exist first. EC2
// reports shutting-down for a running instance; the model records it terminated at once
// (its address and security group memberships are free immediately).
func (tx *Tx) TerminateInstances(c Caller, ids []string) ([]StateChange, error) {
	tx.mustWrite()
	if len(ids) == 0 {
		return nil, AWSErr("MissingParameter", "The request must contain the parameter instanceId")
	}
	for _, id := range ids {
		i := tx.w.instances[id]
		if i == nil || !c.owns(i.Account, i.Region) {
			return nil, AWSErr("InvalidInstanceID.NotFound", "The instance ID '%s' does not exist", id)
		}
		if err := i.checkTerminable(); err != nil {
			return nil, err
		}
	}
	var out []StateChange
	for _, id := range ids {
		i := tx.w.instances[id]
		ch := StateChange{InstanceID: id, Previous: i.State, Current: "shutting-down"}
		if i.State == "terminated" {
			ch.Current = "terminated"
		}
		i.State = "terminated"
		out = append(out, ch)
	}
	return out, nil
}
