#!/usr/bin/env bash
# Fetches the jars of a real single-node Kafka broker (KRaft) from Maven Central into
# .cache/kafka/<version>/libs, for the Kafka sink tests and `npm run kafka start`.
# Needs a JDK 17+ and Maven (installed from Debian when missing). Idempotent; runs as root.
#
#   RS_KAFKA_VERSIONS="3.9.2 4.4.0"   versions to fetch (default below); the first is the tests' default.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
versions="${RS_KAFKA_VERSIONS:-3.9.2 4.4.0}"

need=()
command -v java >/dev/null 2>&1 || need+=(default-jre-headless)
command -v mvn >/dev/null 2>&1 || need+=(maven)
if [ "${#need[@]}" -gt 0 ]; then
  echo "kafka setup: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=600 update
  apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends "${need[@]}"
fi

# A class-data-sharing archive of the classes a started broker has loaded: later JVMs map it
# instead of loading ~5000 classes, which cuts startup by a third or more on a busy machine.
# Flags match jvmArgs() in test/helpers/kafkaBroker.ts (the archive needs the same classpath).
build_class_archive() {
  local v="$1" libs="$2" archive="$3" tmp port cport pid logging
  tmp="$(mktemp -d)"
  port="$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")"
  cport="$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")"
  sed -e "s#\${port}#$port#g; s#\${controllerPort}#$cport#g; s#\${logDir}#$tmp/kraft-log#g" \
    "$root/tools/kafka/server.properties" > "$tmp/server.properties"
  case "$v" in
    3.*) logging="-Dlog4j.configuration=file:$root/tools/kafka/log4j.properties" ;;
    *) logging="-Dlog4j2.configurationFile=$root/tools/kafka/log4j2.properties" ;;
  esac
  local jvm=(-Xms64m -Xmx512m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true
    -Djava.net.preferIPv4Stack=true "$logging" -cp "$libs/*")
  java "${jvm[@]}" kafka.tools.StorageTool format -t "$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | cut -c1-22)" \
    -c "$tmp/server.properties" > "$tmp/format.log" 2>&1
  java "${jvm[@]}" -XX:ArchiveClassesAtExit="$tmp/kafka.jsa" kafka.Kafka "$tmp/server.properties" > "$tmp/broker.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 1200); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  sleep 3 # let the broker finish starting, so its classes are in the archive too
  kill "$pid" 2>/dev/null || true
  wait "$pid" || true
  if [ -s "$tmp/kafka.jsa" ]; then
    mv "$tmp/kafka.jsa" "$archive"
    echo "kafka setup: class archive for Kafka $v in $archive"
  else
    echo "kafka setup: no class archive for Kafka $v (the broker just starts slower)"
  fi
  rm -rf "$tmp"
}

for v in $versions; do
  libs="$root/.cache/kafka/$v/libs"
  archive="$root/.cache/kafka/$v/kafka.jsa"
  if ls "$libs"/kafka_2.13-"$v".jar >/dev/null 2>&1 && [ -f "$libs/.complete" ]; then
    echo "kafka setup: Kafka $v present in $libs"
    [ -f "$archive" ] || build_class_archive "$v" "$libs" "$archive" || true
    continue
  fi
  case "$v" in
    3.*) profile=kafka3 ;;
    *) profile=kafka4 ;;
  esac
  echo "kafka setup: fetching Kafka $v ($profile) into $libs"
  rm -rf "$libs"
  # Maven retries flaky downloads itself; one more whole try covers a dropped connection.
  for attempt in 1 2; do
    if mvn -q -B -Dstyle.color=never -f "$root/tools/kafka/pom.xml" -P "$profile" -Dkafka.version="$v" \
      dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$libs"; then
      touch "$libs/.complete"
      rm -f "$archive"
      build_class_archive "$v" "$libs" "$archive" || true
      break
    fi
    [ "$attempt" -eq 2 ] && { echo "kafka setup: could not fetch Kafka $v from Maven Central" >&2; exit 1; }
    sleep 5
  done
done
