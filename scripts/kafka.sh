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
#   KAFKA_VERSION          broker version (default 4.4.0, the newest 4.x on Maven Central;
#                          3.9.1 still works: it logs through reload4j instead of log4j2)
#
# kafkajs 2.2.4 negotiates request versions with ApiVersions and uses none of those that
# Kafka 4.0 removed (KIP-896): the Kafka and conformance suites pass against 4.x. Kafka 4
# has no ZooKeeper and no log4j 1: the broker is KRaft only and logs through log4j2.
set -euo pipefail

KAFKA_VERSION="${KAFKA_VERSION:-4.4.0}"
KAFKA_MAJOR="${KAFKA_VERSION%%.*}"
SCALA_BINARY="2.13"
# the log4j2 release bound to slf4j for a 4.x broker (the one kafka_2.13:4.4.0 depends on)
LOG4J2_VERSION="${KAFKA_LOG4J2_VERSION:-2.25.5}"

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
VERSION_FILE="$HOME_DIR/kafka-$PORT.version"
LOG_FILE="$HOME_DIR/kafka-$PORT.out"
SERVER_LOG="$HOME_DIR/server-$PORT.log"

case "$KAFKA_MAJOR" in
  3 | 4) ;;
  *) printf '[kafka.sh] KAFKA_VERSION=%s: only 3.x and 4.x brokers are supported\n' "$KAFKA_VERSION" >&2; exit 2 ;;
esac

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
  local logging
  if ((KAFKA_MAJOR >= 4)); then
    logging="    <!-- Kafka 4 logs through log4j2 (log4j-api/-core come with the broker); bind slf4j to it -->
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-slf4j-impl</artifactId>
      <version>$LOG4J2_VERSION</version>
    </dependency>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-core</artifactId>
      <version>$LOG4J2_VERSION</version>
    </dependency>"
  else
    logging="    <!-- the broker logs through slf4j; bind it to reload4j as the Kafka 3.x distribution does -->
    <dependency>
      <groupId>org.slf4j</groupId>
      <artifactId>slf4j-reload4j</artifactId>
      <version>1.7.36</version>
    </dependency>"
  fi
  log "fetching Kafka $KAFKA_VERSION (kafka_$SCALA_BINARY) from Maven Central into $LIBS"
  local fetch_dir="$HOME_DIR/fetch-$KAFKA_VERSION"
  mkdir -p "$fetch_dir"
  cat >"$fetch_dir/pom.xml" <<EOF
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
$logging
  </dependencies>
</project>
EOF
  rm -rf "$LIBS.tmp"
  if ! mvn -q -B -f "$fetch_dir/pom.xml" \
      -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
      dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$LIBS.tmp" \
      >"$fetch_dir/mvn.log" 2>&1; then
    tail -n 40 "$fetch_dir/mvn.log" >&2
    die "Maven could not fetch org.apache.kafka:kafka_$SCALA_BINARY:$KAFKA_VERSION (log: $fetch_dir/mvn.log)"
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
  if ((KAFKA_MAJOR >= 4)); then
    # log4j2 (Kafka 4 has no log4j 1): WARN and up into the server log; the one INFO
    # line "Kafka Server started" stays, for the start-up wait and for a reader
    cat >"$CONF_DIR/log4j2.properties" <<EOF
status = warn
appender.file.type = File
appender.file.name = file
appender.file.fileName = $SERVER_LOG
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRef.file.ref = file
logger.server.name = kafka.server.KafkaRaftServer
logger.server.level = INFO
EOF
  else
    cat >"$CONF_DIR/log4j.properties" <<EOF
log4j.rootLogger=INFO, file
log4j.appender.file=org.apache.log4j.FileAppender
log4j.appender.file.File=$SERVER_LOG
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.kafka.controller=INFO
log4j.logger.state.change.logger=WARN
log4j.logger.org.apache.kafka.clients=WARN
EOF
  fi
}

# JVM options for the broker and its storage tool
jvm_opts() {
  local heap="$1"
  # shellcheck disable=SC2086
  printf '%s\n' $heap -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
    "-Dkafka.logs.dir=$HOME_DIR"
  if ((KAFKA_MAJOR >= 4)); then
    printf '%s\n' "-Dlog4j2.configurationFile=$CONF_DIR/log4j2.properties"
  else
    printf '%s\n' "-Dlog4j.configuration=file:$CONF_DIR/log4j.properties"
  fi
  printf '%s\n' -cp "$LIBS/*"
}

check_java() {
  # Kafka 4 brokers need Java 17; 3.x runs on 11 and up
  local spec
  spec="$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')"
  if ((KAFKA_MAJOR >= 4)) && [[ -n "$spec" ]] && ((${spec%%.*} < 17)); then
    die "Kafka $KAFKA_VERSION needs Java 17 or newer; java here is $spec"
  fi
}

