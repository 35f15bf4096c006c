package emulator

import (
	"time"
)

// User is a Heroku account holder, known by its API token.
type User struct {
	ID        string
	Email     string
	Token     string
	CreatedAt time.Time
	// Teams is the user's role in each team it belongs to, by team id (see heroku_members.go).
	Teams map[string]string
}

// Team is a Heroku team (the owner of Private Spaces).
type Team struct {
	ID        string
	Name      string
	CreatedAt time.Time
}

// AddUser registers a Heroku user and its token.
func (tx *Tx) AddUser(email, token string) *User {
	tx.mustWriteModel(&tx.w.users)
	u := &User{ID: tx.NewUUID(), Email: email, Token: token, CreatedAt: tx.now}
	tx.w.users[token] = u
	return u
}

// UserByToken authenticates a bearer token.
func (tx *Tx) UserByToken(token string) *User { return tx.w.users[token] }

// EnsureTeam returns the team with that name, creating it.
func (tx *Tx) EnsureTeam(name string) *Team {
	if t := tx.Team(name); t != nil {
		return t
	}
	tx.mustWriteModel(&tx.w.teams) // the data plane knows spaces, not teams
	t := &Team{ID: tx.NewUUID(), Name: name, CreatedAt: tx.now}
	tx.w.teams[t.ID] = t
	return t
}

// Team finds a team by name or id.
func (tx *Tx) Team(nameOrID string) *Team {
	if t := tx.w.teams[nameOrID]; t != nil {
		return t
	}
	for _, t := range tx.w.teams {
		if t.Name == nameOrID {
			return t
		}
	}
	return nil
}

// TeamByID returns a team by id.
func (tx *Tx) TeamByID(id string) *Team { return tx.w.teams[id] }

// UserByEmail finds a Heroku user by e-mail address, or nil.
func (tx *Tx) UserByEmail(email string) *User {
	for _, u := range tx.w.users {
		if u.Email == email {
			return u
		}
	}
	return nil
}
