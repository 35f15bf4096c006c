package fakeheroku

import (
	"net/http"
	"net/netip"
	"strings"

	"github.com/spacelab-dev/spacelab/emulator"
)

// rulesetJSON is the inbound-ruleset resource (a space's trusted IP ranges). applied is not in
// the schema but the CLI reads it: it is true once the data plane enforces the ruleset, false
// while it catches up and when it could not apply it (`spacelab status` says why).
type rulesetJSON struct {
	ID        string     `json:"id"`
	Space     idName     `json:"space"`
	CreatedAt *string    `json:"created_at"`
	CreatedBy string     `json:"created_by"`
	Rules     []ruleJSON `json:"rules"`
	Applied   bool       `json:"applied"`
}

type ruleJSON struct {
	Action string `json:"action"`
	Source string `json:"source"`
}

func renderRuleset(tx *emulator.Tx, sp *emulator.Space, rs *emulator.InboundRuleset) rulesetJSON {
	out := rulesetJSON{ID: rs.ID, Space: idName{ID: sp.ID, Name: sp.Name}, CreatedAt: ts(rs.CreatedAt),
		CreatedBy: rs.CreatedBy, Rules: []ruleJSON{}, Applied: tx.DataplaneState(rs.ID).Applied()}
	for _, r := range rs.Rules {
		out.Rules = append(out.Rules, ruleJSON{Action: r.Action, Source: r.Source.String()})
	}
	return out
}

// getInboundRuleset serves GET /spaces/{space}/inbound-ruleset (spaces:trusted-ips).
func (s *Server) getInboundRuleset(w http.ResponseWriter, r *http.Request) {
	s.view(w, r, http.StatusOK, func(tx *emulator.Tx) (any, error) {
		sp, err := findSpace(tx, r.PathValue("space"))
		if err != nil {
			return nil, err
		}
		rs := sp.InboundRuleset()
		if rs == nil {
			return nil, herr(http.StatusNotFound, "not_found", "Couldn't find that inbound ruleset.")
		}
		return renderRuleset(tx, sp, rs), nil
	})
}

// putInboundRuleset serves PUT /spaces/{space}/inbound-ruleset (trusted-ips:add/remove). The
// CLI sends back the whole GET body, read-only fields (id, space, created_at, created_by,
// applied) included; only rules is read. A body without rules sets an empty ruleset, which
// blocks all inbound web traffic: the schema requires nothing, and heroku-go's
// InboundRulesetCreate omits an empty rules list.
func (s *Server) putInboundRuleset(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Rules []struct {
			Action *string `json:"action"`
			Source *string `json:"source"`
		} `json:"rules"`
	}
	if err := decodeBody(r, &body); err != nil {
		s.fail(w, r, err)
		return
	}
	rules := []emulator.InboundRule{}
	for i, in := range body.Rules {
		if err := required(map[string]bool{"rules[].action": in.Action != nil, "rules[].source": in.Source != nil}); err != nil {
			s.fail(w, r, err)
			return
		}
		src, err := netip.ParsePrefix(strings.TrimSpace(*in.Source))
		if err != nil {
			s.fail(w, r, herr(http.StatusUnprocessableEntity, "invalid_params", "Rule %d: source %q is not a CIDR block such as 203.0.113.0/24.", i+1, *in.Source))
			return
		}
		rules = append(rules, emulator.InboundRule{Action: *in.Action, Source: src})
	}
	s.update(w, r, http.StatusOK, func(tx *emulator.Tx) (any, error) {
		sp, err := findSpace(tx, r.PathValue("space"))
		if err != nil {
			return nil, err
		}
		rs, err := tx.PutInboundRuleset(sp, rules, currentUser(r).Email)
		if err != nil {
			return nil, err
		}
		return renderRuleset(tx, sp, rs), nil
	})
}

// listInboundRulesets serves GET /spaces/{space}/inbound-rulesets: every version, ranged by id.
func (s *Server) listInboundRulesets(w http.ResponseWriter, r *http.Request) {
	s.view(w, r, http.StatusOK, func(tx *emulator.Tx) (any, error) {
		sp, err := findSpace(tx, r.PathValue("space"))
		if err != nil {
			return nil, err
		}
		items := []rulesetJSON{}
		for _, rs := range sp.InboundRulesets {
			items = append(items, renderRuleset(tx, sp, rs))
		}
		return newPage(s, items, []string{"id"}, func(v rulesetJSON) string { return v.ID }), nil
	})
}

// getInboundRulesetByID serves GET /spaces/{space}/inbound-rulesets/{id}.
func (s *Server) getInboundRulesetByID(w http.ResponseWriter, r *http.Request) {
	s.view(w, r, http.StatusOK, func(tx *emulator.Tx) (any, error) {
		sp, err := findSpace(tx, r.PathValue("space"))
		if err != nil {
			return nil, err
		}
		rs := sp.InboundRulesetByID(r.PathValue("id"))
		if rs == nil {
			return nil, herr(http.StatusNotFound, "not_found", "Couldn't find that inbound ruleset.")
		}
		return renderRuleset(tx, sp, rs), nil
	})
}