format_storage() {
  # a data directory formatted by another broker version (data-PORT.version beside it;
  # none: 3.9.1, the version before there was one) is dropped, test data only:
  # a 4.x log cannot be read by 3.x, and a clean format keeps the runs comparable
  if [[ -f "$DATA_DIR/meta.properties" ]]; then
    if [[ "$(cat "$DATA_DIR.version" 2>/dev/null || echo 3.9.1)" == "$KAFKA_VERSION" ]]; then
      return 0
    fi
    log "$DATA_DIR was formatted by another Kafka version: removing it"
    rm -rf "$DATA_DIR"
    mkdir -p "$DATA_DIR"
  fi
  local cluster_id
  # a Kafka cluster id is 16 random bytes, base64url without padding (22 chars)
  # (one starting with '-' would be read as an option by the tool's argument parser)
  cluster_id="-"
  while [[ "$cluster_id" == -* ]]; do
    cluster_id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
  done
  log "formatting storage in $DATA_DIR (cluster $cluster_id)"
  local opts
  mapfile -t opts < <(jvm_opts "-Xmx256m")
  # kafka.tools.StorageTool: the class behind kafka-storage.sh in 3.x and 4.x
  if ! java "${opts[@]}" kafka.tools.StorageTool format \
      -t "$cluster_id" -c "$CONF_DIR/server.properties" >"$HOME_DIR/format-$PORT.log" 2>&1; then
    cat "$HOME_DIR/format-$PORT.log" >&2
    die "formatting the KRaft storage failed"
  fi
  echo "$KAFKA_VERSION" >"$DATA_DIR.version"
}

startup_failed() { # message
  log "$1"
  local f
  for f in "$SERVER_LOG" "$LOG_FILE"; do
    if [[ -s "$f" ]]; then
      log "last lines of $f:"
      tail -n 25 "$f" >&2
    else
      log "$f: nothing logged"
    fi
  done
}

wait_ready() {
  local deadline=$((SECONDS + TIMEOUT))
  local pid
  pid="$(cat "$PID_FILE")"
  while ((SECONDS < deadline)); do
    if ! kill -0 "$pid" 2>/dev/null; then
      startup_failed "Kafka $KAFKA_VERSION exited during start-up"
      rm -f "$PID_FILE" "$VERSION_FILE"
      exit 1
    fi
    if port_open "$PORT" && grep -q "Kafka Server started" "$SERVER_LOG" 2>/dev/null; then
      # the port is open and the server says so; ask it for metadata to be sure
      if probe; then
        return 0
      fi
    fi
    sleep 0.5
  done
  startup_failed "Kafka $KAFKA_VERSION did not answer a metadata request on 127.0.0.1:$PORT within ${TIMEOUT}s (KAFKA_START_TIMEOUT)"
  # a half-started broker would hold the port and the data directory: stop it
  stop >/dev/null 2>&1 || true
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
    local running
    running="$(cat "$VERSION_FILE" 2>/dev/null || echo unknown)"
    log "already running (pid $(cat "$PID_FILE"), Kafka $running) on 127.0.0.1:$PORT"
    if [[ "$running" != "$KAFKA_VERSION" ]]; then
      log "note: Kafka $KAFKA_VERSION was asked for; 'scripts/kafka.sh restart' switches"
    fi
    return 0
  fi
  if port_open "$PORT"; then
    die "127.0.0.1:$PORT is already taken by another process; set KAFKA_PORT or KAFKA_BROKERS"
  fi
  if port_open "$CONTROLLER_PORT"; then
    die "the controller port 127.0.0.1:$CONTROLLER_PORT is already taken by another process; set KAFKA_CONTROLLER_PORT"
  fi
  local started=$SECONDS
  mkdir -p "$HOME_DIR"
  check_java
  fetch
  write_config
  format_storage
  : >"$SERVER_LOG"
  log "starting Kafka $KAFKA_VERSION on 127.0.0.1:$PORT (controller $CONTROLLER_PORT)"
  local opts
  mapfile -t opts < <(jvm_opts "$HEAP")
  (
    cd "$HOME_DIR"
    # setsid: the broker must outlive the shell (and the test runner) that started it;
    # a background subshell is no group leader, so setsid execs in place and $! is java
    exec setsid java "${opts[@]}" kafka.Kafka "$CONF_DIR/server.properties" </dev/null >"$LOG_FILE" 2>&1
  ) &
  echo $! >"$PID_FILE"
  echo "$KAFKA_VERSION" >"$VERSION_FILE"
  wait_ready
  log "ready on 127.0.0.1:$PORT (pid $(cat "$PID_FILE"), Kafka $KAFKA_VERSION, $((SECONDS - started))s)"
}

stop() {
  if ! is_running; then
    rm -f "$PID_FILE" "$VERSION_FILE"
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
  rm -f "$PID_FILE" "$VERSION_FILE"
  log "stopped"
}

status() {
  if is_running; then
    if port_open "$PORT"; then
      echo "running (pid $(cat "$PID_FILE")) on 127.0.0.1:$PORT, Kafka $(cat "$VERSION_FILE" 2>/dev/null || echo "(version not recorded)")"
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
  reset) stop; rm -rf "$DATA_DIR" "$DATA_DIR.version" "$CONF_DIR" "$LOG_FILE" "$SERVER_LOG" "$HOME_DIR/format-$PORT.log"; log "data removed" ;;
  fetch) mkdir -p "$HOME_DIR"; fetch ;;
  *) echo "usage: $0 start|stop|status|restart|reset|fetch" >&2; exit 2 ;;
esac
