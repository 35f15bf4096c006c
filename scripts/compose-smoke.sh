#!/usr/bin/env bash
# Smoke test of docker-compose.yml with the host's real clients: docker-compose up -d, wait until
# healthy, the seed's Private Space Peering flow (shared/seeds/000_*) with the heroku CLI and the
# AWS CLI on this machine, curl and dig from the EC2 instance inside the container, then
# docker-compose down and check that nothing is left: no container, no network, no bridge or
# veth, none of the container's or the sandbox's network namespaces.
#
#   scripts/build-image.sh && scripts/compose-smoke.sh
#
# Needs docker + docker-compose, the image (SPACELAB_IMAGE, default spacelab:dev), the heroku CLI
# ($SPACELAB_HEROKU_CLI, `heroku` on PATH or /opt/heroku-cli) and AWS CLI v2 (/usr/bin/aws).
# Ports: SPACELAB_HEROKU_PORT / SPACELAB_AWS_PORT (5400/5401).
set -euo pipefail
cd "$(dirname "$0")/.."
export COMPOSE_PROJECT_NAME=${COMPOSE_PROJECT_NAME:-spacelab-smoke}
export SPACELAB_CLIENT_DIR
SPACELAB_CLIENT_DIR=$(mktemp -d /tmp/spacelab-compose-clients.XXXXXX)
heroku=${SPACELAB_HEROKU_CLI:-$(command -v heroku || echo /opt/heroku-cli/node_modules/.bin/heroku)}
aws=${SPACELAB_AWS_CLI:-/usr/bin/aws}
dc() { docker-compose "$@"; }
fail() { echo "compose-smoke: FAIL: $*" >&2; exit 1; }
step() { printf 'compose-smoke: %s (%ss)\n' "$*" "$SECONDS"; }
for b in docker docker-compose "$heroku" "$aws"; do command -v "$b" >/dev/null || fail "$b is not installed"; done

cleanup() {
  dc down --remove-orphans >/dev/null 2>&1 || true
  rm -rf "$SPACELAB_CLIENT_DIR"
}
trap cleanup EXIT

# netns_everywhere prints the inode of every network namespace in use on the machine: those of
# processes and threads, those held by open descriptors, those bind-mounted.
netns_everywhere() {
  {
    for p in /proc/[0-9]*; do readlink "$p"/ns/net "$p"/task/*/ns/net "$p"/fd/* 2>/dev/null || true; done
    cat /proc/[0-9]*/mountinfo 2>/dev/null | awk '{print $4}' || true
  } | sed -n 's/^net:\[\([0-9]*\)\]$/\1/p' | sort -u
}

step "up -d"
dc up -d >/dev/null 2>&1 || { dc up -d; fail "up -d"; }
cid=$(dc ps -q spacelab)
[ -n "$cid" ] || fail "no container"
started=$(docker inspect -f '{{.State.StartedAt}}' "$cid")
# The healthcheck's verdict (or the container dying first) as an event: waited for, not polled.
exec 3< <(exec timeout 180 docker events --since "$started" --filter "container=$cid" \
  --filter event=health_status --filter event=die --format '{{.Status}}')
events=$!
verdict=timeout
while read -r -u 3 ev; do case "$ev" in *unhealthy* | die*) verdict=$ev; break ;; *healthy*) verdict=healthy; break ;; esac; done
kill "$events" 2>/dev/null || true
exec 3<&-
[ "$verdict" = healthy ] || { dc logs >&2; fail "container not healthy: $verdict"; }
step "healthy"

