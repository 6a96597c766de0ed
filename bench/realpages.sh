#!/usr/bin/env bash
# Real-pages replay: real captures of eight AI providers' legal pages (Open Terms Archive, GenAI collection, ODC-By 1.0:
# "Open Terms Archive"), replayed on loopback one capture per document and round, scored against what changed in
# Open Terms Archive's versions. Runs ComplianceWatch `check` and, when installed, urlwatch 2.x on the same replay.
#
# Usage: bench/realpages.sh [CORPUS_TAR_OR_DIR]   (default: ../shared/realpages/corpus.tar.xz beside the repository)
# Prints one line per tool:
#   realworld: caught M/N meaningful, F false alarms on … noise steps, A alarms on … outage steps, E errors; …
# and the misses, false alarms, outage alarms and errors before it. Details in bench/out/realpages/.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
shared="${REALPAGES_DIR:-$(cd "$repo/.." && pwd)/shared/realpages}"
corpus_arg=${1:-"$shared/corpus.tar.xz"}
out="$here/out/realpages"
rm -rf "$out"; mkdir -p "$out"

[ -f "$shared/replay.py" ] || { echo "replay.py not found in $shared (set REALPAGES_DIR to the directory holding it)" >&2; exit 2; }
if [ -d "$corpus_arg" ]; then
  corpus="$corpus_arg"
elif [ -f "$corpus_arg" ]; then
  tar xJf "$corpus_arg" -C "$out"
  corpus="$out/corpus"
else
  echo "corpus not found: $corpus_arg (a corpus.tar.xz or its unpacked directory)" >&2; exit 2
fi
[ -f "$corpus/manifest.json" ] || { echo "$corpus has no manifest.json: not a real-pages corpus" >&2; exit 2; }

echo "building…" >&2
dotnet build "$repo/src/ComplianceWatch.Cli" -c Release -nologo -v quiet >/dev/null
CW="$repo/src/ComplianceWatch.Cli/bin/Release/net10.0/compliancewatch.dll"

echo "== ComplianceWatch"
python3 "$shared/replay.py" "$corpus" --cli "dotnet $CW" --verbose --work "$out/compliancewatch" | tee "$out/compliancewatch.txt"

if command -v urlwatch >/dev/null 2>&1; then
  echo "== urlwatch $(urlwatch --version 2>/dev/null | awk '{print $2}') (css select/exclude, html2text)"
  python3 "$shared/replay.py" "$corpus" --urlwatch --verbose --work "$out/urlwatch" | tee "$out/urlwatch.txt"
else
  echo "== urlwatch: not installed (Debian: apt-get install urlwatch); skipped"
fi
echo "Data: Open Terms Archive (GenAI collection), ODC-By 1.0."
