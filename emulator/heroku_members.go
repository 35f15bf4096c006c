package emulator

import (
	"fmt"
	"slices"
)

// Team roles, as Heroku Teams have them: an admin manages the team's spaces (trusted IP ranges,
// VPN connections, peerings, rename, destroy) and its apps; a member sees the team's spaces and
// changes its apps; a viewer only sees.
const (
	RoleAdmin  = "admin"
	RoleMember = "member"
	RoleViewer = "viewer"
)

// TeamRoles lists the roles SetTeamRole accepts.
var TeamRoles = []string{RoleAdmin, RoleMember, RoleViewer}

// SetTeamRole makes u a member of t with role (one of TeamRoles), replacing any role it had.
func (tx *Tx) SetTeamRole(u *User, t *Team, role string) error {
	if !slices.Contains(TeamRoles, role) {
		return fmt.Errorf("emulator: team role %q is not one of %v", role, TeamRoles)
	}
	tx.mustWriteModel(u) // who may do what: the data plane does not see it
	if u.Teams == nil {
		u.Teams = map[string]string{}
	}
	u.Teams[t.ID] = role
	return nil
}

// TeamRole is u's role in the team with that id, or "" when u is not a member.
func (tx *Tx) TeamRole(u *User, teamID string) string {
	if u == nil || teamID == "" {
		return ""
	}
	return u.Teams[teamID]
}

// Teams returns every team ordered by id.
func (tx *Tx) Teams() []*Team { return ordered(tx.w.teams) }
