package ipsec

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Phase 1 attribute types and values (RFC 2409 Appendix A).
const (
	p1Encryption  = 1
	p1Hash        = 2
	p1AuthMethod  = 3
	p1Group       = 4
	p1LifeType    = 11
	p1LifeDur     = 12
	p1KeyLength   = 14
	encAESCBC     = 7
	authPSK       = 1
	lifeSeconds   = 1
	lifeKilobytes = 2
	transKeyIKE   = 1 // KEY_IKE

	// Phase 2 (IPsec DOI, RFC 2407 §4.5, RFC 3947 §5).
	p2LifeType      = 1
	p2LifeDur       = 2
	p2Group         = 3
	p2EncapMode     = 4
	p2AuthAlg       = 5
	p2KeyLength     = 6
	espAES          = 12
	encapTunnel     = 1
	encapUDPTunnel  = 3     // RFC 3947
	encapUDPTunDr   = 61443 // draft-ietf-ipsec-nat-t-ike
	encapTransport  = 2
	encapUDPTransp  = 4
	encapUDPTranDr  = 61444
	minESPSPI       = 256
	defaultKeyBits  = 128
	maxLifeDuration = 0xffffffff
)

// IKEProposal is a phase 1 suite: AES-CBC with a key size, a hash (also the PRF), a DH group.
// Authentication is always a pre-shared key.
type IKEProposal struct {
	KeyBits int
	Hash    Hash
	Group   Group
}

// String writes the suite the way strongSwan does, e.g. aes128-sha1-modp2048.
func (p IKEProposal) String() string {
	return fmt.Sprintf("aes%d-%s-%s", p.KeyBits, p.Hash, p.Group)
}

// ESPProposal is a phase 2 suite: AES-CBC with a key size, an HMAC integrity algorithm and the
// DH group for perfect forward secrecy (NoPFS for none).
type ESPProposal struct {
	KeyBits   int
	Integrity Hash
	PFS       Group
}

// String writes the suite the way strongSwan does, e.g. aes128-sha1 or aes128-sha256-modp2048.
func (p ESPProposal) String() string {
	s := fmt.Sprintf("aes%d-%s", p.KeyBits, p.Integrity)
	if p.PFS != NoPFS {
		s += "-" + p.PFS.String()
	}
	return s
}

// ParseIKEProposals parses strongSwan-style suites separated by commas, with brace
// alternatives expanded: "aes128-{sha1,sha256}-{modp1024,modp2048}".
func ParseIKEProposals(s string) ([]IKEProposal, error) {
	if err := checkSuiteCount(s); err != nil {
		return nil, err
	}
	var out []IKEProposal
	for _, one := range expandBraces(s) {
		p, err := parseSuite(one)
		if err != nil {
			return nil, err
		}
		if p.group == NoPFS {
			return nil, fmt.Errorf("ipsec: IKE proposal %q: a DH group is required", one)
		}
		out = append(out, IKEProposal{KeyBits: p.keyBits, Hash: p.hash, Group: p.group})
	}
	return out, nil
}

// ParseESPProposals parses ESP suites like ParseIKEProposals; a suite without a group has no
// PFS.
func ParseESPProposals(s string) ([]ESPProposal, error) {
	if err := checkSuiteCount(s); err != nil {
		return nil, err
	}
	var out []ESPProposal
	for _, one := range expandBraces(s) {
		p, err := parseSuite(one)
		if err != nil {
			return nil, err
		}
		out = append(out, ESPProposal{KeyBits: p.keyBits, Integrity: p.hash, PFS: p.group})
	}
	return out, nil
}

type suite struct {
	keyBits int
	hash    Hash
	group   Group
	pfsSet  bool
}

func parseSuite(s string) (suite, error) {
	var p suite
	parts := strings.Split(strings.TrimSpace(s), "-")
	for _, part := range parts {
		switch part {
		case "aes", "aes128":
			p.keyBits = 128
		case "aes192":
			p.keyBits = 192
		case "aes256":
			p.keyBits = 256
		case "sha1", "sha":
			p.hash = SHA1
		case "sha256", "sha2_256":
			p.hash = SHA256
		case "sha384", "sha2_384":
			p.hash = SHA384
		case "sha512", "sha2_512":
			p.hash = SHA512
		case "modp1024":
			p.group, p.pfsSet = MODP1024, true
		case "modp1536":
			p.group, p.pfsSet = MODP1536, true
		case "modp2048":
			p.group, p.pfsSet = MODP2048, true
		case "ecp256":
			p.group, p.pfsSet = ECP256, true
		case "ecp384":
			p.group, p.pfsSet = ECP384, true
		case "nopfs", "none":
			p.group, p.pfsSet = NoPFS, true
		default:
			return p, fmt.Errorf("ipsec: proposal %q: unsupported algorithm %q", s, part)
		}
	}
	if p.keyBits == 0 || p.hash == 0 {
		return p, fmt.Errorf("ipsec: proposal %q: needs an aes cipher and a sha hash", s)
	}
	return p, nil
}

