#!/usr/bin/env bash
# Install the real clients spacelab's tests and walkthroughs drive (Debian 12, as root or with sudo):
#
#   heroku CLI       npm heroku@11.10.0 into $HEROKU_DIR (/opt/heroku-cli), linked as $BIN_DIR/heroku
#                    (/usr/local/bin/heroku); needs node >= 20 and npm
#   AWS CLI v2       Debian's awscli (/usr/bin/aws)
#   boto3            Debian's python3-boto3 (for /usr/bin/python3; fakeaws/boto3_test.go)
#   curl, dig        curl, dnsutils
#   strongSwan       strongswan-charon strongswan-swanctl libcharon-extra-plugins (the office side of a VPN)
#   tcpdump, tshark  tcpdump, tshark (the tests read spacelab's pcaps with both)
#   python3          python3 (the user-program tests run python3 -m http.server in dynos)
#   and what the data plane and benchmarks use: iproute2, nftables, iperf3
#
# Already-installed packages are left alone, so running it again is quick. The tests find the
# heroku CLI on PATH or at $HEROKU_DIR/node_modules/.bin/heroku with no variable to set.
set -euo pipefail

HEROKU_VERSION=11.10.0
HEROKU_DIR=${HEROKU_DIR:-/opt/heroku-cli}
BIN_DIR=${BIN_DIR:-/usr/local/bin}
pkgs=(awscli curl dnsutils strongswan-charon strongswan-swanctl libcharon-extra-plugins libstrongswan-standard-plugins tcpdump tshark iproute2 nftables iperf3 graphviz python3 python3-boto3)

say() { printf 'install-clients: %s\n' "$*" >&2; }
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else say "needs root for: $*  (run this script as root)"; exit 1
  fi
}

missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
command -v npm >/dev/null 2>&1 || missing+=(npm)
if ((${#missing[@]})); then
  say "apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get -o DPkg::Lock::Timeout=600 update -q >/dev/null
  as_root apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  say "heroku@$HEROKU_VERSION needs node >= 20; this node is $(node --version 2>/dev/null || echo missing). Install node 20+ and run again."
  exit 1
fi
heroku="$HEROKU_DIR/node_modules/.bin/heroku"
if [ ! -x "$heroku" ] || [ "$("$heroku" --version 2>/dev/null | sed -n 's|^heroku/\([^ ]*\).*|\1|p')" != "$HEROKU_VERSION" ]; then
  say "npm install heroku@$HEROKU_VERSION in $HEROKU_DIR"
  as_root mkdir -p "$HEROKU_DIR"
  as_root sh -c "cd '$HEROKU_DIR' && { [ -f package.json ] || npm init -y >/dev/null; } && npm install --no-audit --no-fund --loglevel=error heroku@$HEROKU_VERSION >/dev/null"
fi
as_root mkdir -p "$BIN_DIR"
as_root ln -sfn "$heroku" "$BIN_DIR/heroku"

say "heroku: $BIN_DIR/heroku -> $heroku ($("$heroku" --version | head -n1))"
say "aws:    /usr/bin/aws ($(/usr/bin/aws --version 2>&1))"
say "curl:   $(command -v curl)   dig: $(command -v dig)   tcpdump: $(command -v tcpdump)"
say "charon: /usr/lib/ipsec/charon ($(dpkg-query -W -f='${Version}' strongswan-charon))"
