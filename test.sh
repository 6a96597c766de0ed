#!/usr/bin/env bash
# Runs the whole test suite: builds, starts what the tests need, runs every test project, and ends with the line
# "N passed, N failed" summed from the TRX results (exit 0 only when nothing failed).
#
# What the tests need: Azurite (the Azure Storage emulator) for the Table Storage tests. Unless
# COMPLIANCEWATCH_TEST_AZURITE already names one, this script installs the version pinned in tools/azurite (npm) if it
# is absent, starts it on 127.0.0.1 with in-memory persistence on ports the system picks, exports its connection
# string as COMPLIANCEWATCH_TEST_AZURITE, and stops it (by its PID) when the script exits.
set -uo pipefail
cd "$(dirname "$0")"

results="$PWD/.test-results"
rm -rf "$results"
mkdir -p "$results"

fail() {
  echo "$1"
  echo "0 passed, 1 failed"
  exit 1
}

azurite_pid=""
azurite_dir=""
stop_azurite() {
  if [ -n "$azurite_pid" ] && kill -0 "$azurite_pid" 2>/dev/null; then
    kill "$azurite_pid" 2>/dev/null
    wait "$azurite_pid" 2>/dev/null
  fi
  [ -n "$azurite_dir" ] && rm -rf "$azurite_dir"
}
tool_dir=""
cleanup() {
  stop_azurite
  [ -n "$tool_dir" ] && rm -rf "$tool_dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -z "${COMPLIANCEWATCH_TEST_AZURITE:-}" ]; then
  echo "== azurite"
  azurite="tools/azurite/node_modules/.bin/azurite"
  if [ ! -x "$azurite" ]; then
    command -v npm >/dev/null 2>&1 || fail "Node.js and npm are required to install Azurite (tools/azurite)"
    (cd tools/azurite && npm ci --no-audit --no-fund --loglevel=error) || fail "installing Azurite (npm ci in tools/azurite) failed"
  fi

  azurite_dir=$(mktemp -d)
  # port 0: the system picks free ports and Azurite prints them, so parallel runs never collide
  "$azurite" --blobHost 127.0.0.1 --queueHost 127.0.0.1 --tableHost 127.0.0.1 \
    --blobPort 0 --queuePort 0 --tablePort 0 \
    --inMemoryPersistence --disableTelemetry --silent --skipApiVersionCheck \
    >"$azurite_dir/azurite.log" 2>&1 &
  azurite_pid=$!

  port_of() { sed -n "s|.*$1 service is successfully listening at http://127.0.0.1:\([0-9]*\).*|\1|p" "$azurite_dir/azurite.log" | head -n 1; }
  table_port=""; queue_port=""; blob_port=""
  for _ in $(seq 1 300); do
    table_port=$(port_of Table); queue_port=$(port_of Queue); blob_port=$(port_of Blob)
    [ -n "$table_port" ] && [ -n "$queue_port" ] && [ -n "$blob_port" ] && break
    kill -0 "$azurite_pid" 2>/dev/null || break
    sleep 0.1
  done
  if [ -z "$table_port" ] || [ -z "$queue_port" ] || [ -z "$blob_port" ]; then
    cat "$azurite_dir/azurite.log"
    fail "Azurite did not start"
  fi

  key="Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
  export COMPLIANCEWATCH_TEST_AZURITE="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=$key;BlobEndpoint=http://127.0.0.1:$blob_port/devstoreaccount1;QueueEndpoint=http://127.0.0.1:$queue_port/devstoreaccount1;TableEndpoint=http://127.0.0.1:$table_port/devstoreaccount1;"
  echo "Azurite (pid $azurite_pid): table $table_port, queue $queue_port, blob $blob_port"
fi

echo "== chromium"
# the dashboard's browser tests drive Debian's Chromium through Playwright; Playwright never downloads a browser
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
if [ ! -x /usr/bin/chromium ]; then
  command -v apt-get >/dev/null 2>&1 || fail "Chromium (/usr/bin/chromium) is required for the dashboard tests: install Debian's chromium package"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) || fail "installing chromium (apt-get install chromium) failed"