# What the container holds, to check it is gone after down.
pid=$(docker inspect -f '{{.State.Pid}}' "$cid")
netid=$(docker network inspect -f '{{.Id}}' "${COMPOSE_PROJECT_NAME}_api")
bridge="br-${netid:0:12}"
veths=$(ip -o link show master "$bridge" | awk -F': ' '{print $2}' | cut -d@ -f1)
[ -n "$veths" ] || fail "no veth on $bridge"
mapfile -t held < <(for p in "$pid" $(pgrep -P "$pid" || true); do
  readlink "/proc/$p/ns/net" /proc/"$p"/task/*/ns/net /proc/"$p"/fd/* 2>/dev/null || true; done | sed -n 's/^net:\[\([0-9]*\)\]$/\1/p' | sort -u)
((${#held[@]} >= 3)) || fail "expected the container's and the sandbox's namespaces, found ${#held[@]} (pid $pid: $(pgrep -P "$pid"))"
own=$(readlink "/proc/$pid/ns/net" | sed -n 's/^net:\[\([0-9]*\)\]$/\1/p')
[ -z "$(nsenter -t "$pid" -n ip route show default)" ] || fail "the container has a default route"

step "env for the host's clients"
# `spacelab env` prints the env file again; `spacelab up` also printed it on its stdout.
if envs=$(dc exec -T spacelab spacelab env 2>/dev/null); then :; else envs=$(docker logs "$cid" 2>/dev/null | grep '^export '); fi
eval "$envs"
case "$HEROKU_HOST $AWS_ENDPOINT_URL" in *127.0.0.1:*" "*127.0.0.1:*) ;; *) fail "exports do not point at 127.0.0.1: $HEROKU_HOST $AWS_ENDPOINT_URL" ;; esac
h() { "$heroku" "$@" 2> >(grep -v -e 'Warning:' -e 'terms-of-service' -e 'terms of service' >&2); }
a() { "$aws" --endpoint-url "$AWS_ENDPOINT_URL" --output text "$@"; }
inside() { dc exec -T spacelab spacelab exec "$@"; }

step "1. heroku spaces:peering:info"
info=$(h spaces:peering:info enablement-jp)
field() { sed -n "s/^$1: *//p" <<<"$info" | tr -d ' '; }
space_account=$(field 'AWS Account ID'); space_region=$(field 'AWS Region'); space_vpc=$(field 'AWS VPC ID')
[ -n "$space_account" ] && [ -n "$space_vpc" ] || fail "peering:info: $info"
vpc=$(a ec2 describe-vpcs --filters Name=cidr,Values=172.16.0.0/16 --query 'Vpcs[0].VpcId')
curl_app=(curl -s -m 3 -D - -o /dev/null http://test-vpn-compute.herokuapp.com/)
if inside ip-172-16-0-8 -- "${curl_app[@]}" >/dev/null; then fail "curl reached the app before the peering"; fi

step "2. aws ec2 create-vpc-peering-connection"
pcx=$(a ec2 create-vpc-peering-connection --vpc-id "$vpc" --peer-vpc-id "$space_vpc" --peer-owner-id "$space_account" \
  --peer-region "$space_region" --query VpcPeeringConnection.VpcPeeringConnectionId)
step "3. heroku spaces:peerings / accept $pcx"
h spaces:peerings enablement-jp | grep -q "$pcx.*pending-acceptance" || fail "$pcx is not pending acceptance in heroku"
h spaces:peerings:accept "$pcx" --space enablement-jp | grep -q "Accepting and configuring peering connection $pcx" || fail "accept"
[ "$(a ec2 describe-vpc-peering-connections --vpc-peering-connection-ids "$pcx" --query 'VpcPeeringConnections[0].Status.Code')" = active ] ||
  fail "$pcx is not active in AWS"

step "4. aws ec2 create-route"
rtb=$(a ec2 describe-route-tables --filters "Name=vpc-id,Values=$vpc" Name=association.main,Values=true --query 'RouteTables[0].RouteTableId')
a ec2 create-route --route-table-id "$rtb" --destination-cidr-block 10.0.0.0/16 --vpc-peering-connection-id "$pcx" >/dev/null

step "curl and dig from ip-172-16-0-8"
out=$(inside ip-172-16-0-8 -- "${curl_app[@]}") || fail "curl failed: $out"
grep -q '^HTTP/1.1 200 OK' <<<"$out" && grep -qE '^Via: 1\.1 spaces-router \([0-9a-f]{12}\)' <<<"$out" || fail "curl: $out"
out=$(inside ip-172-16-0-8 -- dig +short test-vpn-compute.herokuapp.com)
[ "$(sort <<<"$out" | tr '\n' ' ')" = "10.0.15.133 10.0.25.212 " ] || fail "dig: $out"

step "down"
dc down --remove-orphans >/dev/null 2>&1
[ -z "$(docker ps -aq --filter "label=com.docker.compose.project=$COMPOSE_PROJECT_NAME")" ] || fail "a container is left"
[ -z "$(docker network ls -q --filter "label=com.docker.compose.project=$COMPOSE_PROJECT_NAME")" ] || fail "a network is left"
! ip link show "$bridge" >/dev/null 2>&1 || fail "bridge $bridge is left"
for v in $veths; do ! ip link show "$v" >/dev/null 2>&1 || fail "the container's veth $v is left"; done
# The sandbox's namespaces (every emulated host) must be gone at once. The container's own
# namespace goes when dockerd's network garbage collector unmounts its /var/run/docker/netns
# file (once a minute, hard-wired in dockerd): until then that mount must be all that holds it.
holders() { # INODE: who holds it, one line each
  local p
  for p in /proc/[0-9]*; do
    readlink "$p"/ns/net "$p"/task/*/ns/net "$p"/fd/* 2>/dev/null | grep -qxF "net:[$1]" &&
      echo "process ${p#/proc/}: $(tr '\0' ' ' <"$p/cmdline" | cut -c1-100)"
  done
  cat /proc/[0-9]*/mountinfo 2>/dev/null | awk -v ns="net:[$1]" '$4 == ns {print "mount " $5}' | sort -u
}
check_left() {
  local left ns
  left=$(comm -12 <(printf '%s\n' "${held[@]}") <(netns_everywhere))
  for ns in $left; do
    h=$(holders "$ns")
    [ -z "$h" ] && continue # gone in between
    if [ "$ns" = "$own" ] && ! grep -qv '^mount /var/run/docker/netns/\|^mount /run/docker/netns/' <<<"$h"; then
      echo "pending $ns"
      continue
    fi
    echo "network namespace $ns is left, held by: $h" >&2
    return 1
  done
}
state=$(check_left) || fail "down left a network namespace"
if [ -n "$state" ]; then
  step "the container's namespace waits for dockerd's garbage collector"
  for _ in $(seq 150); do state=$(check_left) || fail "down left a network namespace"; [ -z "$state" ] && break; sleep 0.5; done
  [ -z "$state" ] || fail "dockerd kept the container's network namespace: $state"
fi
step "PASS: up, healthy, peering flow with $("$heroku" --version 2>/dev/null | cut -d' ' -f1) and $("$aws" --version 2>&1 | cut -d' ' -f1), down left nothing (${#held[@]} namespaces gone)"
