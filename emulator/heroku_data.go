package emulator

import (
	"fmt"
	"net/netip"
	"regexp"
	"time"
)

// DataService is a Heroku data add-on of a space (Postgres, Redis, Kafka): an endpoint in the
// space's data CIDR, reachable from the space's dynos only — never over a peering or the VPN —
// and, where trusted-IP access is enabled for it, from those public addresses through a public
// endpoint.
type DataService struct {
	Name    string // e.g. postgresql-cubic-12345
	Kind    string // postgres, redis, kafka
	SpaceID string
	Addr    netip.Addr // in the data CIDR
	// TrustedIPs, when non-empty, enable access from those public ranges at PublicAddr.
	TrustedIPs []netip.Prefix
	PublicAddr netip.Addr
	// Add-on fields, set when the service was created through the Platform API
	// (heroku addons:create): its id, the app it belongs to, its plan and creation time.
	ID        string
	AppID     string
	Plan      string
	CreatedAt time.Time
}

// Port is the service's well-known port.
func (d *DataService) Port() uint16 {
	switch d.Kind {
	case "redis":
		return 6379
	case "kafka":
		return 9092
	}
	return 5432
}

// PublicHost is the public endpoint's DNS name, in the style of AWS public host names.
func (d *DataService) PublicHost() string {
	b := d.PublicAddr.As4()
	return fmt.Sprintf("ec2-%d-%d-%d-%d.compute-1.amazonaws.com", b[0], b[1], b[2], b[3])
}

var dataNameRE = regexp.MustCompile(`^[a-z][a-z0-9-]{1,62}$`)

// AddDataService adds a data add-on to a space. A zero address picks the first free one in the
// data CIDR; trusted IPs get a public endpoint address.
func (tx *Tx) AddDataService(spaceName string, d DataService) (*DataService, error) {
	sp := tx.Space(spaceName)
	if sp == nil {
		return nil, fmt.Errorf("emulator: no space %q", spaceName)
	}
	switch d.Kind {
	case "postgres", "redis", "kafka":
	default:
		return nil, fmt.Errorf("emulator: data service %s: kind %q is not postgres, redis or kafka", d.Name, d.Kind)
	}
	if !dataNameRE.MatchString(d.Name) {
		return nil, fmt.Errorf("emulator: data service name %q", d.Name)
	}
	for _, o := range tx.w.data {
		if o.Name == d.Name {
			return nil, fmt.Errorf("emulator: data service %s exists", d.Name)
		}
	}
	used := func(a netip.Addr) bool {
		for _, o := range tx.w.data {
			if o.SpaceID == sp.ID && o.Addr == a {
				return true
			}
		}
		return false
	}
	if d.Addr.IsValid() {
		if !sp.DataCIDR.Contains(d.Addr) || d.Addr.Compare(nthAddr(sp.DataCIDR, 4)) < 0 || used(d.Addr) {
			return nil, fmt.Errorf("emulator: data service %s: %s is not a free address of %s", d.Name, d.Addr, sp.DataCIDR)
		}
	} else {
		for a := nthAddr(sp.DataCIDR, 10); sp.DataCIDR.Contains(a); a = a.Next() {
			if !used(a) {
				d.Addr = a
				break
			}
		}
	}
	tx.mustWriteFor(Changed{"data", sp.ID}, &tx.w.data)
	if len(d.TrustedIPs) > 0 && !d.PublicAddr.IsValid() {
		d.PublicAddr = tx.newPublicAddr()
	}
	d.SpaceID = sp.ID
	dd := d
	tx.w.data = append(tx.w.data, &dd)
	return &dd, nil
}

// DataServices returns a space's data services (all when spaceID is empty).
func (tx *Tx) DataServices(spaceID string) []*DataService {
	var out []*DataService
	for _, d := range tx.w.data {
		if spaceID == "" || d.SpaceID == spaceID {
			out = append(out, d)
		}
	}
	return out
}
