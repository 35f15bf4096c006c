package emulator

import (
	"net/http"
	"strings"
	"time"
)

// NAT states of a space (GET /spaces/{space}/nat).
const (
	NATEnabled  = "enabled"
	NATUpdating = "updating"
	NATDisabled = "disabled"
)

// Generations a space can be created in.
var spaceGenerations = []string{"cedar", "fir"}

// ProvisionSpace creates a space the way POST /spaces does: validated like CreateSpace (name,
// team, region, CIDR rules), and in state allocating with its outbound NAT still updating,
// until FinishSpaceAllocations allocates it. The generation is cedar (the default) or fir.
func (tx *Tx) ProvisionSpace(s SpaceSpec) (*Space, error) {
	tx.mustWrite()
	if s.Generation == "" {
		s.Generation = "cedar"
	}
	ok := false
	for _, g := range spaceGenerations {
		ok = ok || s.Generation == g
	}
	if !ok {
		return nil, HerokuErr(http.StatusUnprocessableEntity, "invalid_params", "Generation must be one of: %s.", strings.Join(spaceGenerations, ", "))
	}
	s.Allocating = true
	sp, err := tx.CreateSpace(s)
	if err != nil {
		return nil, err
	}
	sp.NATState = NATUpdating
	return sp, nil
}

// DueSpaceAllocations lists the spaces still allocating that were created at least minAge ago.
func (tx *Tx) DueSpaceAllocations(minAge time.Duration) []*Space {
	var out []*Space
	for _, sp := range tx.Spaces() {
		if sp.State == SpaceAllocating && !tx.now.Before(sp.CreatedAt.Add(minAge)) {
			out = append(out, sp)
		}
	}
	return out
}

// FinishSpaceAllocations allocates every space that has been allocating for at least minAge:
// its state becomes allocated and its outbound NAT enabled. It returns the spaces it changed.
func (tx *Tx) FinishSpaceAllocations(minAge time.Duration) []*Space {
	tx.mustWrite()
	due := tx.DueSpaceAllocations(minAge)
	for _, sp := range due {
		sp.State, sp.NATState, sp.UpdatedAt = SpaceAllocated, NATEnabled, tx.now
		tx.w.log.Info("space allocated", "space", sp.Name)
	}
	return due
}

// RenameSpace gives a space a new name, under the same rules as at creation.
func (tx *Tx) RenameSpace(sp *Space, name string) error {
	tx.mustWrite()
	if name == sp.Name {
		return nil
	}
	if !spaceNameRE.MatchString(name) || strings.Contains(name, "--") {
		return HerokuErr(http.StatusUnprocessableEntity, "invalid_params", "Name must start with a letter or number, contain only lowercase letters, numbers and dashes, and end with a letter or number.")
	}
	if tx.Space(name) != nil {
		return HerokuErr(http.StatusUnprocessableEntity, "invalid_params", "Name is already taken")
	}
	sp.Name, sp.UpdatedAt = name, tx.now
	if v := tx.w.vpcs[sp.VPCID]; v != nil {
		v.Tags["Name"] = name
	}
	return nil
}

// DeleteSpace destroys a space that has no apps left: every peering of its VPC (customer
// ones and the heroku-managed data peering) is deleted by the Heroku account, so routes that
// customers pointed at them turn blackhole, and the space's VPC and data VPC with their
// subnets, route tables and security groups disappear. The returned space is in state
// deleting, the last state Heroku shows for it.
func (tx *Tx) DeleteSpace(sp *Space) (*Space, error) {
	tx.mustWrite()
	if apps := tx.AppsIn(sp.ID); len(apps) > 0 {
		return nil, HerokuErr(http.StatusUnprocessableEntity, "invalid_params", "Space %s still has %d app(s) (%s); destroy them before destroying the space.", sp.Name, len(apps), apps[0].Name)
	}
	heroku := tx.HerokuAccountID()
	for _, p := range tx.w.pcxs {
		if !p.Connects(sp.VPCID) && !p.Connects(sp.DataVPCID) {
			continue
		}
		switch p.Status(tx.now) {
		case PcxActive, PcxProvisioning, PcxPending, PcxInitiating:
			p.status = PcxDeleted
			p.EndedAt, p.EndedBy, p.ExpiresAt = tx.now, heroku, time.Time{}
		}
	}
	gone := map[string]bool{sp.VPCID: true, sp.DataVPCID: true}
	for id, s := range tx.w.subnets {
		if gone[s.VPCID] {
			delete(tx.w.subnets, id)
		}
	}
	for id, rt := range tx.w.rtbs {
		if gone[rt.VPCID] {
			delete(tx.w.rtbs, id)
		}
	}
	for id, g := range tx.w.sgs {
		if gone[g.VPCID] {
			delete(tx.w.sgs, id)
		}
	}
	for id := range gone {
		delete(tx.w.vpcs, id)
	}
	for id, v := range tx.w.vpns {
		if v.SpaceID == sp.ID {
			delete(tx.w.vpns, id)
		}
	}
	for i := 0; i < len(tx.w.data); {
		if tx.w.data[i].SpaceID == sp.ID {
			tx.w.data = append(tx.w.data[:i], tx.w.data[i+1:]...)
			continue
		}
		i++
	}
	delete(tx.w.spaces, sp.ID)
	sp.State, sp.NATState, sp.UpdatedAt = SpaceDeleting, NATDisabled, tx.now
	tx.w.log.Info("space deleted", "space", sp.Name)
	return sp, nil
}
