#!/usr/bin/env bash
# Installs the Debian packages that building, testing and the lab need.
# Idempotent and non-interactive; uses sudo when not run as root.
# Servers installed here are never started as system services: the lab
# scripts run them from their own configuration on loopback only.
set -euo pipefail

run_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

PKGS=(
  build-essential cmake pkg-config
  libuv1-dev libc-ares-dev libssl-dev libcurl4-openssl-dev libjansson-dev
  libcunit1-dev libidn2-dev
  nsd unbound nginx-light openssl python3 python3-jsonschema ca-certificates
  postfix postfix-mta-sts-resolver
  time procps clang libclang-rt-14-dev
  prometheus chromium python3-prometheus-client
  iproute2 strace python3-cryptography
)

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-deps: all packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
# Keep package installs from starting system services (nginx would bind
# port 80 on every address; nsd and unbound port 53). Removed afterwards.
made_policy=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | run_root tee /usr/sbin/policy-rc.d >/dev/null
  run_root chmod +x /usr/sbin/policy-rc.d
  made_policy=1
fi
cleanup() { if [ "$made_policy" = 1 ]; then run_root rm -f /usr/sbin/policy-rc.d; fi; }
trap cleanup EXIT

export DEBIAN_FRONTEND=noninteractive
# postfix asks which kind of mail system to configure: none (the lab runs
# its own instance from <rundir>/postfix, never the system one).
echo "postfix postfix/main_mailer_type select No configuration" |
  run_root debconf-set-selections
run_root apt-get update -qq || true
run_root env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
# If a package started its daemon anyway, stop it: the lab runs its own.
for svc in nginx nsd unbound postfix; do
  run_root systemctl stop "$svc" >/dev/null 2>&1 || true
  run_root systemctl disable "$svc" >/dev/null 2>&1 || true
done
run_root pkill -x nginx 2>/dev/null || true
run_root pkill -x nsd 2>/dev/null || true
run_root pkill -x unbound 2>/dev/null || true
# The system postfix instance (config /etc/postfix), never the lab's.
if [ -e /etc/postfix/main.cf ]; then run_root postfix stop >/dev/null 2>&1 || true; fi
echo "install-deps: done"
