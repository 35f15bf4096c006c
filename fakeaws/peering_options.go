package fakeaws

import "github.com/spacelab-dev/spacelab/emulator"

func init() {
	register("ModifyVpcPeeringConnectionOptions", modifyVpcPeeringConnectionOptions)
}

type modifyPeeringOptionsResponse struct {
	AccepterPeeringConnectionOptions  *peeringOptions `xml:"accepterPeeringConnectionOptions,omitempty"`
	RequesterPeeringConnectionOptions *peeringOptions `xml:"requesterPeeringConnectionOptions,omitempty"`
}

// peeringOptionsParam reads prefix.AllowDnsResolutionFromRemoteVpc (and notes ClassicLink
// options); nil when the request has none of them.
func peeringOptionsParam(p params, prefix string) (*emulator.PeeringOptionsChange, error) {
	var ch emulator.PeeringOptionsChange
	seen := false
	if p.has(prefix + ".AllowDnsResolutionFromRemoteVpc") {
		v, err := p.boolean(prefix+".AllowDnsResolutionFromRemoteVpc", false)
		if err != nil {
			return nil, err
		}
		ch.AllowDNSResolutionFromRemoteVPC, seen = &v, true
	}
	for _, k := range []string{".AllowEgressFromLocalClassicLinkToRemoteVpc", ".AllowEgressFromLocalVpcToRemoteClassicLink"} {
		if p.has(prefix + k) {
			v, err := p.boolean(prefix+k, false)
			if err != nil {
				return nil, err
			}
			seen = true
			ch.ClassicLink = ch.ClassicLink || v
		}
	}
	if !seen {
		return nil, nil
	}
	return &ch, nil
}

func modifyVpcPeeringConnectionOptions(s *Server, r *request) (response, error) {
	id, err := r.Params.required("VpcPeeringConnectionId")
	if err != nil {
		return nil, err
	}
	req, err := peeringOptionsParam(r.Params, "RequesterPeeringConnectionOptions")
	if err != nil {
		return nil, err
	}
	acc, err := peeringOptionsParam(r.Params, "AccepterPeeringConnectionOptions")
	if err != nil {
		return nil, err
	}
	resp := &modifyPeeringOptionsResponse{}
	err = s.update(r, func(tx *emulator.Tx) error {
		p, err := tx.ModifyPeeringOptions(r.Caller, id, req, acc)
		if err != nil {
			return err
		}
		if req != nil {
			resp.RequesterPeeringConnectionOptions = &peeringOptions{AllowDNSResolutionFromRemoteVpc: p.Requester.AllowDNSResolutionFromRemoteVPC}
		}
		if acc != nil {
			resp.AccepterPeeringConnectionOptions = &peeringOptions{AllowDNSResolutionFromRemoteVpc: p.Accepter.AllowDNSResolutionFromRemoteVPC}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}
