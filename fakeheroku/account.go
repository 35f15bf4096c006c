package fakeheroku

import (
	"net/http"

	"github.com/spacelab-dev/spacelab/emulator"
)

// accountJSON is the account resource. The model knows a user's id, e-mail and creation time;
// the rest states what a plain, verified, non-federated account without 2FA shows. The CLI's
// delinquency side call (HEROKU_PARTICLEBOARD_URL) reads scheduled_suspension_time and
// scheduled_deletion_time from the same path; they are absent, so no warning is printed.
type accountJSON struct {
	AllowTracking           bool      `json:"allow_tracking"`
	Beta                    bool      `json:"beta"`
	CountryOfResidence      *string   `json:"country_of_residence"`
	CreatedAt               *string   `json:"created_at"`
	DefaultOrganization     *idName   `json:"default_organization"`
	DefaultTeam             *idName   `json:"default_team"`
	DelinquentAt            *string   `json:"delinquent_at"`
	Email                   string    `json:"email"`
	Federated               bool      `json:"federated"`
	ID                      string    `json:"id"`
	IdentityProvider        *struct{} `json:"identity_provider"`
	LastLogin               *string   `json:"last_login"`
	Name                    *string   `json:"name"`
	SMSNumber               *string   `json:"sms_number"`
	SuspendedAt             *string   `json:"suspended_at"`
	TwoFactorAuthentication bool      `json:"two_factor_authentication"`
	UpdatedAt               *string   `json:"updated_at"`
	Verified                bool      `json:"verified"`
}

func renderAccount(u *emulator.User) accountJSON {
	return accountJSON{
		CreatedAt: ts(u.CreatedAt),
		Email:     u.Email,
		ID:        u.ID,
		UpdatedAt: ts(u.CreatedAt),
		Verified:  true,
	}
}

// getAccount serves GET /account: the authenticated user (heroku auth:whoami, ps, and the
// CLI's particleboard side call).
func (s *Server) getAccount(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, renderAccount(currentUser(r)))
}
