#!/usr/bin/env bash
# Start a real strongSwan (charon with kernel-libipsec) as the customer gateway of an AWS
# Site-to-Site VPN connection of a running `spacelab up`, configured from the customer gateway
# configuration AWS returns (the XML of DescribeVpnConnections' CustomerGatewayConfiguration):
# both tunnels' outside addresses, pre-shared keys and IKE/IPsec parameters.
#
#   aws ec2 describe-vpn-connections --vpn-connection-ids vpn-… \
#       --query 'VpnConnections[0].CustomerGatewayConfiguration' --output text > cgw.xml
#   scripts/aws-cgw-strongswan.sh cgw.xml 192.168.0.0/24 172.16.0.0/16 [office-gw]
#   scripts/aws-cgw-strongswan.sh --stop
#
# The second and third arguments are the traffic selectors: your networks (the office LAN) and
# the VPC's CIDR (the XML names neither). The last is the spacelab host that owns the customer
# gateway's address (default office-gw). Like scripts/office-strongswan.sh it runs strongSwan
# inside the emulator's sandbox (`spacelab exec`), so `spacelab up` must run as root (TUN
# devices), and it needs strongSwan 5.9 (strongswan-charon, strongswan-swanctl,
# libcharon-extra-plugins) and python3 to read the XML.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
die() { echo "aws-cgw-strongswan.sh: $*" >&2; exit 1; }
dir=${STRONGSWAN_DIR:-${TMPDIR:-/tmp}/spacelab-aws-cgw}
charon=${CHARON:-/usr/lib/ipsec/charon}
swanctl=${SWANCTL:-/usr/sbin/swanctl}

if [ "${1:-}" = "--stop" ]; then
  [ -f "$dir/charon.pid" ] && kill "$(cat "$dir/charon.pid")" 2>/dev/null || true
  rm -rf "$dir"
  exit 0
fi
usage="usage: aws-cgw-strongswan.sh CONFIG.xml LOCAL-CIDRS REMOTE-CIDRS [GATEWAY-HOST]  |  aws-cgw-strongswan.sh --stop"
xml=${1:?$usage}
local_ts=${2:?$usage}
remote_ts=${3:?$usage}
gw=${4:-office-gw}
[ -r "$xml" ] || die "cannot read $xml (save it with: aws ec2 describe-vpn-connections --vpn-connection-ids VPN --query 'VpnConnections[0].CustomerGatewayConfiguration' --output text > $xml)"

spacelab=${SPACELAB:-}
if [ -z "$spacelab" ]; then
  for c in spacelab "$here/../spacelab" "$(go env GOPATH 2>/dev/null)/bin/spacelab"; do
    if command -v "$c" >/dev/null 2>&1; then spacelab=$c; break; fi
  done
fi
[ -n "$spacelab" ] || die "spacelab not found (looked at \$SPACELAB, PATH, $here/../spacelab, \$(go env GOPATH)/bin): build it with go build -o spacelab ./cmd/spacelab, or set SPACELAB=PATH"
command -v python3 >/dev/null 2>&1 || die "python3 is needed to read the XML"
for b in "$charon" "$swanctl"; do
  [ -x "$b" ] || die "$b not found: apt-get install strongswan-charon strongswan-swanctl libcharon-extra-plugins (as root)"
done

# One line per tunnel: customer address, AWS address, PSK, IKE proposal, ESP proposal,
# IKE lifetime, IPsec lifetime, DPD delay, DPD retries.
mapfile -t tunnels < <(python3 - "$xml" <<'PY'
import sys
import xml.etree.ElementTree as ET
enc = {"aes-128-cbc": "aes128", "aes-256-cbc": "aes256"}
auth = {"sha1": "sha1", "sha2-256": "sha256", "sha2-384": "sha384", "sha2-512": "sha512",
        "hmac-sha1-96": "sha1", "hmac-sha2-256-128": "sha256", "hmac-sha2-384-192": "sha384", "hmac-sha2-512-256": "sha512"}
dh = {"group2": "modp1024", "group5": "modp1536", "group14": "modp2048", "group19": "ecp256", "group20": "ecp384"}
root = ET.parse(sys.argv[1]).getroot()
for t in root.findall("ipsec_tunnel"):
    g = lambda p: t.find(p).text.strip()
    ike = "-".join([enc[g("ike/encryption_protocol")], auth[g("ike/authentication_protocol")], dh[g("ike/perfect_forward_secrecy")]])
    esp = "-".join([enc[g("ipsec/encryption_protocol")], auth[g("ipsec/authentication_protocol")], dh[g("ipsec/perfect_forward_secrecy")]])
    print(g("customer_gateway/tunnel_outside_address/ip_address"), g("vpn_gateway/tunnel_outside_address/ip_address"), g("ike/pre_shared_key"),
          ike, esp, g("ike/lifetime"), g("ipsec/lifetime"), g("ipsec/dead_peer_detection/delay"), g("ipsec/dead_peer_detection/retries"))
PY
) || die "could not read the tunnels from $xml"
[ "${#tunnels[@]}" -gt 0 ] || die "$xml has no ipsec_tunnel"

