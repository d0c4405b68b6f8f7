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

for v in $versions; do
  libs="$root/.cache/kafka/$v/libs"
  if ls "$libs"/kafka_2.13-"$v".jar >/dev/null 2>&1 && [ -f "$libs/.complete" ]; then
    echo "kafka setup: Kafka $v present in $libs"
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
    if mvn -q -B -f "$root/tools/kafka/pom.xml" -P "$profile" -Dkafka.version="$v" \
      dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$libs"; then
      touch "$libs/.complete"
      break
    fi
    [ "$attempt" -eq 2 ] && { echo "kafka setup: could not fetch Kafka $v from Maven Central" >&2; exit 1; }
    sleep 5
  done
done
