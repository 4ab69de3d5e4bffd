#!/usr/bin/env bash
# Installs what `make test` and `make demo` need on a fresh Debian machine
# with Go, Node.js, git and apt. Safe to run again: it installs only what is
# missing.
set -euo pipefail

need_apt=()
command -v redis-server >/dev/null 2>&1 || need_apt+=(redis-server)
command -v python3 >/dev/null 2>&1 || need_apt+=(python3)

if [ ${#need_apt[@]} -gt 0 ]; then
  echo "deps: installing ${need_apt[*]} with apt-get"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  # The package starts a system-wide server where it can; ecprov runs its own.
  if command -v systemctl >/dev/null 2>&1; then $SUDO systemctl disable --now redis-server >/dev/null 2>&1 || true; fi
fi

redis-server --version | grep -q 'v=7\.' || { echo "deps: redis-server 7.x is needed, found: $(redis-server --version)"; exit 1; }
echo "deps: $(redis-server --version | cut -d' ' -f1-3), $(go version | cut -d' ' -f3)"
