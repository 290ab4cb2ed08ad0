#!/usr/bin/env bash
# Start, stop or inspect a single-node Apache Kafka broker (KRaft) on loopback for the
# tests and benchmarks. Everything it fetches or writes lives in .kafka/ (gitignored).
#
#   scripts/kafka.sh start    fetch the broker (once, through Maven), format, start, wait
#   scripts/kafka.sh stop     SIGTERM, wait, SIGKILL if it will not go
#   scripts/kafka.sh status   running or not, exit 0 / 1
#   scripts/kafka.sh reset    stop and delete the data directory (next start is clean)
#
# Environment:
#   KAFKA_PORT             client port (default 9092); the controller uses KAFKA_PORT+1
#   KAFKA_CONTROLLER_PORT  controller port override
#   KAFKA_HOME_DIR         working directory (default <repo>/.kafka)
#   KAFKA_START_TIMEOUT    seconds to wait for the broker to answer (default 90)
#   KAFKA_HEAP_OPTS        JVM heap (default -Xms256m -Xmx512m)
#
# Kafka 3.9.1 is pinned on purpose: kafkajs 2.2.4 speaks old request versions that
# Kafka 4.0 removed (KIP-896), so a 4.x broker refuses it.
set -euo pipefail

KAFKA_VERSION="3.9.1"
SCALA_BINARY="2.13"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
HOME_DIR="${KAFKA_HOME_DIR:-$ROOT/.kafka}"
PORT="${KAFKA_PORT:-9092}"
CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-$((PORT + 1))}"
TIMEOUT="${KAFKA_START_TIMEOUT:-90}"
HEAP="${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}"

LIBS="$HOME_DIR/libs-$KAFKA_VERSION"
CONF_DIR="$HOME_DIR/config-$PORT"
DATA_DIR="$HOME_DIR/data-$PORT"
PID_FILE="$HOME_DIR/kafka-$PORT.pid"
LOG_FILE="$HOME_DIR/kafka-$PORT.out"

