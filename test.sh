#!/usr/bin/env bash
# Runs the whole test suite: builds, starts what the tests need, runs every test project, and ends with the line
# "N passed, N failed" summed from the TRX results (exit 0 only when nothing failed).
set -uo pipefail
cd "$(dirname "$0")"

results="$PWD/.test-results"
rm -rf "$results"
mkdir -p "$results"

echo "== build"
if ! dotnet build ComplianceWatch.sln -c Release -nologo -v quiet; then
  echo "build failed"
  echo "0 passed, 1 failed"
  exit 1
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

passed=0; failed=0; total=0
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
