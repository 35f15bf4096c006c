package fakeheroku

import (
	"net/http"
	"net/netip"
	"sort"
	"strings"
	"time"

	"github.com/spacelab-dev/spacelab/emulator"
)

// peeringInfoJSON is the peering-info resource: what a customer enters in AWS to request a
// peering towards the space.
type peeringInfoJSON struct {
	AWSAccountID          string   `json:"aws_account_id"`
	AWSRegion             string   `json:"aws_region"`
	VPCID                 string   `json:"vpc_id"`
	VPCCIDR               string   `json:"vpc_cidr"`
	DynoCIDRBlocks        []string `json:"dyno_cidr_blocks"`
	SpaceCIDRBlocks       []string `json:"space_cidr_blocks"`
	UnavailableCIDRBlocks []string `json:"unavailable_cidr_blocks"`
}

// peeringJSON is the peering resource. expires is absent rather than null when a peering
// does not expire: the schema types it as a string only, and both clients read absence as
// "no expiry".
type peeringJSON struct {
	Type         string   `json:"type"`
	PcxID        string   `json:"pcx_id"`
	CIDRBlocks   []string `json:"cidr_blocks"`
	Status       string   `json:"status"`
	AWSVPCID     string   `json:"aws_vpc_id"`
	AWSRegion    string   `json:"aws_region"`
	AWSAccountID string   `json:"aws_account_id"`
	Expires      *string  `json:"expires,omitempty"`
}

func prefixes(ps []netip.Prefix) []string {
	out := make([]string, 0, len(ps))
	for _, p := range ps {
		out = append(out, p.String())
	}
	return out
}

func renderPeering(p emulator.SpacePeering) peeringJSON {
	return peeringJSON{Type: p.Type, PcxID: p.PcxID, CIDRBlocks: prefixes(p.CIDRBlocks), Status: p.Status,
		AWSVPCID: p.AWSVPCID, AWSRegion: p.AWSRegion, AWSAccountID: p.AWSAccountID, Expires: ts(p.Expires)}
}

// getPeeringInfo serves GET /spaces/{space}/peering-info (spaces:peering:info). The order of
// the space CIDR blocks is the model's, which follows the seed walkthrough
// (see emulator.Tx.SpacePeeringInfo).
func (s *Server) getPeeringInfo(w http.ResponseWriter, r *http.Request) {
	s.view(w, r, http.StatusOK, func(tx *emulator.Tx) (any, error) {
		sp, err := findSpace(tx, r, r.PathValue("space"))
		if err != nil {
			return nil, err
		}
		info := tx.SpacePeeringInfo(sp)
		return peeringInfoJSON{
			AWSAccountID: info.AWSAccountID, AWSRegion: info.AWSRegion, VPCID: info.VPCID,
			VPCCIDR:               info.VPCCIDR.String(),
			DynoCIDRBlocks:        prefixes(info.SpaceCIDRBlocks),
			SpaceCIDRBlocks:       prefixes(info.SpaceCIDRBlocks),
			UnavailableCIDRBlocks: prefixes(info.UnavailableCIDRBlocks),
		}, nil
	})
}

// listPeerings serves GET /spaces/{space}/peerings (spaces:peerings), ranged by pcx_id.
func (s *Server) listPeerings(w http.ResponseWriter, r *http.Request) {
	s.view(w, r, http.StatusOK, func(tx *emulator.Tx) (any, error) {
		sp, err := findSpace(tx, r, r.PathValue("space"))
		if err != nil {
			return nil, err
		}
		var items []peeringJSON
		for _, p := range spacePeerings(tx, sp) {
			items = append(items, renderPeering(p))
		}
		return newPage(s, items, []string{"pcx_id"}, func(p peeringJSON) string { return p.PcxID }), nil
	})
}

// failedPeeringShown is how long Heroku keeps listing a peering request towards the space
// that failed (CIDRs overlap, the VPC is not where the request said): as long as EC2 shows
// it to the requester.
const failedPeeringShown = 2 * time.Hour

