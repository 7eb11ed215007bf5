#!/usr/bin/env bash
# The whole test suite. Starts what the tests need (a private PostgreSQL on loopback, the Docker
# engine with the demo image when scripts/docker.sh exists, the network plane's tools, QEMU and the demo VM image), builds,
# runs every test, stops what it started, and ends with a plain "N passed, N failed" line.
set -euo pipefail
cd "$(dirname "$0")"
root=$(pwd)
config=${CIMI_TEST_CONFIGURATION:-Release}

command -v dotnet >/dev/null || { echo "The .NET 10 SDK is required (dotnet not found)." >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/cimigrains-test.XXXXXX")
chmod 755 "$work"
pgdata="$work/postgres"
cleanup() {
  scripts/postgres.sh stop "$pgdata" || true
  rm -rf "$work"
}
trap cleanup EXIT

# A free loopback port for PostgreSQL.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
# fsync off: the tests prove durability against process kills, not power loss, and it halves run time.
CIMI_PG_FSYNC=off scripts/postgres.sh start "$pgdata" "$port" cimigrains >/dev/null
export CIMI_TEST_POSTGRES="Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres;Maximum Pool Size=20"

if [ -x scripts/docker.sh ]; then scripts/docker.sh ensure; fi
# The network plane's tools (nft, ip, bridge, ping, iperf3); without them its tests fail saying so.
if [ -x scripts/network.sh ]; then scripts/network.sh ensure || echo "test.sh: the network plane's tools are not available; its tests will fail." >&2; fi

# QEMU, and the demo VM image for the QEMU tests: built once into a cache under .data/ that later
# runs reuse (scripts/demo-vm.sh rebuilds only when its inputs change). Tests find it through
# CIMI_TEST_DEMO_VM_DIR (the directory holding image.json); without it they say what is missing.
if [ -x scripts/qemu.sh ] && [ -x scripts/demo-vm.sh ]; then
  cache=${CIMI_TEST_CACHE_DIR:-$root/.data/test-cache}
  if scripts/qemu.sh ensure &&
    demo_vm=$(CIMI_DEMO_VM_DEBS="$cache/demo-vm-debs" scripts/demo-vm.sh "$cache/qemu-images"); then
    export CIMI_TEST_DEMO_VM_DIR="$demo_vm"
  else
    echo "test.sh: QEMU or the demo VM image is not available; the QEMU tests will fail." >&2
  fi
fi

set +e
# A build that fails is a failed run, and still ends with the summary line CI reads.
if ! dotnet build CimiGrains.sln -c "$config" -v quiet -nologo -clp:NoSummary; then
  echo "The build failed; no test ran."
  echo "0 passed, 1 failed"
  exit 1
fi
dotnet test tests/CimiGrains.Tests/CimiGrains.Tests.csproj -c "$config" --no-build -nologo \
  --logger "trx;LogFileName=$work/results.trx" --logger "console;verbosity=normal" "$@"
status=$?
set -e

trx="$work/results.trx"
if [ -f "$trx" ]; then
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
  passed=$(echo "$counters" | sed -n 's/.* passed="\([0-9]*\)".*/\1/p')
  failed=$(echo "$counters" | sed -n 's/.* failed="\([0-9]*\)".*/\1/p')
  notrun=$(echo "$counters" | sed -n 's/.* notExecuted="\([0-9]*\)".*/\1/p')
  # Name each failed test and the first line of its message, so a CI log that keeps only its tail
  # still says what broke.
  python3 - "$trx" <<'PY' || true
import sys, xml.etree.ElementTree as ET
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
for r in ET.parse(sys.argv[1]).getroot().iterfind(".//t:UnitTestResult[@outcome='Failed']", ns):
    message = r.findtext(".//t:Message", default="", namespaces=ns).strip().splitlines()
    print("FAILED", r.get("testName"), "--", (message[0] if message else "")[:300])
PY
  echo "${passed:-0} passed, ${failed:-0} failed, ${notrun:-0} skipped"
else
  echo "0 passed, 1 failed"
  [ "$status" -ne 0 ] || status=1
fi
exit "$status"
