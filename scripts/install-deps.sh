#!/usr/bin/env bash
# Installs the Debian packages LoChat needs to build and test, only those missing.
# Runs apt-get directly as root, through sudo otherwise.
set -euo pipefail

packages=(
  build-essential cmake make ninja-build pkg-config dpkg-dev
  libcli11-dev libspdlog-dev libfmt-dev libreadline-dev libicu-dev libssl-dev libsodium-dev
  googletest libgtest-dev
  clang libclang-rt-14-dev valgrind
  netcat-openbsd iproute2 util-linux openssl socat ncat  # nc, openssl s_client, socat and ncat for e2e tests; ip netns and prlimit for the discovery and descriptor tests
  libboost-dev  # Boost.Beast (header-only) for the web client
  chromium chromium-driver python3-selenium  # the web client's test in a real browser
)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

as_root=()
if [ "$(id -u)" -ne 0 ]; then
  as_root=(sudo)
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -q
"${as_root[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
