package emulator

import (
	"fmt"
	"net/netip"
	"regexp"
	"strings"
)

// InternetHost is a machine on the public internet of the emulated world: an echo service that
// reports which address a request came from, a client in an office whose address is (or is not)
// a trusted IP, a customer's VPN gateway.
type InternetHost struct {
	Name     string
	Addr     netip.Addr
	DNSName  string // published by the public resolver; empty for none
	Services []Service
}

var hostNameRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// AddInternetHost places a host on the internet. Its address must be public (not RFC 1918,
// loopback or link-local) and unused.
func (tx *Tx) AddInternetHost(h InternetHost) error {
	tx.mustWrite()
	if !hostNameRE.MatchString(h.Name) {
		return fmt.Errorf("emulator: internet host name %q: lower-case letters, digits and dashes", h.Name)
	}
	if !h.Addr.Is4() || h.Addr.IsPrivate() || h.Addr.IsLoopback() || h.Addr.IsLinkLocalUnicast() || h.Addr.IsUnspecified() || h.Addr.IsMulticast() {
		return fmt.Errorf("emulator: internet host %s: %s is not a public IPv4 address", h.Name, h.Addr)
	}
	for _, o := range tx.w.internet {
		if o.Name == h.Name || o.Addr == h.Addr {
			return fmt.Errorf("emulator: internet host %s: name or address already used by %s", h.Name, o.Name)
		}
	}
	if h.Addr == tx.w.publicDNS() || tx.publicAddrInUse(h.Addr) {
		return fmt.Errorf("emulator: internet host %s: address %s is already used", h.Name, h.Addr)
	}
	h.DNSName = strings.TrimSuffix(strings.ToLower(h.DNSName), ".")
	hh := h
	tx.w.internet = append(tx.w.internet, &hh)
	return nil
}

// InternetHosts returns the internet's hosts in the order they were added.
func (tx *Tx) InternetHosts() []*InternetHost { return append([]*InternetHost(nil), tx.w.internet...) }

// PublicDNSDefault is the internet's resolver when the world names none.
var PublicDNSDefault = netip.MustParseAddr("198.51.100.53")

// PublicDNS is the address of the internet's resolver: Options.PublicDNS or PublicDNSDefault.
func (tx *Tx) PublicDNS() netip.Addr { return tx.w.publicDNS() }

func (w *World) publicDNS() netip.Addr {
	if w.opts.PublicDNS.IsValid() {
		return w.opts.PublicDNS
	}
	return PublicDNSDefault
}
