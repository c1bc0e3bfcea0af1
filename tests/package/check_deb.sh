#!/usr/bin/env bash
# Builds the Debian package from the build tree given as $1 and checks that it
# holds the binaries, man pages, systemd unit and example config, and that its
# dependencies were worked out.
set -euo pipefail
build_dir="$1"
cd "$build_dir"
rm -f lochat_*.deb
cpack -G DEB > cpack.log 2>&1 || { cat cpack.log; exit 1; }
package=$(ls lochat_*.deb)
contents=$(dpkg-deb -c "$package" | awk '{print $6}')
status=0
for expected in \
  ./usr/bin/lochat-server ./usr/bin/lochat ./usr/bin/lochat-bench \
  ./usr/share/man/man1/lochat-server.1 ./usr/share/man/man1/lochat.1 \
  ./usr/share/man/man1/lochat-bench.1 \
  ./usr/lib/systemd/system/lochat-server.service \
  ./usr/share/doc/lochat/server.toml.example ./usr/share/doc/lochat/SECURITY.md; do
  if ! grep -qx -- "$expected" <<<"$contents"; then
    echo "missing from $package: $expected"
    status=1
  fi
done
depends=$(dpkg-deb -f "$package" Depends)
for library in libc6 libstdc++6 libreadline8 libssl3; do
  if ! grep -q "$library" <<<"$depends"; then
    echo "Depends lacks $library: $depends"
    status=1
  fi
done
[ "$status" -eq 0 ] && echo "$package: all expected files and dependencies present"
exit "$status"
