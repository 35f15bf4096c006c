package ipsec

import (
	"strings"
	"testing"
)

// FuzzProposals feeds arbitrary strings to the IKE and ESP proposal parsers (the topology's
// vpn_policy): they never panic, never expand to more than maxSuites suites, and every suite
// they accept is written back in a form they parse to the same suite.
func FuzzProposals(f *testing.F) {
	for _, s := range []string{
		"aes128-sha1-modp1024", "aes256-sha256-modp2048,aes128-sha1-modp1024",
		"aes128-{sha1,sha256}-{modp1024,modp2048}", "aes{128,256}-sha1", "{a,{b,c}}-x",
		"aes128-sha1", "aes128-sha256-modp2048", ",,,", "{", "}", "aes128--", strings.Repeat("{a,b}", 12),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ike, err := ParseIKEProposals(s)
		if err == nil {
			if len(ike) > maxSuites {
				t.Fatalf("%q expanded to %d IKE suites", s, len(ike))
			}
			for _, p := range ike {
				back, err := ParseIKEProposals(p.String())
				if err != nil || len(back) != 1 || back[0] != p {
					t.Fatalf("%q: suite %v writes as %q, which parses to %v, %v", s, p, p.String(), back, err)
				}
			}
		}
		esp, err := ParseESPProposals(s)
		if err == nil {
			if len(esp) > maxSuites {
				t.Fatalf("%q expanded to %d ESP suites", s, len(esp))
			}
			for _, p := range esp {
				back, err := ParseESPProposals(p.String())
				if err != nil || len(back) != 1 || back[0] != p {
					t.Fatalf("%q: suite %v writes as %q, which parses to %v, %v", s, p, p.String(), back, err)
				}
			}
		}
	})
}

// TestProposalExpansionBounded: brace alternatives that would multiply into 2^40 suites are
// refused by counting, before any are built (found while writing FuzzProposals).
func TestProposalExpansionBounded(t *testing.T) {
	bomb := "aes128-sha1-modp1024" + strings.Repeat("{,}", 40)
	if _, err := ParseIKEProposals(bomb); err == nil || !strings.Contains(err.Error(), "more than 256 suites") {
		t.Errorf("ParseIKEProposals(2^40 suites) = %v, want a refusal", err)
	}
	if _, err := ParseESPProposals(bomb); err == nil {
		t.Error("ParseESPProposals(2^40 suites) accepted")
	}
	if ps, err := ParseIKEProposals("aes{128,256}-{sha1,sha256}-{modp1024,modp2048}"); err != nil || len(ps) != 8 {
		t.Errorf("8 suites: %v, %v", ps, err)
	}
}