log() { printf '[kafka.sh] %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

is_running() {
  [[ -f "$PID_FILE" ]] || return 1
  local pid
  pid="$(cat "$PID_FILE" 2>/dev/null || true)"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null
}

port_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

fetch() {
  if [[ -f "$LIBS/.complete" ]]; then
    return 0
  fi
  command -v mvn >/dev/null || die "mvn not found: Maven is needed to fetch the Kafka broker"
  command -v java >/dev/null || die "java not found: a JDK (17) is needed to run the Kafka broker"
  log "fetching Kafka $KAFKA_VERSION (kafka_$SCALA_BINARY) from Maven Central into $LIBS"
  mkdir -p "$HOME_DIR/fetch"
  cat >"$HOME_DIR/fetch/pom.xml" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.evc</groupId>
  <artifactId>kafka-broker-fetch</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_$SCALA_BINARY</artifactId>
      <version>$KAFKA_VERSION</version>
    </dependency>
    <!-- the broker logs through slf4j; bind it to reload4j as the Kafka 3.x distribution does -->
    <dependency>
      <groupId>org.slf4j</groupId>
      <artifactId>slf4j-reload4j</artifactId>
      <version>1.7.36</version>
    </dependency>
  </dependencies>
</project>
EOF
  rm -rf "$LIBS.tmp"
  if ! mvn -q -B -f "$HOME_DIR/fetch/pom.xml" \
      -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
      dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$LIBS.tmp" \
      >"$HOME_DIR/fetch/mvn.log" 2>&1; then
    tail -n 40 "$HOME_DIR/fetch/mvn.log" >&2
    die "Maven could not fetch org.apache.kafka:kafka_$SCALA_BINARY:$KAFKA_VERSION (log: $HOME_DIR/fetch/mvn.log)"
  fi
  touch "$LIBS.tmp/.complete"
  rm -rf "$LIBS"
  mv "$LIBS.tmp" "$LIBS"
  log "fetched $(find "$LIBS" -name '*.jar' | wc -l) jars"
}

write_config() {
  mkdir -p "$CONF_DIR" "$DATA_DIR"
  cat >"$CONF_DIR/server.properties" <<EOF
# written by scripts/kafka.sh; a single KRaft node on loopback for tests
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$PORT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
log.dirs=$DATA_DIR
num.partitions=3
default.replication.factor=1
min.insync.replicas=1
auto.create.topics.enable=true
delete.topic.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=4
group.initial.rebalance.delay.ms=0
# tests create many short-lived topics: keep segments and the JVM small
log.segment.bytes=16777216
log.retention.hours=24
num.network.threads=2
num.io.threads=4
EOF
  cat >"$CONF_DIR/log4j.properties" <<EOF
log4j.rootLogger=INFO, file
log4j.appender.file=org.apache.log4j.FileAppender
log4j.appender.file.File=$HOME_DIR/server-$PORT.log
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.kafka.controller=INFO
log4j.logger.state.change.logger=WARN
log4j.logger.org.apache.kafka.clients=WARN
EOF
}

java_cmd() {
  # shellcheck disable=SC2086
  java $HEAP -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
    -Dlog4j.configuration="file:$CONF_DIR/log4j.properties" \
    -Dkafka.logs.dir="$HOME_DIR" \
    -cp "$LIBS/*" "$@"
}

format_storage() {
  if [[ -f "$DATA_DIR/meta.properties" ]]; then
    return 0
  fi
  local cluster_id
  # a Kafka cluster id is 16 random bytes, base64url without padding (22 chars)
  # (one starting with '-' would be read as an option by the tool's argument parser)
  cluster_id="-"
  while [[ "$cluster_id" == -* ]]; do
    cluster_id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
  done
  log "formatting storage in $DATA_DIR (cluster $cluster_id)"
  if ! HEAP="-Xmx256m" java_cmd kafka.tools.StorageTool format \
      -t "$cluster_id" -c "$CONF_DIR/server.properties" >"$HOME_DIR/format-$PORT.log" 2>&1; then
    cat "$HOME_DIR/format-$PORT.log" >&2
    die "formatting the KRaft storage failed"
  fi
}

wait_ready() {
  local deadline=$((SECONDS + TIMEOUT))
  local pid
  pid="$(cat "$PID_FILE")"
  while ((SECONDS < deadline)); do
    if ! kill -0 "$pid" 2>/dev/null; then
      log "the broker exited during start-up; last lines of $LOG_FILE and the server log:"
      tail -n 30 "$LOG_FILE" >&2 || true
      tail -n 30 "$HOME_DIR/server-$PORT.log" >&2 2>/dev/null || true
      rm -f "$PID_FILE"
      exit 1
    fi
    if port_open "$PORT" && grep -q "Kafka Server started\|\[KafkaRaftServer nodeId=1\] Kafka Server started" \
        "$HOME_DIR/server-$PORT.log" 2>/dev/null; then
      # the port is open and the server says so; ask it for metadata to be sure
      if probe; then
        return 0
      fi
    fi
    sleep 0.5
  done
  log "the broker did not answer on 127.0.0.1:$PORT within ${TIMEOUT}s; last lines of the server log:"
  tail -n 30 "$HOME_DIR/server-$PORT.log" >&2 2>/dev/null || tail -n 30 "$LOG_FILE" >&2 || true
  exit 1
}

# A real request through kafkajs (the client the runtime uses): list topics. Without
# node_modules (npm ci not run yet) the open port and the log line have to do.
probe() {
  [[ -d "$ROOT/node_modules/kafkajs" ]] || return 0
  (cd "$ROOT" && KAFKA_PROBE_BROKER="127.0.0.1:$PORT" timeout 20 node -e '
    const { Kafka, logLevel } = require("kafkajs");
    const admin = new Kafka({ clientId: "kafka-sh-probe", brokers: [process.env.KAFKA_PROBE_BROKER],
      logLevel: logLevel.NOTHING, retry: { retries: 2 } }).admin();
    admin.connect().then(() => admin.listTopics()).then(() => admin.disconnect())
      .then(() => process.exit(0), () => process.exit(1));
  ' >/dev/null 2>&1)
}

start() {
  if is_running; then
    log "already running (pid $(cat "$PID_FILE")) on 127.0.0.1:$PORT"
    return 0
  fi
  if port_open "$PORT"; then
    die "127.0.0.1:$PORT is already taken by another process; set KAFKA_PORT or KAFKA_BROKERS"
  fi
  local started=$SECONDS
  mkdir -p "$HOME_DIR"
  fetch
  write_config
  format_storage
  : >"$HOME_DIR/server-$PORT.log"
  log "starting Kafka $KAFKA_VERSION on 127.0.0.1:$PORT (controller $CONTROLLER_PORT)"
  (
    cd "$HOME_DIR"
    # setsid: the broker must outlive the shell (and the test runner) that started it;
    # a background subshell is no group leader, so setsid execs in place and $! is java
    # shellcheck disable=SC2086
    exec setsid java $HEAP -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
      -Dlog4j.configuration="file:$CONF_DIR/log4j.properties" -Dkafka.logs.dir="$HOME_DIR" \
      -cp "$LIBS/*" kafka.Kafka "$CONF_DIR/server.properties" </dev/null >"$LOG_FILE" 2>&1
  ) &
  echo $! >"$PID_FILE"
  wait_ready
  log "ready on 127.0.0.1:$PORT (pid $(cat "$PID_FILE"), $((SECONDS - started))s)"
}

stop() {
  if ! is_running; then
    rm -f "$PID_FILE"
    log "not running"
    return 0
  fi
  local pid
  pid="$(cat "$PID_FILE")"
  log "stopping (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + 30))
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do
    sleep 0.3
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "did not stop within 30s: SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$PID_FILE"
  log "stopped"
}

status() {
  if is_running; then
    if port_open "$PORT"; then
      echo "running (pid $(cat "$PID_FILE")) on 127.0.0.1:$PORT, Kafka $KAFKA_VERSION"
    else
      echo "starting (pid $(cat "$PID_FILE")), 127.0.0.1:$PORT not open yet"
    fi
    return 0
  fi
  echo "stopped"
  return 1
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  restart) stop; start ;;
  reset) stop; rm -rf "$DATA_DIR" "$CONF_DIR" "$LOG_FILE" "$HOME_DIR/server-$PORT.log" "$HOME_DIR/format-$PORT.log"; log "data removed" ;;
  fetch) mkdir -p "$HOME_DIR"; fetch ;;
  *) echo "usage: $0 start|stop|status|restart|reset|fetch" >&2; exit 2 ;;
esac
