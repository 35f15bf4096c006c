#!/usr/bin/env bash
# Build the spacelab container image with no registry: a FROM scratch image (see Dockerfile)
# whose root filesystem this script assembles from a static spacelab and exactly the tools it
# runs inside hosts — curl, dig, strongSwan (charon, swanctl, plugins) — copied from this
# machine's Debian packages together with the shared libraries they load.
#
#   scripts/build-image.sh            # builds spacelab:dev
#   IMAGE=spacelab:test scripts/build-image.sh
#
# Needs: go, docker (a running daemon), and the Debian packages curl, bind9-dnsutils,
# strongswan-charon, strongswan-swanctl, libcharon-extra-plugins (apt-get install them).
# Run it:  docker run --rm --cap-add NET_ADMIN --cap-add SYS_ADMIN --device /dev/net/tun spacelab:dev demo
set -euo pipefail
cd "$(dirname "$0")/.."
IMAGE=${IMAGE:-spacelab:dev}
DOCKER=${DOCKER:-docker}
root=build/image/rootfs

# Before the build: the daemon must answer this user (spacelab doctor checks the same).
command -v "$DOCKER" >/dev/null || { echo "build-image: $DOCKER is not installed: apt-get install docker.io (as root), then start the daemon" >&2; exit 1; }
if ! err=$("$DOCKER" version --format '{{.Server.Version}}' 2>&1 >/dev/null); then
  fix="start it as root: systemctl start docker, or dockerd & where there is no systemd"
  case $err in *"permission denied"*) fix="it runs, but this user may not use it: as root, usermod -aG docker $(id -un), then log in again" ;; esac
  echo "build-image: no Docker daemon answers $DOCKER ($(echo "$err" | head -n1)); $fix (spacelab doctor checks this)" >&2
  exit 1
fi

tools=(/usr/bin/curl /usr/bin/dig /usr/lib/ipsec/charon /usr/sbin/swanctl)
pkgs=(libstrongswan strongswan-libcharon strongswan-charon strongswan-swanctl libcharon-extra-plugins)
for t in "${tools[@]}"; do
  [ -x "$t" ] || { echo "build-image: $t is missing: apt-get install curl bind9-dnsutils strongswan-charon strongswan-swanctl libcharon-extra-plugins" >&2; exit 1; }
done

rm -rf "$root"
mkdir -p "$root"/{usr/bin,usr/sbin,usr/lib64,usr/local/bin,etc,tmp,run,var,root,proc,sys,dev}
chmod 1777 "$root/tmp"
# Debian's merged /usr: the loader and libraries are found under /lib and /lib64 too.
for d in bin sbin lib lib64; do mkdir -p "$root/usr/$d"; ln -s "usr/$d" "$root/$d"; done
ln -s ../run "$root/var/run"

echo "+ static spacelab"
CGO_ENABLED=0 go build -ldflags='-s -w' -o "$root/usr/local/bin/spacelab" ./cmd/spacelab

# copy FILE… keeps each path (symlinks as symlinks, their targets too).
copy() {
  local f
  for f in "$@"; do
    [ -e "$f" ] || continue
    [ -e "$root$f" ] || [ -L "$root$f" ] && continue
    mkdir -p "$root$(dirname "$f")"
    if [ -L "$f" ]; then
      cp -P "$f" "$root$f"
      copy "$(readlink -f "$f")"
    elif [ -d "$f" ]; then
      mkdir -p "$root$f"
    else
      cp -p "$f" "$root$f"
    fi
  done
}

echo "+ tools and strongSwan files from Debian packages: ${pkgs[*]}"
copy "${tools[@]}"
# charon's libraries and exactly the plugins an office gateway loads (scripts/office-strongswan.sh),
# each with its config; the other plugins' configs would make charon warn about missing files.
plugins=(random nonce openssl aes sha1 sha2 hmac kdf gmp pem pkcs1 x509 pubkey revocation constraints
  kernel-libipsec kernel-netlink socket-default vici updown)
keep='^(/etc/strongswan\.conf|/etc/strongswan\.d/[^/]+\.conf|/etc/swanctl/.*|/usr/lib/ipsec/[^/]+|'
keep+="/usr/lib/ipsec/plugins/libstrongswan-($(IFS='|'; echo "${plugins[*]}"))\\.so|"
keep+="/etc/strongswan\\.d/charon/($(IFS='|'; echo "${plugins[*]}"))\\.conf)\$"
mapfile -t files < <(dpkg -L "${pkgs[@]}" | grep -E "$keep" | sort -u)
copy "${files[@]}"
[ -e "$root/usr/lib/ipsec/plugins/libstrongswan-kernel-libipsec.so" ] || { echo "build-image: strongSwan's kernel-libipsec plugin is missing (libcharon-extra-plugins)" >&2; exit 1; }

echo "+ shared libraries"
mapfile -t elves < <(find "$root/usr" -type f ! -path "$root/usr/local/*" -exec sh -c 'head -c4 "$1" | grep -q ELF && echo "$1"' _ {} \;)
mapfile -t libs < <(for e in "${elves[@]}"; do ldd "${e#"$root"}" 2>/dev/null; done | grep -oE '/[^ ]+' | sort -u)
copy "${libs[@]}"
# Whatever path a library was found under (/lib/… or /usr/lib/…), the merged layout serves it.

# swanctl loads only what it uses (its default list names plugins the image leaves out).
sed -i 's/^\( *\)# load =.*/\1load = pem pkcs1 x509 revocation constraints pubkey random nonce aes sha1 sha2 hmac kdf gmp/' \
  "$root/etc/strongswan.d/swanctl.conf"

cat >"$root/etc/passwd" <<'PW'
root:x:0:0:root:/root:/usr/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
PW
cat >"$root/etc/group" <<'GR'
root:x:0:
nogroup:x:65534:
GR
printf 'hosts: files dns\n' >"$root/etc/nsswitch.conf"
# Bind-mount targets for the files spacelab gives each host (Docker mounts its own over them).
: >"$root/etc/resolv.conf"; : >"$root/etc/hosts"; : >"$root/etc/hostname"

echo "+ $DOCKER build -t $IMAGE ($(du -sh "$root" | cut -f1) root filesystem)"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
$DOCKER build -t "$IMAGE" . >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
$DOCKER image inspect -f '{{.RepoTags}} {{.Size}} bytes' "$IMAGE"
