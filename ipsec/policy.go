package ipsec

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Policy says what a gateway offers and accepts: IKEv1 only (IKEv2 is always refused),
// pre-shared keys only, and these suites. A gateway offers its suites in order when it
// initiates and accepts exactly these when it responds.
type Policy struct {
	// IKE are the phase 1 suites, in order of preference.
	IKE []IKEProposal
	// ESP are the phase 2 suites, in order of preference; their group is the PFS group.
	ESP []ESPProposal
	// IKELifetime is how long an ISAKMP SA lives before it is re-authenticated (a new Main
	// Mode); IKEv1 does not negotiate it, each side keeps its own.
	IKELifetime time.Duration
	// ESPLifetime is the lifetime proposed for IPsec SAs (seconds); each side rekeys on its
	// own timer.
	ESPLifetime time.Duration
	// DPDDelay is how long the peer may be silent before an R-U-THERE is sent (RFC 3706);
	// zero disables dead peer detection.
	DPDDelay time.Duration
	// DPDTimeout is how long the peer may be silent in total before it is declared dead.
	DPDTimeout time.Duration
}

// HerokuPolicy is the suite of a Heroku Private Space VPN gateway as far as it is known:
// IKEv1 with a pre-shared key and AES-128-CBC only (the documented part), and — inferred from
// the AWS site-to-site VPN the product mirrors — SHA-1 or SHA-256, MODP 1024 (group 2) or
// MODP 2048 (group 14), ESP with or without PFS in those groups, lifetimes 28800 s and
// 3600 s, DPD after 10 s of silence, dead after 30 s.
func HerokuPolicy() Policy {
	ike, _ := ParseIKEProposals("aes128-{sha1,sha256}-{modp2048,modp1024}")
	esp, _ := ParseESPProposals("aes128-{sha1,sha256}-{modp2048,modp1024,nopfs}")
	return Policy{
		IKE:         ike,
		ESP:         esp,
		IKELifetime: 8 * time.Hour,
		ESPLifetime: time.Hour,
		DPDDelay:    10 * time.Second,
		DPDTimeout:  30 * time.Second,
	}
}

// withDefaults fills zero fields from HerokuPolicy.
func (p Policy) withDefaults() Policy {
	d := HerokuPolicy()
	if len(p.IKE) == 0 {
		p.IKE = d.IKE
	}
	if len(p.ESP) == 0 {
		p.ESP = d.ESP
	}
	if p.IKELifetime <= 0 {
		p.IKELifetime = d.IKELifetime
	}
	if p.ESPLifetime <= 0 {
		p.ESPLifetime = d.ESPLifetime
	}
	if p.DPDDelay > 0 && p.DPDTimeout <= 0 {
		p.DPDTimeout = 3 * p.DPDDelay
	}
	return p
}

// Validate checks that every suite is one the package implements.
func (p Policy) Validate() error {
	for _, s := range p.IKE {
		if !s.Group.supported() || s.Group == NoPFS || s.Hash.size() == 0 || !validKeyBits(s.KeyBits) {
			return fmt.Errorf("ipsec: policy: unsupported IKE suite %s", s)
		}
	}
	for _, s := range p.ESP {
		if (s.PFS != NoPFS && !s.PFS.supported()) || s.Integrity.size() == 0 || !validKeyBits(s.KeyBits) {
			return fmt.Errorf("ipsec: policy: unsupported ESP suite %s", s)
		}
	}
	return nil
}

func validKeyBits(n int) bool { return n == 128 || n == 192 || n == 256 }

func (p Policy) acceptsIKE(s IKEProposal) bool { return slices.Contains(p.IKE, s) }
func (p Policy) acceptsESP(s ESPProposal) bool { return slices.Contains(p.ESP, s) }

// describeIKE writes the accepted phase 1 suites compactly, e.g.
// aes128-{sha1,sha256}-{modp2048,modp1024}.
func (p Policy) describeIKE() string {
	var suites [][]string
	for _, s := range p.IKE {
		suites = append(suites, strings.Split(s.String(), "-"))
	}
	return compress(suites)
}

// describeESP writes the accepted phase 2 suites compactly.
func (p Policy) describeESP() string {
	var suites [][]string
	for _, s := range p.ESP {
		g := "nopfs"
		if s.PFS != NoPFS {
			g = s.PFS.String()
		}
		suites = append(suites, []string{fmt.Sprintf("aes%d", s.KeyBits), s.Integrity.String(), g})
	}
	return compress(suites)
}
