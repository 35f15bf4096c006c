package fakeheroku

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestPutInboundRuleset: the CLI's PUT (the whole GET body echoed, read-only fields included)
// works; malformed rules are refused with the model untouched.
func TestPutInboundRuleset(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	path := "/spaces/" + seedSpace + "/inbound-ruleset"
	var current rulesetJSON
	e.do("GET", path, "").JSON(t, &current)
	if d := cmp.Diff([]ruleJSON{{Action: "allow", Source: "0.0.0.0/0"}}, current.Rules); d != "" || !current.Applied {
		t.Fatalf("default ruleset (-want +got):\n%s", d)
	}
	echoed := `{"id":"` + current.ID + `","space":{"id":"` + current.Space.ID + `","name":"enablement-jp"},"created_at":"` + *current.CreatedAt +
		`","created_by":"` + current.CreatedBy + `","rules":[{"action":"allow","source":"0.0.0.0/0"},{"action":"allow","source":"203.0.113.0/24"}],"applied":true}`
	tests := []struct {
		apiCase
		want []ruleJSON
	}{
		{apiCase{"CLI echo with a rule added", "PUT", path, echoed, 200, ""},
			[]ruleJSON{{"allow", "0.0.0.0/0"}, {"allow", "203.0.113.0/24"}}},
		{apiCase{"deny rule", "PUT", path, `{"rules":[{"action":"deny","source":"198.51.100.0/24"},{"action":"allow","source":"0.0.0.0/0"}]}`, 200, ""},
			[]ruleJSON{{"deny", "198.51.100.0/24"}, {"allow", "0.0.0.0/0"}}},
		{apiCase{"bad action", "PUT", path, `{"rules":[{"action":"maybe","source":"10.0.0.0/8"}]}`, 422, "invalid_params"}, nil},
		{apiCase{"missing action", "PUT", path, `{"rules":[{"source":"10.0.0.0/8"}]}`, 422, "invalid_params"}, nil},
		{apiCase{"missing source", "PUT", path, `{"rules":[{"action":"allow"}]}`, 422, "invalid_params"}, nil},
		{apiCase{"source not a CIDR", "PUT", path, `{"rules":[{"action":"allow","source":"10.0.0.1"}]}`, 422, "invalid_params"}, nil},
		{apiCase{"IPv6 source", "PUT", path, `{"rules":[{"action":"allow","source":"2001:db8::/32"}]}`, 422, "invalid_params"}, nil},
		{apiCase{"host bits set", "PUT", path, `{"rules":[{"action":"allow","source":"203.0.113.5/24"}]}`, 422, "invalid_params"}, nil},
		{apiCase{"duplicate source", "PUT", path, `{"rules":[{"action":"allow","source":"10.0.0.0/8"},{"action":"deny","source":"10.0.0.0/8"}]}`, 422, "invalid_params"}, nil},
		{apiCase{"rules not a list", "PUT", path, `{"rules":"0.0.0.0/0"}`, 422, "invalid_params"}, nil},
		{apiCase{"missing space", "PUT", "/spaces/nowhere/inbound-ruleset", `{"rules":[]}`, 404, "not_found"}, nil},
		{apiCase{"empty list blocks everything", "PUT", path, `{"rules":[]}`, 200, ""}, []ruleJSON{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.run(t, e)
			if tc.wantID != "" {
				return
			}
			var got rulesetJSON
			r.JSON(t, &got)
			if d := cmp.Diff(tc.want, got.Rules); d != "" || got.CreatedBy != "user@example.com" || got.ID == current.ID {
				t.Errorf("answer %+v (-want +got rules):\n%s", got, d)
			}
			var now rulesetJSON
			e.do("GET", path, "").JSON(t, &now)
			if !cmp.Equal(got, now) {
				t.Errorf("GET after PUT = %+v, want %+v", now, got)
			}
		})
	}
	var history []rulesetJSON
	if r := e.do("GET", "/spaces/"+seedSpace+"/inbound-rulesets", ""); r.Status != http.StatusOK {
		t.Fatalf("history: %d", r.Status)
	} else {
		r.JSON(t, &history)
	}
	if len(history) != 4 {
		t.Errorf("history has %d versions, want 4 (default + 3 accepted PUTs)", len(history))
	}
	if r := e.do("GET", "/spaces/"+seedSpace+"/inbound-rulesets/"+current.ID, ""); r.Status != http.StatusOK {
		t.Errorf("first version: %d", r.Status)
	}
	if r := e.do("GET", "/spaces/"+seedSpace+"/inbound-rulesets/nope", ""); r.Status != http.StatusNotFound {
		t.Errorf("unknown version: %d", r.Status)
	}
}
