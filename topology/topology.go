// Package topology is the file format that describes a world to emulate: Heroku users, spaces
// and apps, AWS accounts with their VPCs, subnets and instances, and the internet around them.
// A file passes through three stages: Parse gives the raw document, Resolve checks it and turns
// it into typed values, and Apply loads it into an emulator.World. Default is the built-in
// topology that mirrors the Private Space Peering walkthrough (space enablement-jp in Tokyo, app
// test-vpn-compute, customer VPC 172.16.0.0/16 with instance ip-172-16-0-8).
package topology

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/spacelab-dev/spacelab/emulator"
	"github.com/spacelab-dev/spacelab/faults"
	"github.com/spacelab-dev/spacelab/ipsec"
)

//go:embed *.yaml
var builtin embed.FS

// Builtin lists the built-in topologies by name ("default", "lab").
func Builtin() []string {
	entries, _ := fs.ReadDir(builtin, ".")
	var out []string
	for _, e := range entries {
		out = append(out, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	return out
}

// DefaultYAML is the built-in default topology's source.
func DefaultYAML() []byte {
	b, _ := builtin.ReadFile("default.yaml")
	return b
}

// Raw is a topology document as written.
type Raw struct {
	Name     string      `yaml:"name"`
	Heroku   RawHeroku   `yaml:"heroku"`
	AWS      RawAWS      `yaml:"aws"`
	Internet RawInternet `yaml:"internet"`
	Offices  []RawOffice `yaml:"offices"`
	Faults   RawFaults   `yaml:"faults"`

	source string     // the file (or built-in name) it was read from, for errors
	doc    *yaml.Node // the document, for the line of each object in errors
}

// RawFaults is the faults: section: failures on purpose (package faults).
type RawFaults struct {
	// Seed makes probabilistic faults repeatable; zero is a seed like any other.
	Seed uint64 `yaml:"seed"`
	// API makes API actions fail with a given error.
	API []faults.APIRule `yaml:"api"`
	// Links drop a share of the packets between two hosts or on one host.
	Links []faults.LinkRule `yaml:"links"`
	// Tunnels take VPN connections' tunnels down (for a while).
	Tunnels []faults.TunnelRule `yaml:"tunnels"`
	// Dynos stop dynos.
	Dynos []faults.DynoRule `yaml:"dynos"`
}

// RawHeroku is the heroku: section.
type RawHeroku struct {
	AccountID string     `yaml:"account_id"`
	Users     []RawUser  `yaml:"users"`
	Spaces    []RawSpace `yaml:"spaces"`
	Limits    RawLimits  `yaml:"limits"`
}

// RawLimits are Heroku limits Heroku does not document (none unless set).
type RawLimits struct {
	TrustedIPRanges int `yaml:"trusted_ip_ranges"`
}

// RawUser is a Heroku user with its API token and its teams. Teams maps a team name to the
// user's role in it (admin, member or viewer); a user without teams is admin of every team the
// topology names (one tenant, the default). A user sees and changes only its teams' spaces and
// apps, and its own personal apps.
type RawUser struct {
	Email string            `yaml:"email"`
	Token string            `yaml:"token"`
	Teams map[string]string `yaml:"teams"`
}

// RawSpace is a Private Space.
type RawSpace struct {
	Name      string   `yaml:"name"`
	ID        string   `yaml:"id"`
	Team      string   `yaml:"team"`
	Region    string   `yaml:"region"`
	CIDR      string   `yaml:"cidr"`
	DataCIDR  string   `yaml:"data_cidr"`
	Shield    bool     `yaml:"shield"`
	VPCID     string   `yaml:"vpc_id"`
	DataVPCID string   `yaml:"data_vpc_id"`
	NATIPs    []string `yaml:"outbound_ips"`
	// VPNPolicy makes the space's VPN gateway offer and accept other proposals (strongSwan
	// syntax), to emulate another vendor's gateway.
	VPNPolicy *RawVPNPolicy `yaml:"vpn_policy"`
	Apps      []RawApp      `yaml:"apps"`
	Data      []RawData     `yaml:"data"`
}

// RawVPNPolicy overrides a space VPN gateway's proposals and timers.
type RawVPNPolicy struct {
	IKE         []string      `yaml:"ike"`
	ESP         []string      `yaml:"esp"`
	IKELifetime time.Duration `yaml:"ike_lifetime"`
	ESPLifetime time.Duration `yaml:"esp_lifetime"`
	DPDDelay    time.Duration `yaml:"dpd_delay"`
	DPDTimeout  time.Duration `yaml:"dpd_timeout"`
}

// RawData is a data add-on of a space.
type RawData struct {
	Name       string   `yaml:"name"`
	Kind       string   `yaml:"kind"` // postgres, redis, kafka
	Address    string   `yaml:"address"`
	TrustedIPs []string `yaml:"trusted_ips"` // enables the public endpoint for these ranges
}

// RawApp is an app in a space.
type RawApp struct {
	Name            string         `yaml:"name"`
	InternalRouting bool           `yaml:"internal_routing"`
	RouterIPs       []string       `yaml:"router_ips"`
	Formation       map[string]int `yaml:"formation"`
	// Processes gives process types their command, as a Procfile does
	// (web: python3 -m http.server $PORT); a type without one runs spacelab's built-in process.
	Processes map[string]string `yaml:"processes"`
	// Config are the app's config vars, in its dynos' environment.
	Config map[string]string `yaml:"config"`
}

// RawAWS is the aws: section.
type RawAWS struct {
	Accounts []RawAccount `yaml:"accounts"`
	Quotas   RawQuotas    `yaml:"quotas"`
}

// RawQuotas are raised AWS quotas; an unset one keeps AWS's default.
type RawQuotas struct {
	RulesPerSecurityGroup int `yaml:"rules_per_security_group"`
	SecurityGroupsPerENI  int `yaml:"security_groups_per_eni"`
	RoutesPerRouteTable   int `yaml:"routes_per_route_table"`
	InstancesPerRun       int `yaml:"instances_per_run_instances"`
	PeeringsPerVPC        int `yaml:"peerings_per_vpc"`
	IPv4CIDRBlocksPerVPC  int `yaml:"ipv4_cidr_blocks_per_vpc"`
}

// RawAccount is a customer AWS account with its credentials and resources.
type RawAccount struct {
	ID              string   `yaml:"id"`
	AccessKeyID     string   `yaml:"access_key_id"`
	SecretAccessKey string   `yaml:"secret_access_key"`
	User            string   `yaml:"user"`
	DefaultRegion   string   `yaml:"default_region"`
	VPCs            []RawVPC `yaml:"vpcs"`
	// DefaultVPC false says the account has no default VPCs (AWS gives one in every region).
	DefaultVPC *bool `yaml:"default_vpc"`
	// OptInRegions are the opt-in regions (af-south-1, ap-east-1, …) the account has enabled;
	// the others refuse its calls, as on AWS.
	OptInRegions []string `yaml:"opt_in_regions"`
}

// RawVPC is a VPC with its subnets.
type RawVPC struct {
	ID      string      `yaml:"id"`
	Name    string      `yaml:"name"`
	Region  string      `yaml:"region"`
	CIDR    string      `yaml:"cidr"`
	Subnets []RawSubnet `yaml:"subnets"`
}

// RawSubnet is a subnet with its instances.
type RawSubnet struct {
	ID        string        `yaml:"id"`
	Name      string        `yaml:"name"`
	CIDR      string        `yaml:"cidr"`
	AZ        string        `yaml:"az"`
	Instances []RawInstance `yaml:"instances"`
}

// RawInstance is an EC2 instance.
type RawInstance struct {
	ID        string       `yaml:"id"`
	Name      string       `yaml:"name"`
	PrivateIP string       `yaml:"private_ip"`
	PublicIP  bool         `yaml:"public_ip"` // give it a public IPv4 address
	Services  []RawService `yaml:"services"`
}

// RawService is something a host runs: http: PORT (the built-in web server), echo: PORT (an
// HTTP server answering with the client's address), or command: [argv…] with port: PORT.
type RawService struct {
	HTTP    int      `yaml:"http"`
	Echo    int      `yaml:"echo"`
	Port    int      `yaml:"port"`
	Command []string `yaml:"command"`
}

// RawOffice is a customer site: a LAN behind a gateway with a public address.
type RawOffice struct {
	Name    string `yaml:"name"`
	Gateway struct {
		Name    string `yaml:"name"`
		Address string `yaml:"address"`
		// IPsec is "builtin" (spacelab's own IPsec connects every VPN connection naming the
		// gateway's address) or "none" (start a real strongSwan in it by hand).
		IPsec string `yaml:"ipsec"`
	} `yaml:"gateway"`
	LAN   string `yaml:"lan"`
	Hosts []struct {
		Name     string       `yaml:"name"`
		Address  string       `yaml:"address"`
		Services []RawService `yaml:"services"`
	} `yaml:"hosts"`
}

// RawInternet is the internet: section.
type RawInternet struct {
	DNS   string            `yaml:"dns"` // the public resolver's address
	Hosts []RawInternetHost `yaml:"hosts"`
}

// RawInternetHost is a machine on the internet with a public address.
type RawInternetHost struct {
	Name     string       `yaml:"name"`
	Address  string       `yaml:"address"`
	DNSName  string       `yaml:"dns_name"`
	Services []RawService `yaml:"services"`
}

// Default is the built-in topology, resolved.
func Default() *Topology {
	t, err := Load("")
	if err != nil {
		panic(err)
	}
	return t
}

// Topology is a resolved, validated document, ready to Apply.
type Topology struct {
	// Source names where the topology came from: a file, or "built-in topology NAME".
	Source          string
	Name            string
	HerokuAccountID string
	Users           []RawUser
	Spaces          []Space
	Accounts        []Account
	PublicDNS       netip.Addr
	InternetHosts   []emulator.InternetHost
	Offices         []emulator.Office
	AWSQuotas       emulator.AWSQuotas
	HerokuLimits    emulator.HerokuLimits
	FaultSeed       uint64
	APIFaults       []faults.APIRule
	LinkFaults      []faults.LinkRule
	TunnelFaults    []faults.TunnelRule
	DynoFaults      []faults.DynoRule

	internetWhere, officeWhere []string
}

// Space is a resolved space with its apps.
type Space struct {
	Spec emulator.SpaceSpec
	Apps []App
	Data []emulator.DataService

	where     string
	dataWhere []string
}

// App is a resolved app.
type App struct {
	Spec      emulator.AppSpec
	Formation map[string]int
	Processes map[string]string
	Config    map[string]string

	where string
}

// Account is a resolved AWS account.
type Account struct {
	Key           emulator.AccessKey
	DefaultRegion string
	VPCs          []VPC
	NoDefaultVPC  bool
	OptInRegions  []string
}

// VPC is a resolved VPC.
type VPC struct {
	ID, Name, Region string
	CIDR             netip.Prefix
	Subnets          []Subnet

	where string
}

// Subnet is a resolved subnet.
type Subnet struct {
	ID, Name, AZ string
	CIDR         netip.Prefix
	Instances    []Instance

	where string
}

// Instance is a resolved instance.
type Instance struct {
	ID, Name  string
	PrivateIP netip.Addr
	PublicIP  bool
	Services  []emulator.Service

	where string
}

// DefaultPublicDNS is the internet's resolver address when a topology names none.
var DefaultPublicDNS = netip.MustParseAddr("198.51.100.53")

// Resolve validates the raw document and returns typed values. All problems are reported
// together.
func (r *Raw) Resolve() (*Topology, error) {
	var errs []error
	bad := func(at path, name, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: "+format, append([]any{r.where(at, name)}, args...)...))
	}
	t := &Topology{Source: r.source, Name: r.Name, HerokuAccountID: r.Heroku.AccountID, Users: r.Heroku.Users, PublicDNS: DefaultPublicDNS,
		FaultSeed: r.Faults.Seed, APIFaults: r.Faults.API, LinkFaults: r.Faults.Links, TunnelFaults: r.Faults.Tunnels, DynoFaults: r.Faults.Dynos}
	if _, err := faults.NewAPI(r.Faults.Seed, r.Faults.API...); err != nil {
		bad(path{"faults", "api"}, "", "%v", err)
	}
	for i, f := range r.Faults.Links {
		if err := f.Check(); err != nil {
			bad(path{"faults", "links", i}, "", "%v", err)
		}
	}
	for i, f := range r.Faults.Tunnels {
		if err := f.Check(); err != nil {
			bad(path{"faults", "tunnels", i}, "", "%v", err)
		}
	}
	for i, f := range r.Faults.Dynos {
		if err := f.Check(); err != nil {
			bad(path{"faults", "dynos", i}, "", "%v", err)
		}
	}
	if t.Name == "" {
		t.Name = "spacelab"
	}
	if r.Internet.DNS != "" {
		a, err := netip.ParseAddr(r.Internet.DNS)
		if err != nil || !a.Is4() {
			bad(path{"internet", "dns"}, "", "%q is not an IPv4 address", r.Internet.DNS)
		}
		t.PublicDNS = a
	}
	if t.HerokuAccountID != "" && !isDigits(t.HerokuAccountID, 12) {
		bad(path{"heroku", "account_id"}, "", "%q is not a 12-digit AWS account id", t.HerokuAccountID)
	}
	q := r.AWS.Quotas
	t.AWSQuotas = emulator.AWSQuotas{RulesPerSecurityGroup: q.RulesPerSecurityGroup, SecurityGroupsPerENI: q.SecurityGroupsPerENI,
		RoutesPerRouteTable: q.RoutesPerRouteTable, InstancesPerRun: q.InstancesPerRun, PeeringsPerVPC: q.PeeringsPerVPC,
		IPv4CIDRBlocksPerVPC: q.IPv4CIDRBlocksPerVPC}
	for _, f := range []struct {
		name string
		v    int
	}{{"rules_per_security_group", q.RulesPerSecurityGroup}, {"security_groups_per_eni", q.SecurityGroupsPerENI},
		{"routes_per_route_table", q.RoutesPerRouteTable}, {"instances_per_run_instances", q.InstancesPerRun}, {"peerings_per_vpc", q.PeeringsPerVPC},
		{"ipv4_cidr_blocks_per_vpc", q.IPv4CIDRBlocksPerVPC}} {
		if f.v < 0 {
			bad(path{"aws", "quotas", f.name}, "", "%d is negative", f.v)
		}
	}
	t.HerokuLimits = emulator.HerokuLimits{TrustedIPRanges: r.Heroku.Limits.TrustedIPRanges}
	if r.Heroku.Limits.TrustedIPRanges < 0 {
		bad(path{"heroku", "limits", "trusted_ip_ranges"}, "", "%d is negative", r.Heroku.Limits.TrustedIPRanges)
	}
	for i, u := range r.Heroku.Users {
		if u.Email == "" {
			bad(path{"heroku", "users", i}, "", "email is required")
		}
		for _, team := range sortedKeys(u.Teams) {
			if !slices.Contains(emulator.TeamRoles, u.Teams[team]) {
				bad(path{"heroku", "users", i, "teams", team}, "", "role %q is not one of %s", u.Teams[team], strings.Join(emulator.TeamRoles, ", "))
			}
		}
	}
	for si, s := range r.Heroku.Spaces {
		sat := path{"heroku", "spaces", si}
		sp := Space{where: r.where(sat, s.Name), Spec: emulator.SpaceSpec{Name: s.Name, ID: s.ID, Team: s.Team, Region: s.Region, CIDR: s.CIDR,
			DataCIDR: s.DataCIDR, Shield: s.Shield, VPCID: s.VPCID, DataVPCID: s.DataVPCID}}
		if sp.Spec.Team == "" {
			sp.Spec.Team = s.Name
		}
		if p := s.VPNPolicy; p != nil {
			for _, prop := range p.IKE {
				if _, err := ipsec.ParseIKEProposals(prop); err != nil {
					bad(sat.with("vpn_policy", "ike"), s.Name, "%v", err)
				}
			}
			for _, prop := range p.ESP {
				if _, err := ipsec.ParseESPProposals(prop); err != nil {
					bad(sat.with("vpn_policy", "esp"), s.Name, "%v", err)
				}
			}
			sp.Spec.VPNPolicy = &emulator.VPNPolicy{IKE: p.IKE, ESP: p.ESP, IKELifetime: p.IKELifetime, ESPLifetime: p.ESPLifetime, DPDDelay: p.DPDDelay, DPDTimeout: p.DPDTimeout}
		}
		for _, ip := range s.NATIPs {
			a, err := netip.ParseAddr(ip)
			if err != nil || !a.Is4() {
				bad(sat.with("outbound_ips"), s.Name, "%q is not an IPv4 address", ip)
				continue
			}
			sp.Spec.NATAddrs = append(sp.Spec.NATAddrs, a)
		}
		if len(sp.Spec.NATAddrs) > 4 {
			bad(sat.with("outbound_ips"), s.Name, "a space has exactly 4 outbound IPs, got %d", len(sp.Spec.NATAddrs))
		}
		for ai, a := range s.Apps {
			aat := sat.with("apps", ai)
			app := App{where: r.where(aat, a.Name), Spec: emulator.AppSpec{Name: a.Name, Space: s.Name, InternalRouting: a.InternalRouting}, Formation: a.Formation, Processes: a.Processes, Config: a.Config}
			for typ := range a.Processes {
				if _, ok := a.Formation[typ]; !ok {
					bad(aat.with("processes", typ), a.Name, "%s has a command but no quantity in formation", typ)
				}
			}
			for _, ip := range a.RouterIPs {
				addr, err := netip.ParseAddr(ip)
				if err != nil {
					bad(aat.with("router_ips"), a.Name, "%q is not an address", ip)
					continue
				}
				app.Spec.RouterAddrs = append(app.Spec.RouterAddrs, addr)
			}
			if len(a.RouterIPs) > 0 && !a.InternalRouting {
				bad(aat.with("router_ips"), a.Name, "router_ips needs internal_routing: true")
			}
			sp.Apps = append(sp.Apps, app)
		}
		for di, d := range s.Data {
			dat := sat.with("data", di)
			ds := emulator.DataService{Name: d.Name, Kind: d.Kind}
			if d.Address != "" {
				a, err := netip.ParseAddr(d.Address)
				if err != nil {
					bad(dat.with("address"), d.Name, "address %q: %v", d.Address, err)
				}
				ds.Addr = a
			}
			for _, c := range d.TrustedIPs {
				p, err := netip.ParsePrefix(c)
				if err != nil {
					bad(dat.with("trusted_ips"), d.Name, "trusted_ips: %q: %v", c, err)
					continue
				}
				ds.TrustedIPs = append(ds.TrustedIPs, p.Masked())
			}
			sp.Data = append(sp.Data, ds)
			sp.dataWhere = append(sp.dataWhere, r.where(dat, d.Name))
		}
		t.Spaces = append(t.Spaces, sp)
	}
	for i, a := range r.AWS.Accounts {
		at := path{"aws", "accounts", i}
		if !isDigits(a.ID, 12) {
			bad(at.with("id"), "", "id %q is not a 12-digit AWS account id", a.ID)
		}
		if a.AccessKeyID == "" || a.SecretAccessKey == "" {
			bad(at, a.ID, "access_key_id and secret_access_key are required")
		}
		acct := Account{Key: emulator.AccessKey{ID: a.AccessKeyID, Secret: a.SecretAccessKey, Account: a.ID, User: orDefault(a.User, "admin")},
			DefaultRegion: a.DefaultRegion, NoDefaultVPC: a.DefaultVPC != nil && !*a.DefaultVPC, OptInRegions: a.OptInRegions}
		for ri, reg := range a.OptInRegions {
			if !slices.Contains(emulator.Regions(), reg) {
				bad(at.with("opt_in_regions", ri), a.ID, "%q is not an AWS region", reg)
			}
		}
		for vi, v := range a.VPCs {
			vat := at.with("vpcs", vi)
			cidr, err := netip.ParsePrefix(v.CIDR)
			if err != nil {
				bad(vat.with("cidr"), v.ID, "cidr %q: %v", v.CIDR, err)
			}
			if reg, known := emulator.LookupAWSRegion(v.Region); v.Region == "" {
				bad(vat, v.ID, "region is required")
			} else if !known {
				bad(vat.with("region"), v.ID, "%q is not an AWS region", v.Region)
			} else if reg.OptIn && !slices.Contains(a.OptInRegions, v.Region) {
				bad(vat.with("region"), v.ID, "%s is an opt-in region; list it in the account's opt_in_regions", v.Region)
			}
			vpc := VPC{where: r.where(vat, v.ID), ID: v.ID, Name: v.Name, Region: v.Region, CIDR: cidr}
			if acct.DefaultRegion == "" {
				acct.DefaultRegion = v.Region
			}
			for sbi, s := range v.Subnets {
				sbat := vat.with("subnets", sbi)
				scidr, err := netip.ParsePrefix(s.CIDR)
				if err != nil {
					bad(sbat.with("cidr"), s.ID, "cidr %q: %v", s.CIDR, err)
				}
				sub := Subnet{where: r.where(sbat, s.ID), ID: s.ID, Name: s.Name, AZ: s.AZ, CIDR: scidr}
				for ii, in := range s.Instances {
					iat := sbat.with("instances", ii)
					inst := Instance{where: r.where(iat, in.ID), ID: in.ID, Name: in.Name, PublicIP: in.PublicIP}
					if in.PrivateIP != "" {
						ip, err := netip.ParseAddr(in.PrivateIP)
						if err != nil {
							bad(iat.with("private_ip"), in.ID, "private_ip %q: %v", in.PrivateIP, err)
						}
						inst.PrivateIP = ip
					}
					for _, svc := range in.Services {
						es, err := svc.resolve()
						if err != nil {
							bad(iat.with("services"), in.ID, "%v", err)
						}
						inst.Services = append(inst.Services, es)
					}
					sub.Instances = append(sub.Instances, inst)
				}
				vpc.Subnets = append(vpc.Subnets, sub)
			}
			acct.VPCs = append(acct.VPCs, vpc)
		}
		if acct.DefaultRegion == "" {
			acct.DefaultRegion = "us-east-1"
		}
		t.Accounts = append(t.Accounts, acct)
	}
	for i, h := range r.Internet.Hosts {
		a, err := netip.ParseAddr(h.Address)
		if err != nil || !a.Is4() {
			bad(path{"internet", "hosts", i, "address"}, h.Name, "address %q is not an IPv4 address", h.Address)
		}
		ih := emulator.InternetHost{Name: h.Name, Addr: a, DNSName: h.DNSName}
		for _, svc := range h.Services {
			es, err := svc.resolve()
			if err != nil {
				bad(path{"internet", "hosts", i, "services"}, h.Name, "%v", err)
			}
			ih.Services = append(ih.Services, es)
		}
		t.InternetHosts = append(t.InternetHosts, ih)
		t.internetWhere = append(t.internetWhere, r.where(path{"internet", "hosts", i}, h.Name))
	}
	for i, o := range r.Offices {
		off := emulator.Office{Name: o.Name, GatewayName: o.Gateway.Name, IPsec: o.Gateway.IPsec}
		var err error
		if off.GatewayAddr, err = netip.ParseAddr(o.Gateway.Address); err != nil {
			bad(path{"offices", i, "gateway", "address"}, o.Name, "gateway address %q: %v", o.Gateway.Address, err)
		}
		if off.LAN, err = netip.ParsePrefix(o.LAN); err != nil {
			bad(path{"offices", i, "lan"}, o.Name, "lan %q: %v", o.LAN, err)
		}
		for hi, h := range o.Hosts {
			oh := emulator.OfficeHost{Name: h.Name}
			if oh.Addr, err = netip.ParseAddr(h.Address); err != nil {
				bad(path{"offices", i, "hosts", hi, "address"}, h.Name, "address %q: %v", h.Address, err)
			}
			for _, svc := range h.Services {
				es, err := svc.resolve()
				if err != nil {
					bad(path{"offices", i, "hosts", hi, "services"}, h.Name, "%v", err)
				}
				oh.Services = append(oh.Services, es)
			}
			off.Hosts = append(off.Hosts, oh)
		}
		t.Offices = append(t.Offices, off)
		t.officeWhere = append(t.officeWhere, r.where(path{"offices", i}, o.Name))
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("topology: %w", errors.Join(errs...))
	}
	return t, nil
}

func (s RawService) resolve() (emulator.Service, error) {
	switch {
	case s.HTTP > 0:
		return emulator.Service{Kind: "http", Port: s.HTTP}, nil
	case s.Echo > 0:
		return emulator.Service{Kind: "echo", Port: s.Echo}, nil
	case len(s.Command) > 0 && s.Port > 0:
		return emulator.Service{Kind: "command", Port: s.Port, Command: s.Command}, nil
	}
	return emulator.Service{}, errors.New("a service is http: PORT, echo: PORT, or command: [...] with port: PORT")
}

// Apply loads the topology into a world in one update: nothing is created if any part fails.
// Users without a token get tokenFor(email); nil tokenFor leaves them without one.
func (t *Topology) Apply(w *emulator.World, tokenFor func(email string) string) error {
	return w.Update(func(tx *emulator.Tx) error {
		for _, u := range t.Users {
			tok := u.Token
			if tok == "" && tokenFor != nil {
				tok = tokenFor(u.Email)
			}
			tx.AddUser(u.Email, tok)
		}
		for _, a := range t.Accounts {
			tx.AddAccessKey(a.Key)
			if a.NoDefaultVPC {
				tx.SetNoDefaultVPC(a.Key.Account)
			}
			for _, reg := range a.OptInRegions {
				if err := tx.EnableRegion(a.Key.Account, reg); err != nil {
					return fmt.Errorf("topology: %w", err)
				}
			}
			for _, v := range a.VPCs {
				c := emulator.Caller{Account: a.Key.Account, Region: v.Region}
				tags := emulator.Tags{}
				if v.Name != "" {
					tags["Name"] = v.Name
				}
				vpc, err := tx.CreateVPC(c, v.CIDR, emulator.VPCOptions{ID: v.ID, Tags: tags})
				if err != nil {
					return fmt.Errorf("topology: %s: %w", v.where, err)
				}
				vpc.EnableDNSHostnames = true
				for _, s := range v.Subnets {
					stags := emulator.Tags{}
					if s.Name != "" {
						stags["Name"] = s.Name
					}
					sub, err := tx.CreateSubnet(c, vpc.ID, s.CIDR, emulator.SubnetOptions{ID: s.ID, AZ: s.AZ, Tags: stags})
					if err != nil {
						return fmt.Errorf("topology: %s: %w", s.where, err)
					}
					for _, in := range s.Instances {
						itags := emulator.Tags{}
						if in.Name != "" {
							itags["Name"] = in.Name
						}
						if _, err := tx.RunInstance(c, sub.ID, emulator.InstanceOptions{ID: in.ID, PrivateIP: in.PrivateIP, PublicIP: in.PublicIP, Services: in.Services, Tags: itags}); err != nil {
							return fmt.Errorf("topology: %s: %w", in.where, err)
						}
					}
				}
			}
		}
		for i, h := range t.InternetHosts {
			if err := tx.AddInternetHost(h); err != nil {
				return fmt.Errorf("topology: %s: %w", whereAt(t.internetWhere, i, t.Source), err)
			}
		}
		for i, o := range t.Offices {
			if err := tx.AddOffice(o); err != nil {
				return fmt.Errorf("topology: %s: %w", whereAt(t.officeWhere, i, t.Source), err)
			}
		}
		for _, s := range t.Spaces {
			if _, err := tx.CreateSpace(s.Spec); err != nil {
				return fmt.Errorf("topology: %s: %w", s.where, err)
			}
			for i, d := range s.Data {
				if _, err := tx.AddDataService(s.Spec.Name, d); err != nil {
					return fmt.Errorf("topology: %s: %w", whereAt(s.dataWhere, i, t.Source), err)
				}
			}
			for _, a := range s.Apps {
				app, err := tx.CreateApp(a.Spec)
				if err != nil {
					return fmt.Errorf("topology: %s: %w", a.where, err)
				}
				if len(a.Config) > 0 {
					vars := map[string]*string{}
					for k, v := range a.Config {
						vars[k] = &v
					}
					if _, err := tx.UpdateConfigVars(app.ID, vars); err != nil {
						return fmt.Errorf("topology: app %s: %w", a.Spec.Name, err)
					}
				}
				var ups []emulator.ScaleUpdate
				for _, typ := range sortedKeys(a.Formation) {
					q := a.Formation[typ]
					ups = append(ups, emulator.ScaleUpdate{Type: typ, Quantity: &q, Command: a.Processes[typ]})
				}
				if len(ups) > 0 {
					if _, err := tx.Scale(app.ID, ups); err != nil {
						return fmt.Errorf("topology: %s: %w", a.where, err)
					}
				}
			}
		}
		return t.applyMembers(tx)
	})
}

// applyMembers gives each user its roles: those it lists, or admin of every team.
func (t *Topology) applyMembers(tx *emulator.Tx) error {
	for _, ru := range t.Users {
		u := tx.UserByEmail(ru.Email)
		if u == nil {
			continue
		}
		if ru.Teams == nil {
			for _, team := range tx.Teams() {
				if err := tx.SetTeamRole(u, team, emulator.RoleAdmin); err != nil {
					return fmt.Errorf("topology: %w", err)
				}
			}
			continue
		}
		for _, name := range sortedKeys(ru.Teams) {
			if err := tx.SetTeamRole(u, tx.EnsureTeam(name), ru.Teams[name]); err != nil {
				return fmt.Errorf("topology: user %s: %w", ru.Email, err)
			}
		}
	}
	return nil
}

// WorldOptions returns the emulator options the topology pins (the Heroku AWS account, quotas
// and limits).
func (t *Topology) WorldOptions(o emulator.Options) emulator.Options {
	if t.HerokuAccountID != "" {
		o.HerokuAccountID = t.HerokuAccountID
	}
	o.AWSQuotas, o.HerokuLimits = t.AWSQuotas, t.HerokuLimits
	return o
}

func isDigits(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
