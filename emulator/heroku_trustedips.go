package emulator

import (
	"net/http"
	"net/netip"
	"time"
)

// Inbound rule actions.
const (
	RuleAllow = "allow"
	RuleDeny  = "deny"
)

// InboundRule is one trusted IP range of a space: an IPv4 CIDR and whether web requests from
// it may reach the space's (non-internal) web dynos.
type InboundRule struct {
	Action string // allow or deny
	Source netip.Prefix
}

// InboundRuleset is one version of a space's trusted IP ranges. Every change makes a new
// version; the newest is in force.
type InboundRuleset struct {
	ID        string
	SpaceID   string
	CreatedAt time.Time
	CreatedBy string // e-mail of who made it
	Rules     []InboundRule
}

// DefaultInboundRule is what a new space trusts: everything (0.0.0.0/0 allowed).
var DefaultInboundRule = InboundRule{Action: RuleAllow, Source: netip.MustParsePrefix("0.0.0.0/0")}

// defaultInboundRuleset is a new space's first ruleset, made by its team.
func (tx *Tx) defaultInboundRuleset(sp *Space, team *Team) *InboundRuleset {
	return &InboundRuleset{ID: tx.NewUUID(), SpaceID: sp.ID, CreatedAt: tx.now,
		CreatedBy: team.Name + "@herokumanager.com", Rules: []InboundRule{DefaultInboundRule}}
}

// InboundRuleset returns the ruleset in force for a space.
func (sp *Space) InboundRuleset() *InboundRuleset {
	if len(sp.InboundRulesets) == 0 {
		return nil
	}
	return sp.InboundRulesets[len(sp.InboundRulesets)-1]
}

// InboundRulesetByID finds one version of a space's rulesets.
func (sp *Space) InboundRulesetByID(id string) *InboundRuleset {
	for _, rs := range sp.InboundRulesets {
		if rs.ID == id {
			return rs
		}
	}
	return nil
}

// PutInboundRuleset replaces a space's trusted IP ranges with rules, recording a new version
// made by the user with e-mail by. Each rule needs action allow or deny and a canonical IPv4
// CIDR (host bits zero), and no source may appear twice. An empty list is allowed: it blocks
// all inbound web traffic. Heroku documents no maximum number of rules, so there is none.
func (tx *Tx) PutInboundRuleset(sp *Space, rules []InboundRule, by string) (*InboundRuleset, error) {
	tx.mustAppend(&sp.InboundRulesets)
	tx.mustWriteModel(&sp.UpdatedAt)
	if n := tx.Limits().TrustedIPRanges; n > 0 && len(rules) > n {
		return nil, HerokuErr(http.StatusUnprocessableEntity, "invalid_params", "A space may have at most %d trusted IP ranges; %d were given.", n, len(rules))
	}
	seen := map[netip.Prefix]bool{}
	for _, r := range rules {
		if r.Action != RuleAllow && r.Action != RuleDeny {
			return nil, HerokuErr(http.StatusUnprocessableEntity, "invalid_params", "Action %q is invalid; use allow or deny.", r.Action)
		}
		if !r.Source.IsValid() || !r.Source.Addr().Is4() {
			return nil, HerokuErr(http.StatusUnprocessableEntity, "invalid_params", "Source must be an IPv4 CIDR block such as 203.0.113.0/24.")
		}
		if r.Source.Masked() != r.Source {
			return nil, HerokuErr(http.StatusUnprocessableEntity, "invalid_params", "Source %s has host bits set; did you mean %s?", r.Source, r.Source.Masked())
		}
		if seen[r.Source] {
			return nil, HerokuErr(http.StatusUnprocessableEntity, "invalid_params", "A rule already exists for %s.", r.Source)
		}
		seen[r.Source] = true
	}
	rs := &InboundRuleset{ID: tx.NewUUID(), SpaceID: sp.ID, CreatedAt: tx.now, CreatedBy: by,
		Rules: append([]InboundRule(nil), rules...)}
	sp.InboundRulesets = append(sp.InboundRulesets, rs)
	sp.UpdatedAt = tx.now
	tx.w.log.Info("trusted IP ranges changed", "space", sp.Name, "rules", len(rules))
	return rs, nil
}

// Allows reports whether the ruleset lets a web request from src reach the space, and why:
// the first rule whose source contains src decides; no matching rule means denied (an empty
// ruleset blocks all inbound web requests).
func (rs *InboundRuleset) Allows(src netip.Addr) (bool, string) {
	if rs == nil {
		return false, "the space has no trusted IP ranges"
	}
	for _, r := range rs.Rules {
		if r.Source.Contains(src) {
			return r.Action == RuleAllow, "trusted IP rule " + r.Action + " " + r.Source.String()
		}
	}
	if len(rs.Rules) == 0 {
		return false, "the space has no trusted IP ranges: all inbound web requests are blocked"
	}
	return false, src.String() + " is in no trusted IP range of the space"
}
