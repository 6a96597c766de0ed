#!/usr/bin/env bash
# Benchmark: ComplianceWatch `check` on N loopback terms pages served by nginx, against the raw fetch floor and
# urlwatch 2.25. Usage: bench/run.sh [N]   (default 1000). Prints a Markdown table; details in bench/out/.
set -euo pipefail
N=${1:-1000}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
out="$here/out"
rm -rf "$out"; mkdir -p "$out"

need() { command -v "$1" >/dev/null 2>&1; }
if ! need nginx || ! need urlwatch || ! [ -x /usr/bin/time ]; then
  echo "installing nginx-light, urlwatch and time from Debian…" >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light urlwatch time) >/dev/null
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

echo "building…" >&2
dotnet build "$repo/src/ComplianceWatch.Cli" -c Release -nologo -v quiet >/dev/null
dotnet build "$here/RawFetch" -c Release -nologo -v quiet >/dev/null
CW="$repo/src/ComplianceWatch.Cli/bin/Release/net10.0/compliancewatch.dll"
RAW="$here/RawFetch/bin/Release/net10.0/RawFetch.dll"

echo "generating $N pages…" >&2
site="$out/site"
python3 "$here/gen_site.py" "$site" "$N" 0

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$out/nginx"
cat > "$out/nginx/nginx.conf" <<CONF
worker_processes 1;
pid $out/nginx/nginx.pid;
error_log $out/nginx/error.log;
events { worker_connections 1024; }
http {
  log_format bench '\$status \$body_bytes_sent \$request_uri';
  access_log $out/nginx/access.log bench;
  default_type text/html;
  types { text/html html; }
  charset utf-8;
  etag on;
  keepalive_requests 100000;
  server { listen 127.0.0.1:$port; root $site; }
}
CONF
"$NGINX" -c "$out/nginx/nginx.conf" -p "$out/nginx"
trap '"$NGINX" -c "$out/nginx/nginx.conf" -p "$out/nginx" -s stop 2>/dev/null || true' EXIT
sleep 0.5
base="http://127.0.0.1:$port"

# catalog, url list and urlwatch jobs for the same pages
python3 - "$N" "$base" "$out" <<'PY'
import json, sys
n, base, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
sources = [{"id": f"page-{i:05d}", "kind": "terms", "title": f"Terms {i}", "provider": "Bench", "url": f"{base}/p/{i}.html", "select": "main"} for i in range(n)]
json.dump({"sources": sources}, open(f"{out}/catalog.json", "w"))
open(f"{out}/urls.txt", "w").write("\n".join(s["url"] for s in sources) + "\n")
with open(f"{out}/urls.yaml", "w") as f:
    f.write("\n---\n".join(f"name: page-{i:05d}\nurl: {base}/p/{i}.html\nfilter:\n  - css: main\n  - html2text" for i in range(n)) + "\n")
PY
cat > "$out/urlwatch.yaml" <<'YAML'
display: {new: true, error: true, unchanged: false, empty-diff: false}
report:
  tz: null
  text: {details: true, footer: false, line_length: 75, minimal: false, separate: false}
  stdout: {enabled: true, color: false}
  markdown: {enabled: false, details: true, footer: false, minimal: false, separate: false}
  html: {diff: unified, separate: false}
  email: {enabled: false}
job_defaults: {all: {}, shell: {}, url: {}, browser: {}}
YAML

bytes_served() { awk '{ s += $2 } END { print s+0 }' "$out/nginx/access.log"; }
reset_log() { : > "$out/nginx/access.log"; "$NGINX" -c "$out/nginx/nginx.conf" -p "$out/nginx" -s reopen 2>/dev/null; sleep 0.2; }

# measure NAME CMD… : wall seconds, peak RSS (MiB), bytes served by nginx
measure() {
  local name=$1; shift
  reset_log
  /usr/bin/time -f "%e %M" -o "$out/$name.time" "$@" > "$out/$name.stdout" 2> "$out/$name.stderr" || true
  sleep 0.2
  read -r wall rss < <(tail -n 1 "$out/$name.time")
  echo "$name $wall $((rss / 1024)) $(bytes_served)" >> "$out/results.txt"
}