// expandBraces splits on top-level commas and expands {a,b} alternatives.
func expandBraces(s string) []string {
	var out []string
	for _, item := range splitTop(s) {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		out = append(out, expandOne(item)...)
	}
	return out
}

func splitTop(s string) []string {
	var out []string
	depth, start := 0, 0
	for i, c := range s {
		switch c {
		case '{':
			depth++
		case '}':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

func expandOne(s string) []string {
	i := strings.IndexByte(s, '{')
	if i < 0 {
		return []string{s}
	}
	j := strings.IndexByte(s[i:], '}')
	if j < 0 {
		return []string{s}
	}
	j += i
	var out []string
	for _, alt := range strings.Split(s[i+1:j], ",") {
		out = append(out, expandOne(s[:i]+strings.TrimSpace(alt)+s[j+1:])...)
	}
	return out
}

// compress writes suites, each a list of components, compactly: a full cross product as
// a-{b,c}-{d,e}, anything else as a comma-separated list.
func compress(suites [][]string) string {
	if len(suites) == 0 {
		return "nothing"
	}
	n := len(suites[0])
	sets := make([][]string, n)
	for _, s := range suites {
		if len(s) != n {
			return joinSuites(suites)
		}
		for i, c := range s {
			if !slices.Contains(sets[i], c) {
				sets[i] = append(sets[i], c)
			}
		}
	}
	product := 1
	for _, s := range sets {
		product *= len(s)
	}
	if product != len(suites) {
		return joinSuites(suites)
	}
	var parts []string
	for _, s := range sets {
		if len(s) == 1 {
			parts = append(parts, s[0])
		} else {
			parts = append(parts, "{"+strings.Join(s, ",")+"}")
		}
	}
	return strings.Join(parts, "-")
}

func joinSuites(suites [][]string) string {
	var out []string
	for _, s := range suites {
		out = append(out, strings.Join(s, "-"))
	}
	return strings.Join(out, ", ")
}

// describeIKETransform describes a phase 1 transform as the peer sent it, algorithms we do not
// implement included, e.g. "3des-md5-modp1024" or "aes256-sha256-modp2048".
func describeIKETransform(t transform) string {
	enc, _ := t.attr(p1Encryption)
	kl, _ := t.attr(p1KeyLength)
	h, _ := t.attr(p1Hash)
	g, _ := t.attr(p1Group)
	s := encName(enc, kl) + "-" + hashName(h) + "-" + groupName(g)
	if am, ok := t.attr(p1AuthMethod); ok && am != authPSK {
		s += " with " + authName(am)
	}
	return s
}

// authName names a phase 1 authentication method (RFC 2409 Appendix A, XAUTH drafts).
func authName(am uint64) string {
	switch am {
	case 2:
		return "DSS signatures"
	case 3:
		return "RSA signatures"
	case 4, 5:
		return "RSA encryption"
	case 65001, 65002:
		return "XAUTH with a pre-shared key"
	case 65003, 65004, 65005, 65006, 65007, 65008, 65009, 65010:
		return "XAUTH with certificates"
	}
	return fmt.Sprintf("auth method %d", am)
}

// describeESPTransform describes a phase 2 transform as offered.
func describeESPTransform(protocol uint8, t transform) string {
	if protocol != protoESP {
		return fmt.Sprintf("protocol %d", protocol)
	}
	kl, _ := t.attr(p2KeyLength)
	a, _ := t.attr(p2AuthAlg)
	s := espEncName(t.ID, kl)
	if h := hashFromESPAuth(a); h != 0 {
		s += "-" + h.String()
	} else if a == 1 {
		s += "-md5"
	} else if a != 0 {
		s += fmt.Sprintf("-auth%d", a)
	}
	if g, ok := t.attr(p2Group); ok && g != 0 {
		s += "-" + groupName(g)
	}
	return s
}

func encName(enc, keyLen uint64) string {
	switch enc {
	case encAESCBC:
		if keyLen == 0 {
			keyLen = defaultKeyBits
		}
		return fmt.Sprintf("aes%d", keyLen)
	case 1:
		return "des"
	case 5:
		return "3des"
	case 6:
		return "cast"
	case 3:
		return "blowfish"
	}
	return fmt.Sprintf("enc%d", enc)
}

func espEncName(id uint8, keyLen uint64) string {
	switch id {
	case espAES:
		if keyLen == 0 {
			keyLen = defaultKeyBits
		}
		return fmt.Sprintf("aes%d", keyLen)
	case 2:
		return "des"
	case 3:
		return "3des"
	case 11:
		return "null"
	case 13:
		return fmt.Sprintf("aes%dctr", keyLen)
	case 18, 19, 20:
		return fmt.Sprintf("aes%dgcm", keyLen)
	}
	return fmt.Sprintf("esp%d", id)
}

func hashName(h uint64) string {
	switch h {
	case 1:
		return "md5"
	case 3:
		return "tiger"
	}
	if s := Hash(h).size(); s != 0 {
		return Hash(h).String()
	}
	return fmt.Sprintf("hash%d", h)
}

func groupName(g uint64) string {
	switch g {
	case 1:
		return "modp768"
	case 15:
		return "modp3072"
	case 16:
		return "modp4096"
	case 17:
		return "modp6144"
	case 18:
		return "modp8192"
	case 21:
		return "ecp521"
	case 31:
		return "curve25519"
	}
	return Group(g).String()
}

// ikeFromTransform decodes a phase 1 transform into a suite we implement; ok is false when any
// part is something else (another cipher, hash, auth method or group).
func ikeFromTransform(t transform) (p IKEProposal, life time.Duration, ok bool) {
	if t.ID != transKeyIKE {
		return p, 0, false
	}
	enc, _ := t.attr(p1Encryption)
	kl, hasKL := t.attr(p1KeyLength)
	h, _ := t.attr(p1Hash)
	am, _ := t.attr(p1AuthMethod)
	g, _ := t.attr(p1Group)
	if enc != encAESCBC || am != authPSK {
		return p, 0, false
	}
	if !hasKL {
		kl = defaultKeyBits
	}
	if kl != 128 && kl != 192 && kl != 256 {
		return p, 0, false
	}
	if Hash(h).size() == 0 || !Group(g).supported() {
		return p, 0, false
	}
	return IKEProposal{KeyBits: int(kl), Hash: Hash(h), Group: Group(g)}, lifetime(t, p1LifeType, p1LifeDur), true
}

func lifetime(t transform, typ, dur uint16) time.Duration {
	var life time.Duration
	var lt uint64
	for _, a := range t.Attrs {
		switch a.Type {
		case typ:
			lt = a.Value
		case dur:
			if lt == lifeSeconds {
				life = time.Duration(a.Value) * time.Second
			}
		}
	}
	return life
}

// ikeTransform encodes a suite as a phase 1 transform.
func ikeTransform(num uint8, p IKEProposal, life time.Duration) transform {
	return transform{Num: num, ID: transKeyIKE, Attrs: []attr{
		{Type: p1Encryption, Value: encAESCBC},
		{Type: p1KeyLength, Value: uint64(p.KeyBits)},
		{Type: p1Hash, Value: uint64(p.Hash)},
		{Type: p1AuthMethod, Value: authPSK},
		{Type: p1Group, Value: uint64(p.Group)},
		{Type: p1LifeType, Value: lifeSeconds},
		{Type: p1LifeDur, Value: uint64(life / time.Second), TLV: life/time.Second > 0xffff},
	}}
}

// espFromTransform decodes a phase 2 ESP transform; encap is its encapsulation mode.
func espFromTransform(t transform) (p ESPProposal, encap uint64, life time.Duration, ok bool) {
	if t.ID != espAES {
		return p, 0, 0, false
	}
	kl, hasKL := t.attr(p2KeyLength)
	if !hasKL {
		kl = defaultKeyBits
	}
	a, _ := t.attr(p2AuthAlg)
	g, _ := t.attr(p2Group)
	encap, _ = t.attr(p2EncapMode)
	h := hashFromESPAuth(a)
	if h == 0 || (kl != 128 && kl != 192 && kl != 256) {
		return p, 0, 0, false
	}
	if g != 0 && !Group(g).supported() {
		return p, 0, 0, false
	}
	return ESPProposal{KeyBits: int(kl), Integrity: h, PFS: Group(g)}, encap, lifetime(t, p2LifeType, p2LifeDur), true
}

// espTransform encodes a suite as a phase 2 transform.
func espTransform(num uint8, p ESPProposal, encap uint64, life time.Duration) transform {
	attrs := []attr{
		{Type: p2LifeType, Value: lifeSeconds},
		{Type: p2LifeDur, Value: uint64(life / time.Second), TLV: life/time.Second > 0xffff},
	}
	if p.PFS != NoPFS {
		attrs = append(attrs, attr{Type: p2Group, Value: uint64(p.PFS)})
	}
	attrs = append(attrs,
		attr{Type: p2EncapMode, Value: encap},
		attr{Type: p2AuthAlg, Value: p.Integrity.espAuthID()},
		attr{Type: p2KeyLength, Value: uint64(p.KeyBits)},
	)
	return transform{Num: num, ID: espAES, Attrs: attrs}
}
