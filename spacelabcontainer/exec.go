package spacelabcontainer

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/textproto"
	"strconv"
	"strings"
	"time"

	tcexec "github.com/testcontainers/testcontainers-go/exec"

	"github.com/spacelab-dev/spacelab/netspec"
)

// Exec runs a command inside an emulated host of the container (a name or alias from
// `spacelab hosts`: ip-172-16-0-8, test-vpn-compute/web.1, …) and returns its exit code and
// its output, standard output and standard error together. The image carries curl, dig and
// strongSwan's charon and swanctl.
func (c *Container) Exec(ctx context.Context, host string, cmd ...string) (int, string, error) {
	argv := append([]string{"spacelab", "exec", host, "--"}, cmd...)
	code, r, err := c.Container.Exec(ctx, argv, tcexec.Multiplexed())
	if err != nil {
		return code, "", fmt.Errorf("spacelabcontainer: exec in %s: %w", host, err)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		return code, string(out), fmt.Errorf("spacelabcontainer: exec in %s: %w", host, err)
	}
	return code, string(out), nil
}

// Check sends a probe's packets from a host with the image's own tools and reports what they
// saw: http with curl (status and headers), dns with dig (the addresses), tcp with curl's plain
// connect. OK means an answer came back (for http, any status; see Result.Status). icmp is not
// supported: the image carries no ping.
func (c *Container) Check(ctx context.Context, p netspec.Probe) (netspec.ProbeResult, error) {
	timeout := p.Timeout
	if timeout == 0 {
		timeout = 2 * time.Second
	}
	secs := strconv.FormatFloat(timeout.Seconds(), 'f', 3, 64)
	var argv []string
	switch p.Kind {
	case "http":
		argv = []string{"curl", "-s", "-S", "-m", secs, "-D", "-", "-o", "/dev/null", p.Target}
	case "dns":
		argv = []string{"dig", "+short", "+tries=1", "+time=" + strconv.Itoa(max(1, int(timeout.Seconds()))), p.Target, "A"}
		if p.Server.IsValid() {
			argv = append(argv, "@"+p.Server.String())
		}
	case "tcp":
		argv = []string{"curl", "-s", "-S", "-m", secs, "-o", "/dev/null", "telnet://" + p.Target}
	default:
		return netspec.ProbeResult{}, fmt.Errorf("spacelabcontainer: check: probe kind %q is not supported (http, dns, tcp)", p.Kind)
	}
	start := time.Now()
	code, out, err := c.Exec(ctx, p.From, argv...)
	res := netspec.ProbeResult{Elapsed: time.Since(start)}
	if err != nil {
		return res, err
	}
	switch p.Kind {
	case "http":
		res.Status, res.Header = parseHead(out)
		res.OK = code == 0 && res.Status != 0
	case "dns":
		for _, f := range strings.Fields(out) {
			if a, err := netip.ParseAddr(f); err == nil {
				res.Addrs = append(res.Addrs, a)
			}
		}
		res.OK = code == 0 && len(res.Addrs) > 0
	case "tcp":
		// curl's telnet ends at once on our empty input: 0 means the connection was accepted.
		res.OK = code == 0
	}
	if !res.OK {
		res.Err = strings.TrimSpace(out)
		if res.Err == "" {
			res.Err = fmt.Sprintf("%s exited %d", argv[0], code)
		}
	}
	return res, nil
}

// parseHead reads the status and header of the last response curl -D - printed.
func parseHead(out string) (int, http.Header) {
	var status int
	var header http.Header
	r := textproto.NewReader(bufio.NewReader(strings.NewReader(out)))
	for {
		line, err := r.ReadLine()
		if err != nil {
			return status, header
		}
		f := strings.Fields(line)
		if len(f) < 2 || !strings.HasPrefix(f[0], "HTTP/") {
			continue
		}
		status, _ = strconv.Atoi(f[1])
		h, _ := r.ReadMIMEHeader()
		header = http.Header(h)
	}
}
