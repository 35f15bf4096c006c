#!/usr/bin/env bash
# The kernel's floor for what bench/startup builds: N network namespaces and N-1 veth pairs from
# a hub to each leaf, created by one `ip -batch` (which cannot address or bring up links inside
# other namespaces, so spacelab does more than this floor) — inside a private user, mount
# and network namespace, so the names live on a private /run and nothing reaches the host.
# Usage: bash bench/netns-floor.sh [N]   (root or unprivileged user namespaces)
set -euo pipefail
n=${1:-224}
tmp=$(mktemp -d /tmp/spacelab-bench-floor.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
{
  for i in $(seq 0 $((n - 1))); do echo "netns add spacelab-bench-h$i"; done
  for i in $(seq 1 $((n - 1))); do
    echo "link add v$i netns spacelab-bench-h0 type veth peer name eth0 netns spacelab-bench-h$i"
  done
} >"$tmp/batch"
unshare --user --map-root-user --mount --net sh -c "mount -t tmpfs spacelab-bench /run && ip -batch '$tmp/batch'"
echo "$n namespaces, $((n - 1)) veth pairs"