state="$out/state"
cat > "$out/cw.sh" <<SH
#!/bin/sh
ComplianceWatch__AllowPrivateNetwork=true exec dotnet "$CW" check --catalog "$out/catalog.json" --state "$state" --json
SH
cat > "$out/uw.sh" <<SH
#!/bin/sh
exec urlwatch --urls "$out/urls.yaml" --config "$out/urlwatch.yaml" --cache "$out/urlwatch.db" --hooks "$out/hooks.py"
SH
chmod +x "$out/cw.sh" "$out/uw.sh"
writes() { find "$state" -type f -newer "$1" ! -name '*.lock' | wc -l; }

echo "raw fetch floor…" >&2
measure raw dotnet "$RAW" "$out/urls.txt" 6

echo "ComplianceWatch (a) first run…" >&2
touch "$out/mark-a"; sleep 1
measure cw-a "$out/cw.sh"
echo "cw-a-writes $(writes "$out/mark-a")" >> "$out/results.txt"
echo "ComplianceWatch (b) nothing changed…" >&2
touch "$out/mark-b"; sleep 1
measure cw-b "$out/cw.sh"
echo "cw-b-writes $(writes "$out/mark-b")" >> "$out/results.txt"

echo "urlwatch (a)…" >&2
: > "$out/hooks.py"
measure uw-a "$out/uw.sh"
echo "urlwatch (b)…" >&2
measure uw-b "$out/uw.sh"

echo "editing 10% meaningfully and 10% cosmetically…" >&2
sleep 1
python3 "$here/gen_site.py" "$site" "$N" 1
echo "ComplianceWatch (c)…" >&2
touch "$out/mark-c"; sleep 1
measure cw-c "$out/cw.sh"
echo "cw-c-writes $(writes "$out/mark-c")" >> "$out/results.txt"
echo "urlwatch (c)…" >&2
measure uw-c "$out/uw.sh"

python3 - "$out" "$N" <<'PY'
import json, sys, platform, subprocess, datetime
out, n = sys.argv[1], int(sys.argv[2])
r = {}
for line in open(f"{out}/results.txt"):
    parts = line.split()
    r[parts[0]] = parts[1:]
def row(name): wall, rss, b = r[name]; return float(wall), int(rss), int(b)
raw = row("raw")
expected = set(open(f"{out}/site/expected-changes.txt").read().split())
def cw_changes(name):
    doc = json.load(open(f"{out}/{name}.stdout"))
    return doc, {c["subject"] for c in doc["changes"]}
_, ca = cw_changes("cw-a"); _, cb = cw_changes("cw-b"); docc, cc = cw_changes("cw-c")
uw_changed = sum(1 for l in open(f"{out}/uw-c.stdout") if l.startswith("CHANGED:"))
def mib(b): return f"{b/1048576:.1f} MiB" if b >= 1048576 else f"{b/1024:.1f} KiB"
print(f"\nBenchmark, {n} terms pages (40-120 KB) on loopback nginx; {datetime.date.today()}; "
      f"{platform.machine()}, {subprocess.run(['nproc'],capture_output=True,text=True).stdout.strip()} cores; "
      f"dotnet {subprocess.run(['dotnet','--version'],capture_output=True,text=True).stdout.strip()}; urlwatch 2.25\n")
print("| run | tool | wall (s) | × floor | × urlwatch | peak RSS (MiB) | downloaded | store writes | changes |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
print(f"| floor | raw fetch, 6 at once | {raw[0]:.2f} | 1.00 | | {raw[1]} | {mib(raw[2])} | | |")
for run, label, changes in (("a", "first run (baselines)", len(ca)), ("b", "nothing changed", len(cb)), ("c", "10% meaningful + 10% cosmetic edits", len(cc))):
    w, rss, b = row(f"cw-{run}"); uw = row(f"uw-{run}")
    writes = r[f"cw-{run}-writes"][0]
    print(f"| ({run}) {label} | ComplianceWatch | {w:.2f} | {w/raw[0]:.2f} | {w/uw[0]:.2f} | {rss} | {mib(b)} | {writes} | {changes} |")
    print(f"| ({run}) {label} | urlwatch | {uw[0]:.2f} | {uw[0]/raw[0]:.2f} | 1.00 | {uw[1]} | {mib(uw[2])} | | {uw_changed if run == 'c' else ''} |")
ok = cc == expected and not cb and not ca and not docc["errors"]
print(f"\n(c) reported exactly the {len(expected)} meaningful changes and none of the cosmetic ones: {'yes' if ok else 'NO'}")
bytes_b, bytes_a = row("cw-b")[2], row("cw-a")[2]
print(f"(b) downloaded {100*bytes_b/max(bytes_a,1):.2f}% of (a)'s bytes")
PY
