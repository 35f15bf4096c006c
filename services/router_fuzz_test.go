package services_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"

	"github.com/spacelab-dev/spacelab/netspec"
	"github.com/spacelab-dev/spacelab/services"
)

// FuzzRouter sends arbitrary request heads to the spaces router in front of a web dyno: it
// never panics or hangs, answers every request it can read with an HTTP response, and reaches
// the dyno only for the app's own host name.
func FuzzRouter(f *testing.F) {
	for _, s := range []string{
		"GET / HTTP/1.1\r\nHost: app1.herokuapp.com\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: APP1.herokuapp.com.:80\r\n\r\n",
		"GET /../../etc/passwd HTTP/1.1\r\nHost: other.herokuapp.com\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: app1.herokuapp.com\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: app1.herokuapp.com\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
		"GET http://app1.herokuapp.com/ HTTP/1.1\r\nHost: evil\r\n\r\n",
		"GARBAGE\r\n\r\n",
	} {
		f.Add(s)
	}
	web := &loopback{}
	startF(f, netspec.Service{Name: "web", Kind: "web", Listen: anyAddr, Web: &netspec.WebConfig{App: "app1", Dyno: "web.1"}}, web)
	backend := netip.MustParseAddrPort(web.addrs[0])
	router := &loopback{}
	startF(f, netspec.Service{Name: "router", Kind: "proxy", Listen: anyAddr, Proxy: &netspec.ProxyConfig{
		Via: "spaces-router (fuzz)", Backends: map[string][]netip.AddrPort{"app1.herokuapp.com": {backend}}}}, router)
	addr := router.addrs[0]
	f.Fuzz(func(t *testing.T, head string) {
		if len(head) > 16<<10 || !strings.HasSuffix(head, "\r\n\r\n") {
			return
		}
		req, err := http.ReadRequest(bufio.NewReader(strings.NewReader(head)))
		if err != nil {
			return // the server would answer 400 and close; nothing to check beyond that
		}
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, err := io.WriteString(c, head); err != nil {
			t.Fatal(err)
		}
		if cw, ok := c.(*net.TCPConn); ok {
			cw.CloseWrite()
		}
		res, err := http.ReadResponse(bufio.NewReader(c), req)
		if err != nil {
			return // a request the server rejects may be closed without an answer
		}
		defer res.Body.Close()
		if res.Header.Get("X-Spacelab-Dyno") != "" {
			host := strings.ToLower(req.Host)
			if h, _, err := net.SplitHostPort(host); err == nil {
				host = h
			}
			if strings.TrimSuffix(host, ".") != "app1.herokuapp.com" {
				t.Fatalf("Host %q reached the dyno", req.Host)
			}
		}
	})
}

// startF starts a service for the whole fuzz run.
func startF(f *testing.F, cfg netspec.Service, lb *loopback) {
	f.Helper()
	s, err := services.Start(cfg, lb.env())
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { s.Close() })
}
