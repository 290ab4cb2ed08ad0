#!/usr/bin/env bash
# Start, stop or inspect a Redis server on loopback for the tests and benchmarks.
#
#   scripts/redis.sh start                  start on REDIS_PORT unless something there answers PING
#   scripts/redis.sh start --persist DIR    same, with AOF on (appendfsync always) in DIR;
#                                           meant for a SEPARATE port (e.g. REDIS_PORT=6390) so
#                                           fault tests never restart the shared server
#   scripts/redis.sh stop                   SHUTDOWN the server on REDIS_PORT (AOF is flushed)
#   scripts/redis.sh status                 PING it; exit 0 when it answers, 1 otherwise
#
# Environment:
#   REDIS_PORT           port (default 6379); the server binds 127.0.0.1 only
#   REDIS_START_TIMEOUT  seconds to wait for PONG after starting (default 15)
#   REDIS_AUTO_INSTALL   1 (default): when redis-server is missing and we are root with
#                        apt-get, install the Debian package redis-server; 0: just fail
#
# The server runs without RDB snapshots (--save "") and, unless --persist, without AOF:
# test data is throw-away and the shared server must never write to the work tree.
set -euo pipefail

PORT="${REDIS_PORT:-6379}"
TIMEOUT="${REDIS_START_TIMEOUT:-15}"

log() { printf '[redis.sh] %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

answers() {
  command -v redis-cli >/dev/null || return 1
  [[ "$(redis-cli -h 127.0.0.1 -p "$PORT" ping 2>/dev/null || true)" == "PONG" ]]
}

ensure_installed() {
  if command -v redis-server >/dev/null && command -v redis-cli >/dev/null; then
    return 0
  fi
  if [[ "${REDIS_AUTO_INSTALL:-1}" == "1" && "$(id -u)" == "0" ]] && command -v apt-get >/dev/null; then
    log "redis-server not found: installing the Debian package redis-server"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >&2
    # The package may start its own service on 6379; that is fine, start() sees it answer.
    command -v redis-server >/dev/null || die "installing redis-server failed"
    return 0
  fi
  die "redis-server not found: install it (Debian: apt-get install redis-server)"
}

wait_for_pong() {
  local deadline=$((SECONDS + TIMEOUT))
  until answers; do
    if ((SECONDS >= deadline)); then
      die "Redis on 127.0.0.1:$PORT did not answer PING within ${TIMEOUT}s"
    fi
    sleep 0.1
  done
}

start() {
  local persist_dir=""
  while (($#)); do
    case "$1" in
      --persist)
        [[ $# -ge 2 ]] || die "--persist needs a directory"
        persist_dir="$2"
        shift 2
        ;;
      *) die "unknown option for start: $1" ;;
    esac
  done

  ensure_installed
  if answers; then
    log "Redis already answers on 127.0.0.1:$PORT; leaving it as it is"
    return 0
  fi

  local args=(--daemonize yes --bind 127.0.0.1 --port "$PORT" --save "")
  if [[ -n "$persist_dir" ]]; then
    mkdir -p "$persist_dir"
    persist_dir="$(cd "$persist_dir" && pwd)"
    args+=(--appendonly yes --appendfsync always --dir "$persist_dir"
      --pidfile "$persist_dir/redis-$PORT.pid" --logfile "$persist_dir/redis-$PORT.log")
    log "starting Redis on 127.0.0.1:$PORT with AOF (appendfsync always) in $persist_dir"
  else
    args+=(--appendonly no)
    log "starting Redis on 127.0.0.1:$PORT (no persistence)"
  fi
  redis-server "${args[@]}"
  wait_for_pong
  log "Redis is up on 127.0.0.1:$PORT ($(redis-server --version | awk '{print $3}'))"
}

stop() {
  if ! answers; then
    log "nothing answers on 127.0.0.1:$PORT"
    return 0
  fi
  # SHUTDOWN flushes the AOF when it is on; with --save "" no snapshot is written.
  redis-cli -h 127.0.0.1 -p "$PORT" shutdown >/dev/null 2>&1 || true
  local deadline=$((SECONDS + TIMEOUT))
  while answers; do
    ((SECONDS < deadline)) || die "Redis on 127.0.0.1:$PORT is still answering after SHUTDOWN"
    sleep 0.1
  done
  log "stopped Redis on 127.0.0.1:$PORT"
}

status() {
  if answers; then
    log "running: 127.0.0.1:$PORT answers PING"
    return 0
  fi
  log "not running: nothing answers PING on 127.0.0.1:$PORT"
  return 1
}

cmd="${1:-}"
[[ $# -gt 0 ]] && shift
case "$cmd" in
  start) start "$@" ;;
  stop) stop ;;
  status) status ;;
  *) die "usage: scripts/redis.sh start [--persist DIR] | stop | status" ;;
esac
