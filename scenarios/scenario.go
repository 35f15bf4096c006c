// Package scenarios replays what a person does — API calls, commands, and checks made the way a
// person checks (curl, dig) — against a running lab, and says what passed and why something is
// blocked. A scenario is YAML: a list of steps; each step is one API call (heroku: or aws:), one
// command inside a host (exec:), or one check from a host (http:, dns:, tcp:, icmp:), with
// expectations and values to save for later steps (${name}).
//
// Shipped scenarios live beside this file and are embedded: peering.yaml replays the Private
// Space Peering walkthrough and is what `spacelab demo` runs.
package scenarios

import (
	"embed"
	"io/fs"
	"sort"
	"strings"
)

//go:embed *.yaml
var shipped embed.FS

// Shipped lists the names of the embedded scenarios.
func Shipped() []string {
	entries, _ := fs.ReadDir(shipped, ".")
	var out []string
	for _, e := range entries {
		out = append(out, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	sort.Strings(out)
	return out
}

// Scenario is a parsed scenario.
type Scenario struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	// Topology is a topology file (relative paths are relative to the scenario); empty means
	// the built-in default.
	Topology string `yaml:"topology"`
	Steps    []Step `yaml:"steps"`

	source string // the file (or shipped name) it was read from, for errors
	dir    string // the directory of the file; "" for a shipped scenario
}

// Step is one thing to do. Exactly one of Heroku, AWS, Exec, HTTP, DNS, TCP, ICMP is set.
type Step struct {
	Name string `yaml:"name"`

	// Heroku is "METHOD /path" on the fake Platform API, with an optional JSON Body.
	Heroku string         `yaml:"heroku"`
	Body   map[string]any `yaml:"body"`
	// AWS is an EC2 (or STS) Query action.
	AWS *AWSCall `yaml:"aws"`
	// Exec runs a program in a host.
	Exec *ExecStep `yaml:"exec"`
	// Checks from a host.
	HTTP *HTTPCheck `yaml:"http"`
	DNS  *DNSCheck  `yaml:"dns"`
	TCP  *TCPCheck  `yaml:"tcp"`
	ICMP *ICMPCheck `yaml:"icmp"`
	// Clock moves the emulator's time forward.
	Clock *ClockStep `yaml:"clock"`

	Expect Expect `yaml:"expect"`
	// Save stores values of the response (a path into its JSON or XML) as variables.
	Save map[string]string `yaml:"save"`
	// Show prints values of the response (paths) next to the step's result.
	Show []string `yaml:"show"`
}

// AWSCall is a signed Query API call.
type AWSCall struct {
	Action  string            `yaml:"action"`
	Account string            `yaml:"account"` // access key of this account; empty means the first
	Region  string            `yaml:"region"`  // empty means the account's default region
	Params  map[string]string `yaml:"params"`
}

// ExecStep runs a program in a host.
type ExecStep struct {
	Host string   `yaml:"host"`
	Argv []string `yaml:"argv"`
}

// HTTPCheck fetches a URL from a host.
type HTTPCheck struct {
	From string `yaml:"from"`
	URL  string `yaml:"url"`
}

// DNSCheck resolves a name from a host.
type DNSCheck struct {
	From   string `yaml:"from"`
	Name   string `yaml:"name"`
	Server string `yaml:"server"`
}

// TCPCheck opens a connection from a host.
type TCPCheck struct {
	From   string `yaml:"from"`
	Target string `yaml:"target"` // host:port
}

// ICMPCheck pings from a host.
type ICMPCheck struct {
	From   string `yaml:"from"`
	Target string `yaml:"target"`
}

// Expect is what a step must show. Empty fields are not checked.
type Expect struct {
	// API calls.
	Status int               `yaml:"status"`
	Error  string            `yaml:"error"`  // AWS error code or Heroku error id
	Values map[string]string `yaml:"values"` // path → value ("*" globs)
	// Checks.
	Reachable *bool             `yaml:"reachable"`
	Reason    string            `yaml:"reason"`    // substring of the explanation of a block
	Header    map[string]string `yaml:"header"`    // header → value ("*" globs)
	Addrs     []string          `yaml:"addrs"`     // exactly these addresses, any order
	MaxAddrs  int               `yaml:"max_addrs"` // at most this many addresses (and at least one)
	Body      string            `yaml:"body"`      // the response body, trimmed ("*" globs)
	BodyIn    []string          `yaml:"body_in"`   // the trimmed body is one of these
	// Exec.
	Exit   *int   `yaml:"exit"`
	Output string `yaml:"output"` // substring of stdout+stderr
}
