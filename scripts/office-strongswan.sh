#!/usr/bin/env bash
# Start a real strongSwan (charon with kernel-libipsec) in the office gateway of a running
# `spacelab up`, configured from what `heroku spaces:vpn:config` prints, and bring both tunnels up.
#
#   scripts/office-strongswan.sh office enablement-jp [office-gw] [192.168.0.0/16]
#   scripts/office-strongswan.sh --stop     # returns once charon has exited
#
# Run it as the user who ran `spacelab up`, in the same shell (it reads the HEROKU_* variables,
# else the env file in spacelab's state directory: $SPACELAB_STATE_DIR, $XDG_RUNTIME_DIR/spacelab
# or /tmp/spacelab-UID; under sudo also the invoking user's). strongSwan runs inside the
# emulator's sandbox, so what needs /dev/net/tun (kernel-libipsec) is the `spacelab up`: run that
# as root (see `spacelab doctor`). Needs strongSwan 5.9 (strongswan-charon, strongswan-swanctl,
# libcharon-extra-plugins); reads the JSON with python3 if present, else node.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
die() { echo "office-strongswan.sh: $*" >&2; exit 1; }
dir=${STRONGSWAN_DIR:-${TMPDIR:-/tmp}/spacelab-strongswan}
charon=${CHARON:-/usr/lib/ipsec/charon}
swanctl=${SWANCTL:-/usr/sbin/swanctl}

if [ "${1:-}" = "--stop" ]; then
  if [ ! -f "$dir/charon.pid" ]; then
    echo "office-strongswan.sh: no strongSwan of this script in $dir (STRONGSWAN_DIR): nothing to stop"
  elif p=$(cat "$dir/charon.pid") && kill "$p" 2>/dev/null; then
    # The pid is the spacelab exec that runs charon; it returns once charon has exited.
    for _ in $(seq 200); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
    if kill -0 "$p" 2>/dev/null; then
      echo "office-strongswan.sh: strongSwan (spacelab exec pid $p) is still stopping; its log: $dir/charon.log" >&2
      exit 1
    fi
    echo "office-strongswan.sh: stopped strongSwan (spacelab exec pid $p)"
  else
    echo "office-strongswan.sh: strongSwan (spacelab exec pid $p) had already exited"
  fi
  rm -rf "$dir"
  exit 0
fi
usage="usage: office-strongswan.sh VPN SPACE [GATEWAY-HOST] [LOCAL-CIDRS]  |  office-strongswan.sh --stop"
vpn=${1:?$usage}
space=${2:?$usage}
gw=${3:-office-gw}
local_ts=${4:-192.168.0.0/16}

# spacelab: $SPACELAB, else on PATH, else where `go build`/`go install` put it.
spacelab=${SPACELAB:-}
if [ -z "$spacelab" ]; then
  for c in spacelab "$here/../spacelab" "$(go env GOPATH 2>/dev/null)/bin/spacelab"; do
    if command -v "$c" >/dev/null 2>&1; then spacelab=$c; break; fi
  done
fi
if [ -n "${SPACELAB:-}" ] && ! command -v "$SPACELAB" >/dev/null 2>&1; then die "SPACELAB=$SPACELAB is not an executable spacelab"; fi
[ -n "$spacelab" ] ||
  die "spacelab not found (looked at \$SPACELAB, PATH, $here/../spacelab, \$(go env GOPATH)/bin): build it with go build -o spacelab ./cmd/spacelab, or set SPACELAB=PATH"

# The environment `spacelab up` printed; sudo drops it, so fall back to its env file.
if [ -z "${HEROKU_HOST:-}" ] || [ -z "${HEROKU_API_KEY:-}" ]; then
  candidates=()
  [ -n "${SPACELAB_STATE_DIR:-}" ] && candidates+=("$SPACELAB_STATE_DIR")
  [ -n "${XDG_RUNTIME_DIR:-}" ] && candidates+=("$XDG_RUNTIME_DIR/spacelab")
  candidates+=("/tmp/spacelab-$(id -u)")
  if [ -n "${SUDO_UID:-}" ]; then candidates+=("/run/user/$SUDO_UID/spacelab" "/tmp/spacelab-$SUDO_UID"); fi
  found=
  for d in "${candidates[@]}"; do
    if [ -r "$d/env" ]; then found=$d; break; fi
  done
  [ -n "$found" ] || die "no HEROKU_HOST/HEROKU_API_KEY in the environment and no env file of a running spacelab up in: ${candidates[*]}; start spacelab up, then run this in a shell where you did: . STATE_DIR/env"
  # shellcheck disable=SC1091
  . "$found/env"
  export SPACELAB_STATE_DIR=$found
