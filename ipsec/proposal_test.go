package ipsec

import (
	"math/big"
	"net/netip"
	"slices"
	"testing"
)

func TestParseProposals(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
		err  bool
	}{
		{in: "aes128-sha1-modp2048", want: []string{"aes128-sha1-modp2048"}},
		{in: "aes128-{sha1,sha256}-{modp2048,modp1024}", want: []string{"aes128-sha1-modp2048", "aes128-sha1-modp1024", "aes128-sha256-modp2048", "aes128-sha256-modp1024"}},
		{in: "aes256-sha256-ecp256, aes-sha-modp1536", want: []string{"aes256-sha256-ecp256", "aes128-sha1-modp1536"}},
		{in: "aes128-sha1", err: true}, // IKE needs a group
		{in: "3des-md5-modp1024", err: true},
	} {
		t.Run(tc.in, func(t *testing.T) {
			ps, err := ParseIKEProposals(tc.in)
			if tc.err {
				if err == nil {
					t.Fatalf("accepted %q", tc.in)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range ps {
				got = append(got, p.String())
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
	esp, err := ParseESPProposals("aes128-{sha1,sha256}-{modp2048,nopfs}")
	if err != nil || len(esp) != 4 || esp[1].String() != "aes128-sha1" || esp[0].PFS != MODP2048 {
		t.Errorf("ESP: %v %v", esp, err)
	}
}

func TestDescribePolicy(t *testing.T) {
	p := HerokuPolicy()
	if got := p.describeIKE(); got != "aes128-{sha1,sha256}-{modp2048,modp1024}" {
		t.Errorf("IKE: %s", got)
	}
	if got := p.describeESP(); got != "aes128-{sha1,sha256}-{modp2048,modp1024,nopfs}" {
		t.Errorf("ESP: %s", got)
	}
	odd, _ := ParseIKEProposals("aes128-sha1-modp2048,aes256-sha256-modp1024")
	if got := (Policy{IKE: odd}).describeIKE(); got != "aes128-sha1-modp2048, aes256-sha256-modp1024" {
		t.Errorf("not a product: %s", got)
	}
}

// TestMODPPrimes recomputes the MODP primes from their definition (RFC 2409 §6.2, RFC 3526):
// p = 2^n - 2^(n-64) - 1 + 2^64 * (floor(2^(n-130) * pi) + k), pi by Machin's formula.
func TestMODPPrimes(t *testing.T) {
	const prec = 2200
	atan := func(x int64) *big.Int {
		one := new(big.Int).Lsh(big.NewInt(1), prec)
		x2 := big.NewInt(x * x)
		term := new(big.Int).Div(one, big.NewInt(x))
		sum := new(big.Int).Set(term)
		for n := int64(1); term.Sign() != 0; n++ {
			term.Div(term, x2)
			q := new(big.Int).Div(term, big.NewInt(2*n+1))
			if n%2 == 1 {
				sum.Sub(sum, q)
			} else {
				sum.Add(sum, q)
			}
		}
		return sum
	}
	pi := new(big.Int).Mul(big.NewInt(16), atan(5))
	pi.Sub(pi, new(big.Int).Mul(big.NewInt(4), atan(239)))
	for _, tc := range []struct {
		g    Group
		n, k int64
	}{{MODP1024, 1024, 129093}, {MODP1536, 1536, 741804}, {MODP2048, 2048, 124476}} {
		f := new(big.Int).Rsh(pi, uint(prec-(tc.n-130)))
		f.Add(f, big.NewInt(tc.k))
		p := new(big.Int).Lsh(big.NewInt(1), uint(tc.n))
		p.Sub(p, new(big.Int).Lsh(big.NewInt(1), uint(tc.n-64)))
		p.Sub(p, big.NewInt(1))
		p.Add(p, new(big.Int).Lsh(f, 64))
		if p.Cmp(tc.g.prime()) != 0 {
			t.Errorf("%s: prime differs from its definition", tc.g)
		}
	}
}

func TestDHAgreement(t *testing.T) {
	for _, g := range []Group{MODP1024, MODP1536, MODP2048, ECP256, ECP384} {
		t.Run(g.String(), func(t *testing.T) {
			a, err := newDHKey(g)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := newDHKey(g)
			s1, err1 := a.shared(b.public)
			s2, err2 := b.shared(a.public)
			if err1 != nil || err2 != nil || string(s1) != string(s2) {
				t.Fatalf("no agreement: %v %v", err1, err2)
			}
			if _, err := a.shared(make([]byte, len(b.public))); err == nil {
				t.Errorf("accepted a zero public value")
			}
		})
	}
}

func TestSelectorIDs(t *testing.T) {
	for _, s := range []string{"10.0.0.0/16", "172.16.0.0/12", "192.168.1.7/32", "0.0.0.0/0"} {
		p := netip.MustParsePrefix(s)
		id, err := parseID(subnetID(p).encode())
		if err != nil {
			t.Fatal(err)
		}
		got, err := prefixOfID(id)
		if err != nil || got != p {
			t.Errorf("%s: %s %v", s, got, err)
		}
	}
	rng := identity{Type: idIPv4AddrRange, Data: []byte{10, 1, 0, 0, 10, 1, 255, 255}}
	if got, err := prefixOfID(rng); err != nil || got.String() != "10.1.0.0/16" {
		t.Errorf("range: %s %v", got, err)
	}
	bad := identity{Type: idIPv4AddrSubnet, Data: []byte{10, 0, 0, 0, 255, 0, 255, 0}}
	if _, err := prefixOfID(bad); err == nil {
		t.Errorf("non-contiguous mask accepted")
	}
}

func TestKeyExpansion(t *testing.T) {
	// RFC 2409 Appendix B: a 20-byte SKEYID_e stretched to 32 bytes is K1 | K2[:12].
	e := []byte("01234567890123456789")
	k := expandKey(SHA1, e, 32)
	k1 := prf(SHA1, e, []byte{0})
	k2 := prf(SHA1, e, k1)
	if string(k) != string(append(k1, k2[:12]...)) {
		t.Errorf("expansion")
	}
	if got := expandKey(SHA256, make([]byte, 32), 16); len(got) != 16 {
		t.Errorf("truncation")
	}
}