fi
echo "$(/usr/bin/chromium --version 2>/dev/null || echo chromium)"

echo "== build"
if ! dotnet build ComplianceWatch.sln -c Release -nologo -v quiet; then
  fail "build failed"
fi

echo "== tool"
# The tool as a user installs it: pack it, install it from that package alone (a NuGet configuration with no other
# source, packages in a fresh folder, so nothing cached or remote can stand in for it), run the installed command
# once. Each of the two runs counts as one test in the closing line. No --no-build: the pack builds the ReadyToRun
# linux-x64 package and the portable one (RID-specific tool packages), which the solution build does not.
tool_passed=0; tool_failed=0
tool_dir=$(mktemp -d)
tool_id=$(dotnet msbuild src/ComplianceWatch.Cli/ComplianceWatch.Cli.csproj -getProperty:PackageId -nologo 2>/dev/null | tr -d '[:space:]')
tool_version=$(dotnet msbuild src/ComplianceWatch.Cli/ComplianceWatch.Cli.csproj -getProperty:Version -nologo 2>/dev/null | tr -d '[:space:]')
printf '<?xml version="1.0" encoding="utf-8"?>\n<configuration>\n  <packageSources>\n    <clear />\n  </packageSources>\n</configuration>\n' >"$tool_dir/nuget.config"
if [ -n "$tool_id" ] && [ -n "$tool_version" ] \
  && dotnet pack src/ComplianceWatch.Cli -c Release -nologo -v quiet -o "$tool_dir/nupkg" \
  && NUGET_PACKAGES="$tool_dir/packages" dotnet tool install --tool-path "$tool_dir/bin" --configfile "$tool_dir/nuget.config" \
       --add-source "$tool_dir/nupkg" "$tool_id" --version "$tool_version"; then
  installed_version=$("$tool_dir/bin/compliancewatch" --version 2>&1)
  if [ "${installed_version%%+*}" = "$tool_version" ]; then
    echo "installed $tool_id $tool_version: compliancewatch --version prints $installed_version"
    tool_passed=$((tool_passed + 1))
  else
    echo "FAILED: the installed compliancewatch --version printed '$installed_version', expected $tool_version"
    tool_failed=$((tool_failed + 1))
  fi
  if "$tool_dir/bin/compliancewatch" sources validate --catalog catalog/default.json; then
    tool_passed=$((tool_passed + 1))
  else
    echo "FAILED: the installed compliancewatch sources validate --catalog catalog/default.json (exit $?)"
    tool_failed=$((tool_failed + 1))
  fi
else
  echo "FAILED: packing or installing the tool ${tool_id:-(no PackageId)} ${tool_version:-(no Version)} from src/ComplianceWatch.Cli"
  tool_failed=2
fi

echo "== test"
# one run per test project, each with its own TRX file (names must not collide)
test_status=0
for project in tests/*/*.Tests.csproj; do
  name=$(basename "$project" .csproj)
  echo "-- $name"
  dotnet test "$project" -c Release --no-build -nologo \
    --logger "trx;LogFileName=$name.trx" --results-directory "$results" || test_status=$?
done

passed=$tool_passed; failed=$tool_failed; total=0
shopt -s nullglob
trx_files=("$results"/*.trx)
for trx in "${trx_files[@]}"; do
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")
  f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  t=$(sed -n 's/.* total="\([0-9]*\)".*/\1/p' <<<"$counters")
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0})); total=$((total + ${t:-0}))
done

# a test project that crashed or never reported counts as a failure
projects=(tests/*/*.Tests.csproj)
missing=$(( ${#projects[@]} - ${#trx_files[@]} ))
if [ "$missing" -gt 0 ]; then
  echo "$missing test project(s) produced no results"
  failed=$((failed + missing))
elif [ "$test_status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  failed=$((failed + 1))
fi

echo "${passed} passed, ${failed} failed"
[ "$failed" -eq 0 ]
