package emulator

// UserByEmail finds a Heroku user by e-mail address, or nil.
func (tx *Tx) UserByEmail(email string) *User {
	for _, u := range tx.w.users {
		if u.Email == email {
			return u
		}
	}
	return nil
}
