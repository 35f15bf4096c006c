package emulator

// HerokuLimits are limits on the Heroku side that Heroku does not document. Zero means none;
// users who know their account's limit set it in the topology (heroku: limits:).
type HerokuLimits struct {
	// TrustedIPRanges bounds the rules of a space's inbound ruleset.
	TrustedIPRanges int
}

// Limits are the world's Heroku limits.
func (tx *Tx) Limits() HerokuLimits { return tx.w.opts.HerokuLimits }