// spacePeerings is what spaces:peerings lists: the model's peerings of the space plus the
// requests towards it that failed. EC2 shows a failed request only to its requester, but
// Heroku, which watches its own VPC, lists it with status failed so that the customer
// sees why nothing is pending acceptance.
func spacePeerings(tx *emulator.Tx, sp *emulator.Space) []emulator.SpacePeering {
	rows := tx.SpacePeerings(sp)
	seen := map[string]bool{}
	for _, r := range rows {
		seen[r.PcxID] = true
	}
	for _, p := range tx.Peerings() {
		if seen[p.ID] || p.Accepter.VPCID != sp.VPCID || p.Status(tx.Now()) != emulator.PcxFailed ||
			tx.Now().Sub(p.EndedAt) >= failedPeeringShown {
			continue
		}
		rows = append(rows, tx.SpacePeeringOf(sp, p))
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].PcxID < rows[j].PcxID })
	return rows
}

// getPeering serves GET /spaces/{space}/peerings/{pcx}.
func (s *Server) getPeering(w http.ResponseWriter, r *http.Request) {
	s.view(w, r, http.StatusOK, func(tx *emulator.Tx) (any, error) {
		sp, err := findSpace(tx, r, r.PathValue("space"))
		if err != nil {
			return nil, err
		}
		for _, p := range spacePeerings(tx, sp) {
			if p.PcxID == r.PathValue("pcx") {
				return renderPeering(p), nil
			}
		}
		p, err := tx.SpacePeering(sp, r.PathValue("pcx"))
		if err != nil {
			return nil, err
		}
		return renderPeering(p), nil
	})
}

// acceptPeeringByBody serves POST /spaces/{space}/peerings {"pcx_id": …}, the request
// spaces:peerings:accept sends.
func (s *Server) acceptPeeringByBody(w http.ResponseWriter, r *http.Request) {
	var body struct {
		PcxID *string `json:"pcx_id"`
	}
	if err := decodeBody(r, &body); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := required(map[string]bool{"pcx_id": body.PcxID != nil && strings.TrimSpace(*body.PcxID) != ""}); err != nil {
		s.fail(w, r, err)
		return
	}
	s.accept(w, r, *body.PcxID)
}

// acceptPeering serves POST /spaces/{space}/peerings/{pcx}/actions/accept, the schema's
// accept link (heroku-go's PeeringAccept).
func (s *Server) acceptPeering(w http.ResponseWriter, r *http.Request) {
	s.accept(w, r, r.PathValue("pcx"))
}

// accept accepts a pending peering (the model accepts it on the AWS side as Heroku's account
// and routes the peer CIDR from the space) and answers 202 with the peering, which satisfies
// the CLI (any 2xx) and heroku-go (needs a JSON body).
func (s *Server) accept(w http.ResponseWriter, r *http.Request, pcxID string) {
	s.update(w, r, http.StatusAccepted, func(tx *emulator.Tx) (any, error) {
		sp, err := findSpace(tx, r, r.PathValue("space"))
		if err != nil {
			return nil, err
		}
		p, err := tx.AcceptSpacePeering(sp, pcxID)
		if err != nil {
			return nil, err
		}
		return renderPeering(tx.SpacePeeringOf(sp, p)), nil
	})
}

// destroyPeering serves DELETE /spaces/{space}/peerings/{pcx} (spaces:peerings:destroy): a
// pending request is rejected, an active peering deleted. It answers 202 with the peering in
// its final state.
func (s *Server) destroyPeering(w http.ResponseWriter, r *http.Request) {
	s.update(w, r, http.StatusAccepted, func(tx *emulator.Tx) (any, error) {
		sp, err := findSpace(tx, r, r.PathValue("space"))
		if err != nil {
			return nil, err
		}
		p, err := tx.DestroySpacePeering(sp, r.PathValue("pcx"))
		if err != nil {
			return nil, err
		}
		return renderPeering(tx.SpacePeeringOf(sp, p)), nil
	})
}
