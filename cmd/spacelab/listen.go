package main

import (
	"fmt"
	"io"
	"net"
	"net/netip"
	"strings"
)

// listenAddr is one API listen address and the flag that set it.
type listenAddr struct{ flag, addr string }

// checkListen refuses API listen addresses outside loopback (127.0.0.0/8, ::1, localhost)
// unless any is set; with any, it warns on w for each address other machines can reach. An
// empty host (":5400") means every interface.
func checkListen(addrs []listenAddr, any bool, w io.Writer) error {
	for _, a := range addrs {
		host, _, err := net.SplitHostPort(a.addr)
		if err != nil {
			return fmt.Errorf("--%s %q: %w", a.flag, a.addr, err)
		}
		if loopback(host) {
			continue
		}
		if !any {
			return fmt.Errorf("--%s %s: not a loopback address (use 127.0.0.1, ::1 or localhost); pass --listen-any to publish the API on other interfaces", a.flag, a.addr)
		}
		fmt.Fprintf(w, "# spacelab: warning: --%s %s is reachable from other machines; the API's token or keys are all that protect it\n", a.flag, a.addr)
	}
	return nil
}

func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}
