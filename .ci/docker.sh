#!/usr/bin/env bash
# The Docker part of CI, run by .ci/run before the tests: Debian's docker.io and docker-compose,
# dockerd (when none answers), the spacelab image (scripts/build-image.sh), and the compose smoke
# test (scripts/compose-smoke.sh). The testcontainers test (spacelabcontainer) then runs with
# `go test ./...` against the image built here; under CI=true it fails when Docker is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
t0=$SECONDS

pkgs=(docker.io docker-compose curl bind9-dnsutils strongswan-charon strongswan-swanctl libcharon-extra-plugins)
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if ((${#missing[@]})); then
  echo "+ apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! docker version >/dev/null 2>&1; then
  echo "+ dockerd (log: /tmp/spacelab-ci-dockerd.log)"
  nohup dockerd >/tmp/spacelab-ci-dockerd.log 2>&1 &
  # dockerd offers no readiness signal but its socket answering.
  for _ in $(seq 120); do docker version >/dev/null 2>&1 && break; sleep 0.5; done
  docker version >/dev/null 2>&1 || { tail -20 /tmp/spacelab-ci-dockerd.log; echo "dockerd did not start" >&2; exit 1; }
fi
docker version --format 'docker server {{.Server.Version}}, client {{.Client.Version}}'
docker-compose version --short
echo "(docker ready at +$((SECONDS - t0))s)"

echo "+ scripts/build-image.sh"
scripts/build-image.sh
echo "(image built at +$((SECONDS - t0))s)"

echo "+ scripts/compose-smoke.sh"
scripts/compose-smoke.sh
echo "(compose smoke test done at +$((SECONDS - t0))s)"
