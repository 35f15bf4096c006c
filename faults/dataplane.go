package faults

import (
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"sort"
	"strings"
	"time"
)

// Kinds of faults.
const (
	KindLoss       = "loss"        // drop a share of the packets on a link or host
	KindDelay      = "delay"       // hold packets on a link or host
	KindTunnelFlap = "tunnel-flap" // take a VPN connection's tunnels down for a while
	KindAPIError   = "api-error"   // an API action fails (APIRule)
	KindDynoStop   = "dyno-stop"   // a dyno stops answering (crashed) until cleared or restarted
)

// Window is the number of consecutive packets a loss fault's share is exact over: a loss of P
// percent drops P of every Window matching packets, at positions drawn from the plan's seed.
const Window = 100

// MaxDelay bounds a delay fault (the kernel queues the held packets: 1,024 per queue).
const MaxDelay = 10 * time.Second

// LinkRule drops or delays packets a host sends: all of them (Host), or those towards another
// host (From → To; the other direction is a second rule).
type LinkRule struct {
	// Host drops a share of everything the host sends and receives (loopback aside).
	Host string `yaml:"host" json:"host,omitempty"`
	// From and To name two hosts (as `spacelab hosts` lists them): packets between them die.
	From string `yaml:"from" json:"from,omitempty"`
	To   string `yaml:"to" json:"to,omitempty"`
	// Loss is the share of packets dropped, in percent (1-100; 0 with a delay).
	Loss int `yaml:"loss" json:"loss,omitempty"`
	// Delay holds every packet that long (100ms, 1s) before it goes on: the packets wait in the
	// kernel's NFQUEUE while a relay in the sandbox holds their verdict.
	Delay string `yaml:"delay" json:"delay,omitempty"`
}

// Check validates the rule.
func (r LinkRule) Check() error {
	switch {
	case r.Host == "" && (r.From == "" || r.To == ""):
		return errors.New("faults: a link fault needs host, or from and to")
	case r.Host != "" && (r.From != "" || r.To != ""):
		return errors.New("faults: a link fault has host or from and to, not both")
	case r.Delay == "" && (r.Loss < 1 || r.Loss > 100), r.Loss < 0 || r.Loss > 100:
		return fmt.Errorf("faults: loss %d%% is not between 1 and 100", r.Loss)
	}
	if r.Delay != "" {
		d, err := time.ParseDuration(r.Delay)
		if err != nil || d <= 0 || d > MaxDelay {
			return fmt.Errorf("faults: delay %q is not a duration between 0 and %s (100ms, 1s)", r.Delay, MaxDelay)
		}
	}
	return nil
}

// DelayDuration is Delay parsed (zero: none).
func (r LinkRule) DelayDuration() time.Duration {
	d, _ := time.ParseDuration(r.Delay)
	return d
}

// String says what it does.
func (r LinkRule) String() string {
	var what []string
	if r.Loss > 0 {
		what = append(what, fmt.Sprintf("%d%% loss", r.Loss))
	}
	if r.Delay != "" {
		what = append(what, r.Delay+" delay")
	}
	if r.Host != "" {
		return strings.Join(what, " and ") + " on " + r.Host
	}
	return strings.Join(what, " and ") + " from " + r.From + " to " + r.To
}

// TunnelRule takes a Private Space VPN connection's tunnels down: IKE and ESP-in-UDP between
// its gateway and the customer gateway are dropped, and status says DOWN with reason "fault".
type TunnelRule struct {
	// Space and VPN name the connection (heroku spaces:vpn:info).
	Space string `yaml:"space" json:"space"`
	VPN   string `yaml:"vpn" json:"vpn"`
	// For is how long the tunnels stay down; empty means until the fault is cleared.
	For string `yaml:"for" json:"for,omitempty"`
}

// Check validates the rule.
func (r TunnelRule) Check() error {
	if r.Space == "" || r.VPN == "" {
		return errors.New("faults: a tunnel flap needs space and vpn")
	}
	if r.For != "" {
		if d, err := time.ParseDuration(r.For); err != nil || d <= 0 {
			return fmt.Errorf("faults: tunnel flap duration %q is not a positive duration (30s, 2m)", r.For)
		}
	}
	return nil
}

// Duration is For parsed (zero: until cleared).
func (r TunnelRule) Duration() time.Duration {
	d, _ := time.ParseDuration(r.For)
	return d
}

// String says what it does.
func (r TunnelRule) String() string {
	s := "tunnels of VPN " + r.Space + "/" + r.VPN + " down"
	if r.For != "" {
		s += " for " + r.For
	}
	return s
}

// DynoRule stops a dyno: it crashes (heroku ps shows it crashed), the router has no dyno to
// send its requests to, and it comes back when the fault is cleared or the dyno is restarted.
type DynoRule struct {
	App  string `yaml:"app" json:"app"`
	Dyno string `yaml:"dyno" json:"dyno"` // web.1
}

// Check validates the rule.
func (r DynoRule) Check() error {
	if r.App == "" || r.Dyno == "" || !strings.Contains(r.Dyno, ".") {
		return errors.New("faults: a dyno stop needs app and dyno (web.1)")
	}
	return nil
}

// String says what it does.
func (r DynoRule) String() string { return "dyno " + r.App + "/" + r.Dyno + " stopped" }

// LossSlots returns which positions of every Window consecutive packets a loss of percent
// drops, drawn from seed and the fault's id: the same seed and id give the same packets.
func LossSlots(seed uint64, id string, percent int) []int {
	h := fnv.New64a()
	h.Write([]byte(id))
	rng := rand.New(rand.NewPCG(seed, h.Sum64()))
	n := percent * Window / 100
	slots := rng.Perm(Window)[:n]
	sort.Ints(slots)
	return slots
}
