#!/usr/bin/env bash
# Installs the Debian packages shoal runs against and its tests use, and nothing else: it prints what it
# will install first, installs only what is missing, and never stops, starts, restarts or kills a service or
# a process. Idempotent: a second run installs nothing. Runs as root, no stdin.
#
# Packages start their own daemons on install (docker, haproxy, nginx, etcd, zookeeper, docker-registry), and
# apt restarts running services when a shared dependency is upgraded. For the duration of the apt run a
# temporary /usr/sbin/policy-rc.d forbids both (exit 101), unless the machine already has one: that one is
# left as it is. shoal and its tests run their own copies of these servers on their own ports.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
# needrestart (when installed) would offer to restart services after the upgrade: never.
export NEEDRESTART_SUSPEND=1

# (SHOAL_POLICY_RC_D: another path, for the test of this script only)
POLICY=${SHOAL_POLICY_RC_D:-/usr/sbin/policy-rc.d}

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
command -v chromium >/dev/null || need+=(chromium)  # headless, for the manager UI's browser test
need_consul=0
command -v consul >/dev/null || need_consul=1

if [ ${#need[@]} -eq 0 ] && [ $need_consul -eq 0 ]; then
  echo "install: nothing to install"
  exit 0
fi
echo "install: will install: ${need[*]}$([ $need_consul -eq 1 ] && echo ' consul (from bullseye)')"
if [ "$(id -u)" -ne 0 ]; then
  echo "install: run as root (sudo bash .ci/install.sh)" >&2
  exit 1
fi

# Consul is not in bookworm; bullseye has 1.8.7. Reuse the URI of the machine's own Debian source, pinned so
# that bullseye serves only what is asked for by -t.
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
  echo "install: adding $list (bullseye, pinned to priority 100) for consul"
  cat >"$list" <<SRC
Types: deb
URIs: $uri
Suites: bullseye
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  cat >/etc/apt/preferences.d/shoal-bullseye <<PIN
Package: *
Pin: release n=bullseye
Pin-Priority: 100
PIN
}

# Our policy-rc.d, only if there is none; removed on any exit. An existing one is never touched.
if [ ! -e "$POLICY" ]; then
  printf '#!/bin/sh\n# written by shoal .ci/install.sh for the duration of one apt run\nexit 101\n' >"$POLICY"
  chmod 755 "$POLICY"
  echo "install: no service is started or restarted while apt runs ($POLICY exits 101; removed after)"
  trap 'rm -f "$POLICY"' EXIT
  trap 'exit 130' INT TERM HUP
else
  echo "install: $POLICY exists: left as it is, it decides which services apt may start"
fi

if [ $need_consul -eq 1 ]; then add_bullseye; fi
apt-get update -qq
if [ ${#need[@]} -gt 0 ]; then
  apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
if [ $need_consul -eq 1 ]; then
  apt-get install -y -qq --no-install-recommends -t bullseye consul
fi
echo "install: ok"
