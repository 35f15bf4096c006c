package ipsec_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/spacelab-dev/spacelab/internal/testenv"
	"github.com/spacelab-dev/spacelab/netns"
	"github.com/spacelab-dev/spacelab/netns/netnstest"
	"github.com/spacelab-dev/spacelab/netspec"
)

// bulkServer receives one TCP connection and prints how many bytes came and their SHA-256.
const bulkServer = `import hashlib, socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 5301))
s.listen(1)
print("listening", flush=True)
c, _ = s.accept()
h, n = hashlib.sha256(), 0
while True:
    b = c.recv(1 << 20)
    if not b:
        break
    h.update(b)
    n += len(b)
print(n, h.hexdigest())
`

// bulkClient sends 8 MiB of seeded pseudo-random bytes (retrying the connection until the
// server listens) and prints what it sent and its SHA-256.
const bulkClient = `import hashlib, random, socket, sys, time
data = random.Random(int(sys.argv[2])).randbytes(8 << 20)
while True:
    try:
        c = socket.create_connection((sys.argv[1], 5301))
        break
    except OSError:
        time.sleep(0.05)
c.sendall(data)
c.shutdown(socket.SHUT_WR)
c.recv(1)
print(len(data), hashlib.sha256(data).hexdigest())
`

// TestTunnelCarriesBulkTCPIntact sends 8 MiB each way through the tunnel on one TCP
// connection and checks the bytes arrive unchanged: the kernel hands the gateways 64 KiB TCP
// super-packets (segmented in user space before ESP) and takes coalesced ones back (written
// with a partial checksum that no one on the way verifies), so a fault there would corrupt the
// stream silently. Between two Go gateways, and between the Go space gateway and strongSwan
// (which seals what Go opens and coalesces, and opens what Go segments and seals).
func TestTunnelCarriesBulkTCPIntact(t *testing.T) {
	python := testenv.Binary(t, "python3")
	for _, mode := range []string{"go-go", "strongswan-go"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			sb := netnstest.Start(t)
			ctx := context.Background()
			space := spaceTunnelSpec(false)
			spec := interopSpec(space, nil)
			if mode == "go-go" {
				office := netspec.IPsecTunnel{Name: "office", Local: space.Peer, Peer: space.Local, PSK: testPSK,
					LocalNets: space.RemoteNets, RemoteNets: space.LocalNets, Initiate: true, PeerLabel: "the space gateway",
					Policy: netspec.IPsecPolicy{RetryInterval: time.Second}}
				spec.Host("office-gw").Services = []netspec.Service{{Name: "vpn", Kind: "ipsec",
					IPsec: &netspec.IPsecConfig{Tunnels: []netspec.IPsecTunnel{office}}}}
			}
			if err := sb.Apply(ctx, spec); err != nil {
				t.Fatal(err)
			}
			if mode == "go-go" {
				waitGoStatus(t, sb, 20*time.Second, func(state, _ string) bool { return state == "UP" })
			} else {
				ss := startCharon(t, sb, defaultCharon())
				if _, ok, out := ss.initiate(20); !ok {
					t.Fatalf("initiate: %s", out)
				}
			}
			for i, dir := range []struct{ from, to, addr string }{
				{"office-pc", "dyno", "10.0.1.10"},
				{"dyno", "office-pc", "172.16.0.10"},
			} {
				sent, got := bulkTransfer(t, sb, python, dir.from, dir.to, dir.addr, i+1)
				if sent != got {
					t.Errorf("%s → %s: sent %q, received %q", dir.from, dir.to, sent, got)
				}
			}
			st := goStatus(t, sb).Tunnels[0]
			if st.Counters.ESPAuthFailed != 0 || st.Counters.ESPMalformed != 0 {
				t.Errorf("space gateway counters: %+v", st.Counters)
			}
		})
	}
}

// bulkTransfer runs the server on to and the client on from, and returns what each printed.
func bulkTransfer(t *testing.T, sb *netns.Sandbox, python, from, to, addr string, seed int) (sent, got string) {
	t.Helper()
	ctx := context.Background()
	var srvOut bytes.Buffer
	srvDone := make(chan error, 1)
	go func() {
		code, err := sb.Exec(ctx, netns.ExecRequest{Host: to, Argv: []string{python, "-c", bulkServer, addr}}, nil, &srvOut, &srvOut)
		if err == nil && code != 0 {
			err = fmt.Errorf("exit %d", code)
		}
		srvDone <- err
	}()
	var cliOut bytes.Buffer
	code, err := sb.Exec(ctx, netns.ExecRequest{Host: from, Argv: []string{python, "-c", bulkClient, addr, fmt.Sprint(seed)}}, nil, &cliOut, &cliOut)
	if err != nil || code != 0 {
		t.Fatalf("client on %s: %d %v %s", from, code, err, cliOut.String())
	}
	if err := <-srvDone; err != nil {
		t.Fatalf("server on %s: %v %s", to, err, srvOut.String())
	}
	lines := strings.Split(strings.TrimSpace(srvOut.String()), "\n")
	return strings.TrimSpace(cliOut.String()), lines[len(lines)-1]
}
