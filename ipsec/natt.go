package ipsec

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"net/netip"
)

// Ports: IKE on 500; after the float, IKE with a non-ESP marker and ESP on 4500 (RFC 3948).
const (
	PortIKE  = 500
	PortNATT = 4500
)

// Vendor IDs (RFC 3947 §3.1, RFC 3706 §7 and the draft NAT-T ids strongSwan also sends).
var (
	vidNATTRFC   = mustVID("4a131c81070358455c5728f20e95452f") // MD5("RFC 3947")
	vidNATTDr02  = mustVID("cd60464335df21f87cfdb2fc68b6a448") // draft-ietf-ipsec-nat-t-ike-02
	vidNATTDr02n = mustVID("90cb80913ebb696e086381b5ec427b1f") // draft-ietf-ipsec-nat-t-ike-02\n
	vidNATTDr03  = mustVID("7d9419a65310ca6f2c179d9215529d56") // draft-ietf-ipsec-nat-t-ike-03
	vidDPD       = mustVID("afcad71368a1f1c96b8696fc77570100") // RFC 3706
)

func mustVID(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// nattMode is the NAT-T dialect agreed through vendor ids.
type nattMode uint8

const (
	nattNone  nattMode = iota
	nattDraft          // draft-02/03: NAT-D payload 130, encapsulation mode 61443
	nattRFC            // RFC 3947: NAT-D payload 20, encapsulation mode 3
)

func (m nattMode) natdPayload() uint8 {
	if m == nattDraft {
		return plNATDDr
	}
	return plNATD
}

func (m nattMode) encapTunnel() uint64 {
	switch m {
	case nattRFC:
		return encapUDPTunnel
	case nattDraft:
		return encapUDPTunDr
	}
	return encapTunnel
}

// peerVendors is what a peer's vendor id payloads announced.
type peerVendors struct {
	natt nattMode
	dpd  bool
}

func parseVendors(ps []payload) peerVendors {
	var v peerVendors
	for _, p := range findAll(ps, plVendor) {
		switch {
		case bytes.Equal(p.Body, vidNATTRFC):
			v.natt = nattRFC
		case bytes.Equal(p.Body, vidNATTDr02), bytes.Equal(p.Body, vidNATTDr02n), bytes.Equal(p.Body, vidNATTDr03):
			if v.natt == nattNone {
				v.natt = nattDraft
			}
		case bytes.Equal(p.Body, vidDPD):
			v.dpd = true
		}
	}
	return v
}

// natdHash is HASH(CKY-I | CKY-R | IP | Port) (RFC 3947 §3.2).
func natdHash(h Hash, ci, cr [8]byte, ap netip.AddrPort) []byte {
	a := ap.Addr().Unmap().AsSlice()
	var port [2]byte
	binary.BigEndian.PutUint16(port[:], ap.Port())
	return digest(h, ci[:], cr[:], a, port[:])
}

// Datagram kinds on port 4500 (RFC 3948 §2).
const (
	kindESP = iota
	kindIKE
	kindKeepalive
	kindJunk
)

// classify tells what a datagram received on port 4500 carries: a NAT keepalive (one 0xff
// byte), IKE (a four-byte zero non-ESP marker) or ESP (a non-zero SPI).
func classify(b []byte) int {
	switch {
	case len(b) == 1 && b[0] == 0xff:
		return kindKeepalive
	case len(b) >= 4 && b[0] == 0 && b[1] == 0 && b[2] == 0 && b[3] == 0:
		return kindIKE
	case len(b) >= espHeaderLen:
		return kindESP
	}
	return kindJunk
}
