#!/usr/bin/env bash
# Start a real strongSwan (charon with kernel-libipsec) in the office gateway of a running
# `spacelab up`, configured from what `heroku spaces:vpn:config` prints, and bring both tunnels up.
#
#   . "$SPACELAB_STATE_DIR/env"      # or the env file spacelab up wrote
#   scripts/office-strongswan.sh office enablement-jp [office-gw] [192.168.0.0/16]
#   scripts/office-strongswan.sh --stop
#
# Needs root (kernel-libipsec needs /dev/net/tun), strongSwan 5.9 (strongswan-charon,
# strongswan-swanctl, libcharon-extra-plugins), jq-free: it reads the JSON with python3 if
# present, else node (the heroku CLI's own runtime).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
spacelab=${SPACELAB:-spacelab}
command -v "$spacelab" >/dev/null 2>&1 || spacelab="$here/../spacelab"
heroku=${HEROKU:-heroku}
dir=${STRONGSWAN_DIR:-${TMPDIR:-/tmp}/spacelab-strongswan}
charon=${CHARON:-/usr/lib/ipsec/charon}
swanctl=${SWANCTL:-/usr/sbin/swanctl}

if [ "${1:-}" = "--stop" ]; then
  [ -f "$dir/charon.pid" ] && kill "$(cat "$dir/charon.pid")" 2>/dev/null || true
  rm -rf "$dir"
  exit 0
fi
vpn=${1:?usage: office-strongswan.sh VPN SPACE [GATEWAY-HOST] [LOCAL-CIDRS]}
space=${2:?usage: office-strongswan.sh VPN SPACE [GATEWAY-HOST] [LOCAL-CIDRS]}
gw=${3:-office-gw}
local_ts=${4:-192.168.0.0/16}

json=$("$heroku" spaces:vpn:config "$vpn" --space "$space" --json)
parse() {
  if command -v python3 >/dev/null 2>&1; then
    python3 -c 'import json,sys; c=json.load(sys.stdin); print(c["space_cidr_block"]); [print(t["customer_ip"], t["ip"], t["pre_shared_key"]) for t in c["tunnels"]]'
  else
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const c=JSON.parse(s);console.log(c.space_cidr_block);for(const t of c.tunnels)console.log(t.customer_ip,t.ip,t.pre_shared_key)})'
  fi
}
mapfile -t lines < <(printf '%s' "$json" | parse)
remote_ts=${lines[0]}

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
      default = 1
      ike = 2
    }
  }
}
CONF
{
  echo "connections {"
  n=0
  for line in "${lines[@]:1}"; do
    read -r customer heroku_ip psk <<<"$line"
    n=$((n + 1))
    cat <<CONN
  tunnel$n {
    version = 1
    local_addrs = $customer
    remote_addrs = $heroku_ip
    proposals = aes128-sha1-modp2048
    dpd_delay = 10s
    local {
      auth = psk
      id = $customer
    }
    remote {
      auth = psk
      id = $heroku_ip
    }
    children {
      office$n {
        local_ts = $local_ts
        remote_ts = $remote_ts
        esp_proposals = aes128-sha1-modp2048
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
  for line in "${lines[@]:1}"; do
    read -r customer heroku_ip psk <<<"$line"
    n=$((n + 1))
    printf '  ike-%s {\n    id-a = %s\n    id-b = %s\n    secret = "%s"\n  }\n' "$n" "$customer" "$heroku_ip" "$psk"
  done
  echo "}"
} >"$dir/swanctl.conf"

# charon hard-codes /var/run/charon.pid: give it a private /run (spacelab exec runs every
# command in its own mount namespace).
"$spacelab" exec "$gw" -- env STRONGSWAN_CONF="$dir/strongswan.conf" sh -c "mount -t tmpfs run /run && exec $charon" \
  >"$dir/charon.out" 2>&1 &
echo $! >"$dir/charon.pid"
for _ in $(seq 100); do [ -S "$dir/charon.vici" ] && break; sleep 0.05; done
[ -S "$dir/charon.vici" ] || { cat "$dir/charon.out" >&2; echo "charon did not start" >&2; exit 1; }
"$swanctl" --load-all --noprompt --file "$dir/swanctl.conf" --uri "unix://$dir/charon.vici" 2>"$dir/swanctl.err" ||
  { cat "$dir/swanctl.err" >&2; exit 1; }
echo "strongSwan runs in $gw; log: $dir/charon.log; stop with $0 --stop"
