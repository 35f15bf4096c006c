package emulator

// Account is an AWS account. Kind is "customer" for accounts users drive with their own keys
// and "heroku" for the account that owns Private Space VPCs.
type Account struct {
	ID   string
	Kind string
	// NoDefaultVPC says the account has deleted its default VPCs (or never had them): no
	// region makes one for it.
	NoDefaultVPC bool
	// DefaultVPCs records the regions whose default VPC has been made (it is made the first
	// time the account calls the region, so a deleted one does not come back).
	DefaultVPCs map[string]string
	// OptedIn are the opt-in regions the account has enabled (see Tx.EnableRegion).
	OptedIn []string
}

// AccessKey maps an access key id to its secret and account, which is all SigV4 reveals.
type AccessKey struct {
	ID      string
	Secret  string
	Account string
	User    string // IAM user name shown by sts get-caller-identity
}

// Caller identifies who makes an AWS request: the account the access key belongs to and the
// region of the signature scope.
type Caller struct {
	Account string
	Region  string
}

func (tx *Tx) ensureAccount(id, kind string) *Account { return tx.w.ensureAccount(id, kind) }

func (w *World) ensureAccount(id, kind string) *Account {
	if a := w.accounts[id]; a != nil {
		return a
	}
	a := &Account{ID: id, Kind: kind}
	w.accounts[id] = a
	return a
}

// AddAccessKey registers credentials for an account, creating the account if needed.
func (tx *Tx) AddAccessKey(k AccessKey) {
	tx.mustWriteModel(&tx.w.keys, &tx.w.accounts) // credentials: the data plane does not see them
	tx.ensureAccount(k.Account, "customer")
	kk := k
	tx.w.keys[k.ID] = &kk
}

// AccessKey looks up credentials by access key id.
func (tx *Tx) AccessKey(id string) *AccessKey { return tx.w.keys[id] }

// Account looks up an account.
func (tx *Tx) Account(id string) *Account { return tx.w.accounts[id] }

// owned reports whether a resource of account/region is visible to the caller.
func (c Caller) owns(account, region string) bool { return c.Account == account && c.Region == region }

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
