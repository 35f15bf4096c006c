package emulator

import (
	"fmt"
	"net/netip"
)

// Office is a customer site on the internet: a LAN with hosts behind a customer gateway that has
// a public address. The gateway can run spacelab's built-in IPsec (IPsec "builtin"), which
// connects every Private Space VPN connection that names its address, or nothing ("none") so a
// real strongSwan can be started in it by hand.
type Office struct {
	Name        string
	GatewayName string
	GatewayAddr netip.Addr
	LAN         netip.Prefix
	IPsec       string // builtin or none
	Hosts       []OfficeHost
}

// OfficeHost is a machine on an office LAN.
type OfficeHost struct {
	Name     string
	Addr     netip.Addr
	Services []Service
}

// LANGateway is the gateway's address on the LAN (its first address).
func (o *Office) LANGateway() netip.Addr { return nthAddr(o.LAN, 1) }

// AddOffice adds a customer site.
func (tx *Tx) AddOffice(o Office) error {
	tx.mustWrite()
	if !hostNameRE.MatchString(o.Name) || !hostNameRE.MatchString(o.GatewayName) {
		return fmt.Errorf("emulator: office %q: names are lower-case letters, digits and dashes", o.Name)
	}
	if !IsPublicAddr(o.GatewayAddr) || tx.publicAddrInUse(o.GatewayAddr) || o.GatewayAddr == tx.w.publicDNS() {
		return fmt.Errorf("emulator: office %s: gateway address %s is not a free public IPv4 address", o.Name, o.GatewayAddr)
	}
	if !o.LAN.IsValid() || !IsPrivate(o.LAN) || o.LAN.Masked() != o.LAN || o.LAN.Bits() > 30 {
		return fmt.Errorf("emulator: office %s: LAN %s is not an RFC 1918 block", o.Name, o.LAN)
	}
	switch o.IPsec {
	case "":
		o.IPsec = "none"
	case "none", "builtin":
	default:
		return fmt.Errorf("emulator: office %s: ipsec is builtin or none, not %q", o.Name, o.IPsec)
	}
	for _, h := range o.Hosts {
		if !hostNameRE.MatchString(h.Name) || !o.LAN.Contains(h.Addr) || h.Addr == o.LANGateway() {
			return fmt.Errorf("emulator: office %s: host %s at %s is not a free address of %s", o.Name, h.Name, h.Addr, o.LAN)
		}
	}
	for _, x := range tx.w.offices {
		if x.Name == o.Name {
			return fmt.Errorf("emulator: office %s exists", o.Name)
		}
	}
	oo := o
	tx.w.offices = append(tx.w.offices, &oo)
	return nil
}

// Offices returns the customer sites.
func (tx *Tx) Offices() []*Office { return append([]*Office(nil), tx.w.offices...) }
