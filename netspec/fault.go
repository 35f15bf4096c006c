package netspec

import (
	"net/netip"
	"time"
)

// Fault is a failure on purpose in one host's data plane (package faults decides them): matching
// packets leaving the host, and with Inbound also arriving at it, are dropped — all of them, or
// the slots of Drop out of every Window consecutive matching packets, so the share is exact and
// which packets die repeats for the same seed. The sandbox keeps faults in an nftables table
// of their own ("spacelab-faults"), apart from the host's filter.
type Fault struct {
	// ID names the fault (its counter in FaultCounters).
	ID string
	// Host is the host whose packets it drops.
	Host string
	// Peers limits it to packets to (and, Inbound, from) these prefixes; empty means any address.
	Peers []netip.Prefix
	// Proto and Ports limit it to one protocol and destination ports (UDP 500 and 4500: IKE
	// and ESP in UDP); zero means any.
	Proto uint8
	Ports []uint16
	// Inbound also drops matching packets arriving from Peers (to Ports).
	Inbound bool
	// Window and Drop: of every Window consecutive matching packets, those whose position
	// (0 … Window-1) is in Drop are dropped. Window zero drops every matching packet.
	Window int
	Drop   []int
	// Delay, when set, holds matching packets that long instead of dropping them (Window and
	// Drop then do not apply).
	Delay time.Duration
}

// FaultCounter is how many packets a fault has dropped (or, a delay, held).
type FaultCounter struct {
	ID      string
	Host    string
	Dropped uint64
}
