#!/usr/bin/env bash
# `cmake --install BUILD_DIR --prefix PREFIX` puts every file where Debian (or
# a /usr/local install) expects it.
#
#   install_layout_test.sh CMAKE BUILD_DIR SOURCE_DIR PREFIX
#
# Installs into DESTDIR=<temporary directory> and checks: both programs in
# PREFIX/bin and runnable; man pages (man1, man5); bash, zsh and fish
# completions; the ssectl example config; the config, same as
# config/sse-server.toml, in the sysconfdir GNUInstallDirs gives PREFIX
# (/etc for /usr, PREFIX/etc otherwise) and nowhere else; the systemd unit in
# PREFIX/lib/systemd/system with every @VAR@ filled in and ExecStart naming
# the installed binary and config by their final paths; nothing outside
# PREFIX but that sysconfdir.
set -euo pipefail

cmake=$1
build_dir=$2
source_dir=$3
prefix=$4

case "$prefix" in
  /usr | /usr/) sysconfdir=/etc ;;
  *) sysconfdir="$prefix/etc" ;;
esac

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sse-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
root="$tmp/root"
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

if ! DESTDIR="$root" "$cmake" --install "$build_dir" --prefix "$prefix" >"$tmp/install.log" 2>&1; then
  cat "$tmp/install.log" >&2
  echo "FAIL: cmake --install --prefix $prefix failed" >&2
  exit 1
fi

for file in \
  "$prefix/bin/sse-server" "$prefix/bin/ssectl" "$prefix/bin/sse-bench" \
  "$prefix/share/man/man1/sse-server.1" "$prefix/share/man/man1/ssectl.1" \
  "$prefix/share/man/man1/sse-bench.1" \
  "$prefix/share/man/man5/sse-server.toml.5" \
  "$prefix/share/bash-completion/completions/ssectl" \
  "$prefix/share/zsh/vendor-completions/_ssectl" \
  "$prefix/share/fish/vendor_completions.d/ssectl.fish" \
  "$prefix/share/doc/sse-server/examples/ssectl.toml" \
  "$sysconfdir/sse-server/sse-server.toml" \
  "$prefix/lib/systemd/system/sse-server.service"; do
  [ -f "$root$file" ] || fail "$file is not installed"
done
for program in sse-server ssectl sse-bench; do
  [ -x "$root$prefix/bin/$program" ] || fail "$prefix/bin/$program is not executable"
done

config="$root$sysconfdir/sse-server/sse-server.toml"
if [ -f "$config" ]; then
  cmp -s "$config" "$source_dir/config/sse-server.toml" \
    || fail "$sysconfdir/sse-server/sse-server.toml differs from config/sse-server.toml"
  [ "$(stat -c %a "$config")" = 644 ] || fail "the config's mode is $(stat -c %a "$config"), not 644"
  # The installed program accepts the installed config.
  if ! env -u SSE_SERVER_PORT "$root$prefix/bin/sse-server" --config "$config" --print-config >/dev/null 2>"$tmp/err"; then
    fail "sse-server --config $sysconfdir/sse-server/sse-server.toml: $(cat "$tmp/err")"
  fi
fi
# Only one copy of the config, and none in the /usr/etc trap.
copies=$(cd "$root" && find . -name sse-server.toml | sed 's|^\.||')
[ "$copies" = "$sysconfdir/sse-server/sse-server.toml" ] \
  || fail "config copies: $(echo $copies) (want only $sysconfdir/sse-server/sse-server.toml)"
if [ "$prefix" = /usr ] && [ -e "$root/usr/etc" ]; then fail "something is installed in /usr/etc"; fi

# Nothing outside PREFIX but the sysconfdir.
outside=$(cd "$root" && find . -type f | sed 's|^\.||' | grep -v "^$prefix/" | grep -v "^$sysconfdir/" || true)
[ -z "$outside" ] || fail "files outside $prefix and $sysconfdir: $outside"

unit="$root$prefix/lib/systemd/system/sse-server.service"
if [ -f "$unit" ]; then
  if grep -n '@' "$unit" >&2; then fail "the unit has unfilled @VAR@s"; fi
  want="ExecStart=$prefix/bin/sse-server --config $sysconfdir/sse-server/sse-server.toml"
  grep -qxF "$want" "$unit" || fail "the unit's ExecStart is $(grep '^ExecStart=' "$unit"), want $want"
fi

# Each program runs and says its version.
for program in sse-server ssectl sse-bench; do
  "$root$prefix/bin/$program" --version >"$tmp/version" 2>&1 || fail "$program --version failed"
  grep -q "[0-9]\.[0-9]" "$tmp/version" || fail "$program --version printed $(cat "$tmp/version")"
done

[ "$failures" -eq 0 ] || { echo "--- files installed:" >&2; (cd "$root" && find . -type f | sort) >&2; exit 1; }
echo "ok: cmake --install --prefix $prefix: layout, config at $sysconfdir, unit paths"