fi
# kernel-libipsec opens /dev/net/tun inside the sandbox, as the user who ran spacelab up.
state=${SPACELAB_STATE_DIR:-}
if [ -n "$state" ] && [ -r "$state/sandbox.pid" ]; then
  sb=$(awk '{print $1}' "$state/sandbox.pid")
  owner=$(stat -c %u "/proc/$sb" 2>/dev/null || echo "")
  if [ -n "$owner" ] && [ "$owner" != 0 ] && [ "$(stat -c %a /dev/net/tun 2>/dev/null | cut -c3)" != 6 ]; then
    die "the running spacelab up (sandbox pid $sb) belongs to uid $owner, and /dev/net/tun is root's: strongSwan's kernel-libipsec cannot open it in office-gw. Stop it (spacelab down) and run spacelab up as root; spacelab doctor shows what this user can run"
  fi
fi

heroku=${HEROKU:-${SPACELAB_HEROKU_CLI:-}}
if [ -z "$heroku" ]; then
  for c in heroku /opt/heroku-cli/node_modules/.bin/heroku; do
    if command -v "$c" >/dev/null 2>&1; then heroku=$c; break; fi
  done
fi
[ -n "$heroku" ] || die "the heroku CLI is not installed (npm install -g heroku@11), or set HEROKU=PATH"
for b in "$charon" "$swanctl"; do
  [ -x "$b" ] || die "$b not found: apt-get install strongswan-charon strongswan-swanctl libcharon-extra-plugins (as root)"
done

json=$("$heroku" spaces:vpn:config "$vpn" --space "$space" --json) ||
  die "heroku spaces:vpn:config $vpn --space $space failed (above); create the VPN first: heroku spaces:vpn:connect $vpn --ip GATEWAY-IP --cidrs CIDRS --space $space"
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
# Plugins load before the control socket opens: without kernel-libipsec charon runs on, but
# with no IPsec backend, and its threads crash as soon as a tunnel is initiated.
if grep -q "plugin 'kernel-libipsec': failed to load" "$dir/charon.log" 2>/dev/null; then
  why=$(grep -m1 -o "failed to open /dev/net/tun: .*" "$dir/charon.log" || echo "see $dir/charon.log")
  stop_charon
  die "strongSwan's kernel-libipsec did not load in $gw ($why): the sandbox of this spacelab up cannot open /dev/net/tun; run spacelab up as root (spacelab doctor shows what this user can run)"
fi
"$swanctl" --load-all --noprompt --file "$dir/swanctl.conf" --uri "unix://$dir/charon.vici" >"$dir/swanctl.out" 2>&1 ||
  { cat "$dir/swanctl.out" >&2; stop_charon; die "swanctl could not load $dir/swanctl.conf into charon"; }
# Only say it runs when it still does after loading (kernel-libipsec and the initiations can
# make it exit right then) and answers on its control socket.
for _ in $(seq 10); do alive || break; sleep 0.05; done
if grep -q "received 11" "$dir/charon.log" 2>/dev/null; then
  stop_charon
  tail -n 20 "$dir/charon.log" >&2
  die "charon crashed in $gw after loading the connections (a thread got SIGSEGV; log: $dir/charon.log)"
fi
if ! alive || ! "$swanctl" --stats --uri "unix://$dir/charon.vici" >/dev/null 2>&1; then
  cat "$dir/charon.out" >&2
  [ -f "$dir/charon.log" ] && tail -n 20 "$dir/charon.log" >&2
  die "charon exited in $gw after loading the connections (its output is above; log: $dir/charon.log)"
fi
n=$("$swanctl" --list-conns --uri "unix://$dir/charon.vici" 2>/dev/null | grep -c '^tunnel' || true)
echo "strongSwan runs in $gw with $n connections loaded; log: $dir/charon.log; see the tunnels with: heroku spaces:vpn:connections --space $space; stop with $0 --stop"
