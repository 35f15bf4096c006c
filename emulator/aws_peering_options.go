package emulator

// Peering connection options: each owner sets its own side's AllowDnsResolutionFromRemoteVpc
// on an active connection. spacelab stores and describes it; its instances have no public DNS
// hostnames, so there is nothing in the data plane for the option to change (private DNS
// names already resolve only inside their own VPC, with or without it). The ClassicLink
// options are gone from EC2 and are refused.

// PeeringOptionsChange is one side's requested options; nil leaves that side alone.
type PeeringOptionsChange struct {
	AllowDNSResolutionFromRemoteVPC *bool
	// ClassicLink is set when a request asks for a ClassicLink option.
	ClassicLink bool
}

// ModifyPeeringOptions changes the requester's and/or the accepter's options. The caller must
// own the side it changes (in that side's region) and the connection must be active.
func (tx *Tx) ModifyPeeringOptions(c Caller, id string, requester, accepter *PeeringOptionsChange) (*Peering, error) {
	p, err := tx.callerPeering(c, id)
	if err != nil {
		return nil, err
	}
	tx.mustWriteFor(Changed{"peering", p.ID}, p)
	if requester == nil && accepter == nil {
		return nil, AWSErr("MissingParameter", "The request must contain the parameter requesterPeeringConnectionOptions or accepterPeeringConnectionOptions")
	}
	if s := p.Status(tx.now); s != PcxActive {
		return nil, AWSErr("OperationNotPermitted", "Peering connection %s is not active (%s); its options can only be modified while it is active", p.ID, s)
	}
	for _, ch := range []struct {
		change *PeeringOptionsChange
		side   *PeerSide
		name   string
	}{{requester, &p.Requester, "requester"}, {accepter, &p.Accepter, "accepter"}} {
		if ch.change == nil {
			continue
		}
		if ch.change.ClassicLink {
			return nil, AWSErr("UnsupportedOperation", "ClassicLink options are no longer supported (%s side of %s)", ch.name, p.ID)
		}
		if c.Account != ch.side.Account || c.Region != ch.side.Region {
			return nil, AWSErr("OperationNotPermitted", "User (%s) cannot modify the %s options of peering connection %s", c.Account, ch.name, p.ID)
		}
	}
	if requester != nil && requester.AllowDNSResolutionFromRemoteVPC != nil {
		p.Requester.AllowDNSResolutionFromRemoteVPC = *requester.AllowDNSResolutionFromRemoteVPC
	}
	if accepter != nil && accepter.AllowDNSResolutionFromRemoteVPC != nil {
		p.Accepter.AllowDNSResolutionFromRemoteVPC = *accepter.AllowDNSResolutionFromRemoteVPC
	}
	return p, nil
}
