#!/usr/bin/env bash
# Installs the real components shoal's tests run against (Debian packages only).
# Idempotent: safe to run twice. Runs as root, no stdin.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

# Consul is not in bookworm; bullseye has 1.8.7. Reuse the URI of the machine's own Debian source.
add_bullseye() {
  local list=/etc/apt/sources.list.d/shoal-bullseye.sources
  [ -f "$list" ] && return 0
  local uri=""
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    uri=$(awk '/^URIs:/ && $2 !~ /security/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources)
  fi
  if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
    uri=$(awk '$1=="deb" && $0 !~ /security/ {print $2; exit}' /etc/apt/sources.list)
  fi
  [ -n "$uri" ] || { echo "install: cannot find a Debian source URI" >&2; exit 1; }
  cat >"$list" <<SRC
Types: deb
URIs: $uri
Suites: bullseye
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  # Keep bookworm the default; bullseye only for what we ask for by -t.
  cat >/etc/apt/preferences.d/shoal-bullseye <<PIN
Package: *
Pin: release n=bullseye
Pin-Priority: 100
PIN
}

need=()
command -v dockerd >/dev/null || need+=(docker.io)
command -v etcd >/dev/null || need+=(etcd-server etcd-client)
[ -x /usr/share/zookeeper/bin/zkServer.sh ] || need+=(zookeeper)
command -v haproxy >/dev/null || need+=(haproxy)
command -v nginx >/dev/null || need+=(nginx-light)
dpkg -s busybox-static >/dev/null 2>&1 || need+=(busybox-static)  # static: the test image runs it alone
command -v ip >/dev/null || need+=(iproute2)
command -v curl >/dev/null || need+=(curl)
command -v openssl >/dev/null || need+=(openssl)
command -v systemd-analyze >/dev/null && command -v systemd-notify >/dev/null || need+=(systemd)
command -v python3 >/dev/null || need+=(python3-minimal)
command -v docker-registry >/dev/null || need+=(docker-registry)

add_bullseye
if [ ${#need[@]} -gt 0 ] || ! command -v consul >/dev/null; then
  apt-get update -qq
fi
if [ ${#need[@]} -gt 0 ]; then
  apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
if ! command -v consul >/dev/null; then
  apt-get install -y -qq --no-install-recommends -t bullseye consul
fi
# Packages start their own daemons on install; the harness runs its own copies on its own ports.
for s in haproxy nginx etcd zookeeper docker containerd docker-registry; do
  systemctl stop "$s" >/dev/null 2>&1 || true
  service "$s" stop >/dev/null 2>&1 || true
done
pkill -x haproxy 2>/dev/null || true
pkill -x nginx 2>/dev/null || true
echo "install: ok"
