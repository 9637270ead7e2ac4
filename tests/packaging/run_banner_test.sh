#!/usr/bin/env bash
# scripts/run names the address sse-server really listens on.
#
#   run_banner_test.sh SOURCE_DIR BUILD_DIR MODE
#
# Runs SOURCE_DIR/scripts/run --no-build --build-dir BUILD_DIR (no apt-get, no
# build: the sse-server of BUILD_DIR) with the address given one way, picked
# at run time (a free port; a 127/8 loopback address other than 127.0.0.1 where
# the host is given too), and the history database in a temporary directory.
# Waits for the banner and the server's "listening" line, checks that every
# URL the banner prints names that host and port, that /health answers there,
# and that SIGTERM stops the server with status 0.
#
# MODE  flag     --port P
#       env      SSE_SERVER_HOST=H SSE_SERVER_PORT=P
#       config   --config FILE, the file giving host H and port P
#       precedence  --host H --port P over SSE_SERVER_HOST/PORT and a --config
#                file that name other ones (flags win over both)
set -euo pipefail

source_dir=$1
build_dir=$2
mode=$3

# Nothing from the caller's environment may choose the address or the data.
while IFS= read -r name; do
  case "$name" in SSE_*) unset "$name" ;; esac
done < <(compgen -e)

# Job control: scripts/run runs in a process group of its own, so a failure
# can stop all of it (a build it should not have started, too).
set -m
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sse-run-banner.XXXXXX")
pid=""
cleanup() {
  if [ -n "$pid" ]; then
    kill -KILL -- "-$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 143' TERM  # a ctest timeout: clean up all the same
trap 'exit 130' INT
trap 'exit 129' HUP
fail() {
  echo "FAIL ($mode): $*" >&2
  if [ -f "$tmp/out" ]; then
    echo "--- scripts/run output:" >&2
    cat "$tmp/out" >&2
  fi
  exit 1
}

export SSE_HISTORY_PATH="$tmp/data/events.db"
export SSE_LOG_ACCESS_LOG=false

# A port nothing listens on at host $1 (below Linux's ephemeral range, so no
# outgoing connection holds it either). Another process may still take it
# before sse-server does: then sse-server exits 69 and we pick again.
pick_port() {
  local host=$1 port i
  for i in $(seq 1 200); do
    port=$((10000 + RANDOM % 22000))
    [ "$port" -ne 3000 ] || continue
    if ! (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; then
      echo "$port"
      return 0
    fi
  done
  echo "no free port found on $host" >&2
  return 1
}

attempt() {
  host=127.0.0.1
  [ "$mode" = flag ] || host="127.0.0.$((2 + RANDOM % 250))"
  port=$(pick_port "$host")
  local run=("$source_dir/scripts/run" --no-build --build-dir "$build_dir")
  case "$mode" in
    flag) (exec "${run[@]}" --port "$port") >"$tmp/out" 2>&1 & ;;
    env) (export SSE_SERVER_HOST="$host" SSE_SERVER_PORT="$port"; exec "${run[@]}") >"$tmp/out" 2>&1 & ;;
    config)
      printf '[server]\nhost = "%s"\nport = %s\n' "$host" "$port" >"$tmp/sse-server.toml"
      (exec "${run[@]}" --config "$tmp/sse-server.toml") >"$tmp/out" 2>&1 &
      ;;
    precedence)
      printf '[server]\nhost = "127.0.0.1"\nport = 3002\n' >"$tmp/sse-server.toml"
      (export SSE_SERVER_HOST=127.0.0.1 SSE_SERVER_PORT=3001
       exec "${run[@]}" --config "$tmp/sse-server.toml" --host "$host" --port "$port") >"$tmp/out" 2>&1 &
      ;;
    *) echo "unknown mode $mode" >&2; exit 2 ;;
  esac
  pid=$!  # scripts/run execs sse-server: this is the server's pid

  # Until the server says it listens (an ASan build takes a while), or exits.
  local i
  for i in $(seq 1 600); do
    if grep -q "^sse-server listening on " "$tmp/out"; then return 0; fi
    if ! kill -0 "$pid" 2>/dev/null; then
      local status=0
      wait "$pid" || status=$?
      pid=""
      return "$status"
    fi
    sleep 0.1
  done
  fail "no 'sse-server listening on' line after 60 s"
}

status=0
for try in 1 2 3 4 5; do
  status=0
  attempt || status=$?
  [ "$status" -eq 69 ] || break  # 69: cannot listen (someone took the port): again
done
[ "$status" -eq 0 ] || fail "scripts/run exited $status before listening"

url="http://$host:$port"
grep -qx "sse-server listening on $url" "$tmp/out" \
  || fail "sse-server does not say it listens on $url"

# The banner: the lines scripts/run prints before exec (indented); log lines
# start with a timestamp, the server's own line with "sse-server".
banner=$(grep '^  ' "$tmp/out" || true)
[ -n "$banner" ] || fail "no banner"
grep -qF "sse-server will listen on $url" <<<"$banner" || fail "the banner does not name $url"
grep -qF "curl -N \"$url/notifications/stream?token=" <<<"$banner" \
  || fail "the banner's curl example does not use $url"
grep -qF "dGVzdDEyMzp0ZXN0dXNlcjp0ZXN0QGV4YW1wbGUuY29tOnVzZXIsYWRtaW4=" <<<"$banner" \
  || fail "the banner does not print the demo token"
others=$(grep -oE 'https?://[^/" ]+' <<<"$banner" | grep -vxF "$url" || true)
[ -z "$others" ] || fail "the banner names other addresses: $others"

health=$(curl -fsS --max-time 10 "$url/health") || fail "GET $url/health failed"
grep -q '"ok"' <<<"$health" || fail "GET $url/health answered $health"

kill -TERM "$pid"
status=0
wait "$pid" || status=$?
pid=""
[ "$status" -eq 0 ] || fail "sse-server exited $status after SIGTERM"
[ -f "$tmp/data/events.db" ] || fail "the history database is not in the temporary directory"
echo "ok ($mode): the banner and the server agree on $url"