mkdir -p "$dir" && chmod 755 "$dir"
cat >"$dir/strongswan.conf" <<CONF
charon {
  load_modular = no
  load = random nonce openssl aes sha1 sha2 hmac kdf gmp pem pkcs1 x509 pubkey revocation constraints kernel-libipsec kernel-netlink socket-default vici updown
  install_routes = yes
  plugins {
    vici {
      socket = unix://$dir/charon.vici
    }
  }
  filelog {
    main {
      path = $dir/charon.log
      time_format = %H:%M:%S
      flush_line = yes
      default = 1
      ike = 2
    }
  }
}
CONF
{
  echo "connections {"
  n=0
  for line in "${tunnels[@]}"; do
    read -r customer aws psk ike esp ike_life esp_life dpd retries <<<"$line"
    n=$((n + 1))
    cat <<CONN
  tunnel$n {
    version = 1
    local_addrs = $customer
    remote_addrs = $aws
    proposals = $ike
    reauth_time = ${ike_life}s
    dpd_delay = ${dpd}s
    dpd_timeout = $((dpd * retries))s
    local {
      auth = psk
      id = $customer
    }
    remote {
      auth = psk
      id = $aws
    }
    children {
      tunnel$n {
        local_ts = $local_ts
        remote_ts = $remote_ts
        esp_proposals = $esp
        rekey_time = ${esp_life}s
        dpd_action = restart
        start_action = start
      }
    }
  }
CONN
  done
  echo "}"
  echo "secrets {"
  n=0
  for line in "${tunnels[@]}"; do
    read -r customer aws psk _ <<<"$line"
    n=$((n + 1))
    printf '  ike-%s {\n    id-a = %s\n    id-b = %s\n    secret = "%s"\n  }\n' "$n" "$customer" "$aws" "$psk"
  done
  echo "}"
} >"$dir/swanctl.conf"

# charon hard-codes /var/run/charon.pid: give it a private /run (spacelab exec runs every
# command in its own mount namespace).
"$spacelab" exec "$gw" -- env STRONGSWAN_CONF="$dir/strongswan.conf" sh -c "mount -t tmpfs run /run && exec $charon" \
  >"$dir/charon.out" 2>&1 &
pid=$!
echo $pid >"$dir/charon.pid"
alive() { kill -0 "$pid" 2>/dev/null; }
for _ in $(seq 100); do [ -S "$dir/charon.vici" ] && break; alive || break; sleep 0.05; done
if ! alive || [ ! -S "$dir/charon.vici" ]; then
  cat "$dir/charon.out" >&2
  [ -f "$dir/charon.log" ] && tail -n 20 "$dir/charon.log" >&2
  die "charon did not start in $gw (its output is above; log: $dir/charon.log)"
fi
stop_charon() { kill "$pid" 2>/dev/null || true; }
if grep -q "plugin 'kernel-libipsec': failed to load" "$dir/charon.log" 2>/dev/null; then
  why=$(grep -m1 -o "failed to open /dev/net/tun: .*" "$dir/charon.log" || echo "see $dir/charon.log")
  stop_charon
  die "strongSwan's kernel-libipsec did not load in $gw ($why): run spacelab up as root (spacelab doctor shows what this user can run)"
fi
"$swanctl" --load-all --noprompt --file "$dir/swanctl.conf" --uri "unix://$dir/charon.vici" >"$dir/swanctl.out" 2>&1 ||
  { cat "$dir/swanctl.out" >&2; stop_charon; die "swanctl could not load $dir/swanctl.conf into charon"; }
if ! alive || ! "$swanctl" --stats --uri "unix://$dir/charon.vici" >/dev/null 2>&1; then
  cat "$dir/charon.out" >&2
  [ -f "$dir/charon.log" ] && tail -n 20 "$dir/charon.log" >&2
  die "charon exited in $gw after loading the connections (log: $dir/charon.log)"
fi
echo "strongSwan runs in $gw with ${#tunnels[@]} tunnels from $xml; log: $dir/charon.log; see them with: aws ec2 describe-vpn-connections --query 'VpnConnections[].VgwTelemetry'; stop with $0 --stop"
