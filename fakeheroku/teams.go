package fakeheroku

import (
	"net/http"

	"github.com/spacelab-dev/spacelab/emulator"
)

// teamJSON is the team resource with the user's role in it. The model has no billing: the team
// is a plain (non-enterprise) one.
type teamJSON struct {
	ID                    string    `json:"id"`
	Name                  string    `json:"name"`
	CreatedAt             *string   `json:"created_at"`
	UpdatedAt             *string   `json:"updated_at"`
	CreditCardCollections bool      `json:"credit_card_collections"`
	Default               bool      `json:"default"`
	EnterpriseAccount     *struct{} `json:"enterprise_account"`
	IdentityProvider      *struct{} `json:"identity_provider"`
	MembershipLimit       *float64  `json:"membership_limit"`
	ProvisionedLicenses   bool      `json:"provisioned_licenses"`
	Role                  string    `json:"role"`
	Type                  string    `json:"type"`
}

// getTeam serves GET /teams/{team} (also the CLI's particleboard side call for teams).
func (s *Server) getTeam(w http.ResponseWriter, r *http.Request) {
	s.view(w, r, http.StatusOK, func(tx *emulator.Tx) (any, error) {
		t, err := findTeam(tx, r, r.PathValue("team"))
		if err != nil {
			return nil, err
		}
		return teamJSON{ID: t.ID, Name: t.Name, CreatedAt: ts(t.CreatedAt), UpdatedAt: ts(t.CreatedAt),
			Role: tx.TeamRole(currentUser(r), t.ID), Type: "team"}, nil
	})
}
