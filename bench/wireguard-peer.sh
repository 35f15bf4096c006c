#!/usr/bin/env bash
# The best-known user-space tunnel on this machine, as a peer for the Go ESP tunnel's throughput:
# one TCP stream (iperf3) client → gateway A → "internet" → gateway B → server, first routed
# plainly by the kernel, then through wireguard-go (TUN + UDP with GSO/GRO offloads, ChaCha20-
# Poly1305) between A and B; the runs alternate and the ratio tunnel / plain is printed per pair.
# Compare it with the Go ESP tunnel's ratio to plain routing
# (SPACELAB_IPSEC_BENCH=1 go test ./ipsec/ -run IperfThroughput -v): both are what a user-space
# gateway reaches against the kernel's forwarding on the same cores.
#
# Everything lives in a private user, mount, PID and network namespace (names on a private /run);
# when the script ends or is killed, the kernel ends every process and namespace it made.
# Needs: iperf3, wg (Debian wireguard-tools), and wireguard-go:
#   go install golang.zx2c4.com/wireguard@latest   # the binary is ~/go/bin/wireguard
# Usage: bash bench/wireguard-peer.sh [PAIRS] [SECONDS]   (WIREGUARD=path overrides the binary)
set -euo pipefail
pairs=${1:-3}
secs=${2:-5}
wgbin=${WIREGUARD:-$(command -v wireguard-go || command -v wireguard || echo "$(go env GOPATH)/bin/wireguard")}
for tool in iperf3 wg "$wgbin"; do
  command -v "$tool" >/dev/null || { echo "missing $tool (see the comment at the top of $0)" >&2; exit 2; }
done
if [ "${1:-}" != "--inside" ]; then
  exec unshare --user --map-root-user --mount --net --pid --fork --kill-child \
    env WIREGUARD="$wgbin" bash "$0" --inside "$pairs" "$secs"
fi
pairs=$2 secs=$3
mount -t tmpfs spacelab-bench-wg /run
mkdir -p /run/netns /run/wireguard
ns() { ip netns exec "$1" "${@:2}"; }
for n in c a b s; do ip netns add "slwg-$n"; ns "slwg-$n" ip link set lo up; done
link() { # link NS1 IF1 ADDR1 NS2 IF2 ADDR2
  ip link add "$2" netns "slwg-$1" type veth peer name "$5" netns "slwg-$4"
  ns "slwg-$1" ip addr add "$3" dev "$2"; ns "slwg-$1" ip link set "$2" up
  ns "slwg-$4" ip addr add "$6" dev "$5"; ns "slwg-$4" ip link set "$5" up
}
link c eth0 10.1.0.2/24 a lan 10.1.0.1/24
link a wan 192.0.2.1/24 b wan 192.0.2.2/24
link b lan 10.2.0.1/24 s eth0 10.2.0.2/24
for g in a b; do ns "slwg-$g" sysctl -qw net.ipv4.ip_forward=1; done
ns slwg-c ip route add default via 10.1.0.1
ns slwg-s ip route add default via 10.2.0.1

# wireguard-go on both gateways (tunnel addresses 10.9.0.1/.2), keys made here.
ka=$(wg genkey) kb=$(wg genkey)
for g in a b; do ns "slwg-$g" "$wgbin" -f "wg$g" >/dev/null 2>&1 & done
for _ in $(seq 50); do [ -S /run/wireguard/wga.sock ] && [ -S /run/wireguard/wgb.sock ] && break; sleep 0.1; done
ns slwg-a wg set wga private-key <(echo "$ka") listen-port 51820 \
  peer "$(echo "$kb" | wg pubkey)" endpoint 192.0.2.2:51820 allowed-ips 10.9.0.2/32,10.2.0.0/24
ns slwg-b wg set wgb private-key <(echo "$kb") listen-port 51820 \
  peer "$(echo "$ka" | wg pubkey)" endpoint 192.0.2.1:51820 allowed-ips 10.9.0.1/32,10.1.0.0/24
ns slwg-a ip addr add 10.9.0.1/24 dev wga; ns slwg-a ip link set wga up
ns slwg-b ip addr add 10.9.0.2/24 dev wgb; ns slwg-b ip link set wgb up

ns slwg-s iperf3 -s -D -1 >/dev/null 2>&1 || true
route() { # plain: the gateways route each other's LAN over wan; tunnel: over wireguard
  if [ "$1" = plain ]; then
    ns slwg-a ip route replace 10.2.0.0/24 via 192.0.2.2
    ns slwg-b ip route replace 10.1.0.0/24 via 192.0.2.1
  else
    ns slwg-a ip route replace 10.2.0.0/24 dev wga
    ns slwg-b ip route replace 10.1.0.0/24 dev wgb
  fi
}
run() { # prints Mbit/s received
  route "$1"
  ns slwg-s pkill -x iperf3 2>/dev/null || true
  ns slwg-s iperf3 -s -D -1 >/dev/null 2>&1
  sleep 0.2
  ns slwg-c iperf3 -c 10.2.0.2 -t "$secs" -J | python3 -c 'import json,sys; print(round(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]/1e6))'
}
ratios=()
for p in $(seq "$pairs"); do
  t=$(run wireguard); r=$(run plain)
  ratio=$(python3 -c "print(f'{$t/$r:.2f}')")
  ratios+=("$ratio")
  echo "pair $p: wireguard-go $t Mbit/s, plain routing $r Mbit/s, ratio $ratio"
done
echo "RATIO wireguard-go / plain routing: ${ratios[*]} (pair by pair; $(nproc) cores, $("$wgbin" --version 2>/dev/null | head -1))"
