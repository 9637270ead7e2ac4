#!/usr/bin/env bash
# `cpack -G DEB` makes a Debian package of both programs.
#
#   deb_test.sh CPACK BUILD_DIR SOURCE_DIR VERSION
#
# Runs cpack on BUILD_DIR's CPackConfig.cmake, writing into a temporary
# directory, and inspects sse-server_VERSION_<arch>.deb with dpkg-deb:
#   -f   Package, Version (project()'s), Architecture, Maintainer, Section,
#        Priority, Description, and Depends naming libc6, libstdc++6, libfmt9
#        and the Poco libraries the programs link;
#   -c   /usr/bin/{sse-server,ssectl,sse-bench}, man1 and man5 pages, bash/zsh/fish
#        completions, /etc/sse-server/sse-server.toml, the systemd unit in
#        /usr/lib/systemd/system, owned by root, nothing in /usr/etc or
#        /usr/local;
#   -e   conffiles lists /etc/sse-server/sse-server.toml (and only it);
#   -x   the unit's ExecStart names /usr/bin/sse-server and
#        /etc/sse-server/sse-server.toml, the config is config/sse-server.toml,
#        the programs are stripped and run (--version prints VERSION).
set -euo pipefail

cpack=$1
build_dir=$2
source_dir=$3
version=$4

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sse-deb.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

if ! "$cpack" -G DEB --config "$build_dir/CPackConfig.cmake" -B "$tmp/out" >"$tmp/cpack.log" 2>&1; then
  cat "$tmp/cpack.log" >&2
  echo "FAIL: cpack -G DEB failed" >&2
  exit 1
fi
arch=$(dpkg --print-architecture)
deb="$tmp/out/sse-server_${version}_${arch}.deb"
if [ ! -f "$deb" ]; then
  cat "$tmp/cpack.log" >&2
  echo "FAIL: no $(basename "$deb"); cpack wrote: $(cd "$tmp/out" && ls)" >&2
  exit 1
fi

# Control fields.
field() { dpkg-deb -f "$deb" "$1"; }
[ "$(field Package)" = sse-server ] || fail "Package: $(field Package)"
[ "$(field Version)" = "$version" ] || fail "Version: $(field Version), want $version"
[ "$(field Architecture)" = "$arch" ] || fail "Architecture: $(field Architecture), want $arch"
[ "$(field Section)" = net ] || fail "Section: $(field Section)"
[ "$(field Priority)" = optional ] || fail "Priority: $(field Priority)"
[[ "$(field Maintainer)" =~ ^.+\ \<.+@.+\>$ ]] || fail "Maintainer: '$(field Maintainer)', want 'Name <address>'"
description=$(field Description)
[[ "$(head -n 1 <<<"$description")" == *"Server-Sent Events"* ]] || fail "Description: $description"
[ "$(wc -l <<<"$description")" -gt 1 ] || fail "Description has no long part"
depends=$(field Depends)
for library in libc6 libstdc++6 libfmt9 libtomlplusplus3 libpocofoundation80 libpoconet80 \
  libpocojson80 libpocojwt80 libpococrypto80 libpocodata80 libpocodatasqlite80 libpocoredis80; do
  [[ ", $depends," == *", $library"[\ ,]* ]] || fail "Depends does not name $library: $depends"
done

# Contents.
dpkg-deb -c "$deb" >"$tmp/contents"
paths=$(awk '{print $6}' "$tmp/contents" | sed 's|^\./|/|')
for file in /usr/bin/sse-server /usr/bin/ssectl /usr/bin/sse-bench \
  /usr/share/man/man1/sse-server.1 /usr/share/man/man1/ssectl.1 /usr/share/man/man1/sse-bench.1 \
  /usr/share/man/man5/sse-server.toml.5 \
  /usr/share/bash-completion/completions/ssectl /usr/share/zsh/vendor-completions/_ssectl \
  /usr/share/fish/vendor_completions.d/ssectl.fish /usr/share/doc/sse-server/examples/ssectl.toml \
  /etc/sse-server/sse-server.toml /usr/lib/systemd/system/sse-server.service; do
  grep -qxF "$file" <<<"$paths" || fail "the package has no $file"
done
if grep -E '^/usr/(etc|local)(/|$)' <<<"$paths" >&2; then fail "the package installs into /usr/etc or /usr/local"; fi
if grep -vE '^/(usr|etc)(/|$)' <<<"$paths" >&2; then fail "the package installs outside /usr and /etc"; fi
if awk '$2 != "root/root"' "$tmp/contents" | grep . >&2; then fail "files not owned by root/root"; fi
if grep -E ' \./usr/bin/(sse-server|ssectl|sse-bench)$' "$tmp/contents" | grep -v '^-rwxr-xr-x' >&2; then
  fail "the programs are not mode 755"
fi

# Control files: the config is a conffile.
dpkg-deb -e "$deb" "$tmp/control"
if [ -f "$tmp/control/conffiles" ]; then
  [ "$(cat "$tmp/control/conffiles")" = /etc/sse-server/sse-server.toml ] \
    || fail "conffiles: $(cat "$tmp/control/conffiles")"
else
  fail "the package has no conffiles"
fi
[ -f "$tmp/control/md5sums" ] || fail "the package has no md5sums"

# Unpacked.
dpkg-deb -x "$deb" "$tmp/x"
want="ExecStart=/usr/bin/sse-server --config /etc/sse-server/sse-server.toml"
unit="$tmp/x/usr/lib/systemd/system/sse-server.service"
if [ -f "$unit" ]; then
  grep -qxF "$want" "$unit" || fail "the unit's ExecStart is $(grep '^ExecStart=' "$unit"), want $want"
  if grep -n '@' "$unit" >&2; then fail "the unit has unfilled @VAR@s"; fi
fi
cmp -s "$tmp/x/etc/sse-server/sse-server.toml" "$source_dir/config/sse-server.toml" \
  || fail "/etc/sse-server/sse-server.toml differs from config/sse-server.toml"
for program in sse-server ssectl sse-bench; do
  binary="$tmp/x/usr/bin/$program"
  [ -x "$binary" ] || continue
  if command -v file >/dev/null; then
    file "$binary" | grep -q ', stripped' || fail "$program is not stripped: $(file -b "$binary")"
  fi
  [ "$("$binary" --version 2>&1)" = "$program $version" ] \
    || fail "$program --version printed: $("$binary" --version 2>&1)"
done

if [ "$failures" -ne 0 ]; then
  echo "--- dpkg-deb -I:" >&2; dpkg-deb -I "$deb" >&2
  echo "--- dpkg-deb -c:" >&2; cat "$tmp/contents" >&2
  exit 1
fi
echo "ok: $(basename "$deb"), $(wc -l <"$tmp/contents") entries; Depends: $depends"
