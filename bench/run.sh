#!/usr/bin/env bash
# Benchmark: ComplianceWatch `check` on N loopback terms pages served by nginx, against the raw fetch floor and
# urlwatch 2.25. Usage: bench/run.sh [N] [--no-urlwatch]   (default 1000; --no-urlwatch: ComplianceWatch and the floor
# only, e.g. for the 10,000-source run). Prints the table of issue 13 (fixed cost, first run, nothing
# changed, changes, peak memory, each against urlwatch, the floor and the goal) and a detailed table; details in bench/out/.
# The tool measured is what 'dotnet pack' installs on linux-x64: the ReadyToRun publish (bench/out/cw/).
set -euo pipefail
N=${1:-1000}
URLWATCH=1
[ "${2:-}" = "--no-urlwatch" ] && URLWATCH=0
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
# the installed tool's build: ReadyToRun for linux-x64, framework-dependent (what the linux-x64 tool package holds)
dotnet publish "$repo/src/ComplianceWatch.Cli" -c Release -r linux-x64 --self-contained false -o "$out/cw" -nologo -v quiet >/dev/null
dotnet build "$here/RawFetch" -c Release -nologo -v quiet >/dev/null
CW="$out/cw/compliancewatch.dll"
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

: > "$out/hooks.py"
bytes_served() { awk '{ s += $2 } END { print s+0 }' "$out/nginx/access.log"; }
reset_log() { : > "$out/nginx/access.log"; "$NGINX" -c "$out/nginx/nginx.conf" -p "$out/nginx" -s reopen 2>/dev/null; sleep 0.2; }

# measure NAME CMD… : wall seconds, peak RSS (MiB), bytes served by nginx
measure() {
  local name=$1; shift
  reset_log
  /usr/bin/time -f "%e %M %U %S" -o "$out/$name.time" "$@" > "$out/$name.stdout" 2> "$out/$name.stderr" || true
  sleep 0.2
  read -r wall rss user sys < <(tail -n 1 "$out/$name.time")
  echo "$name $wall $((rss / 1024)) $(bytes_served) $(python3 -c "print(f'{$user + $sys:.2f}')")" >> "$out/results.txt"
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

# fixed cost: 'check' on an empty catalog (and urlwatch on an empty job list), median of 11 runs after one warm-up
echo '{"sources": []}' > "$out/empty.json"
: > "$out/empty.yaml"
fixed() {
  local name=$1; shift
  "$@" > /dev/null 2>&1 || true
  for i in $(seq 1 11); do
    /usr/bin/time -f "%e %M" -a -o "$out/$name.times" "$@" > "$out/$name.stdout" 2> /dev/null || true
  done
  python3 - "$out/$name.times" "$name" >> "$out/results.txt" <<'PY2'
import sys, statistics
rows = [l.split() for l in open(sys.argv[1]) if l.strip() and l.split()[0][0].isdigit()]
walls = sorted(float(r[0]) for r in rows); rss = max(int(r[1]) for r in rows)
print(f"{sys.argv[2]} {statistics.median(walls):.3f} {rss // 1024} 0")
PY2
}
echo "fixed cost (empty catalog)…" >&2
echo "load-fixed $(cut -d' ' -f1-3 /proc/loadavg)" >> "$out/results.txt"
fixed cw-fixed env ComplianceWatch__AllowPrivateNetwork=true dotnet "$CW" check --catalog "$out/empty.json" --state "$out/empty-state" --json
[ "$URLWATCH" = 1 ] && fixed uw-fixed urlwatch --urls "$out/empty.yaml" --config "$out/urlwatch.yaml" --cache "$out/empty-urlwatch.db" --hooks "$out/hooks.py"

echo "raw fetch floor…" >&2
measure raw dotnet "$RAW" "$out/urls.txt" 6

echo "load-runs $(cut -d' ' -f1-3 /proc/loadavg)" >> "$out/results.txt"
echo "ComplianceWatch (a) first run…" >&2
touch "$out/mark-a"; sleep 1
measure cw-a "$out/cw.sh"
echo "cw-a-writes $(writes "$out/mark-a")" >> "$out/results.txt"
echo "ComplianceWatch (b) nothing changed…" >&2
touch "$out/mark-b"; sleep 1
measure cw-b "$out/cw.sh"
echo "cw-b-writes $(writes "$out/mark-b")" >> "$out/results.txt"

if [ "$URLWATCH" = 1 ]; then
  echo "urlwatch (a)…" >&2
  measure uw-a "$out/uw.sh"
  echo "urlwatch (b)…" >&2
  measure uw-b "$out/uw.sh"
fi

echo "editing 10% meaningfully and 10% cosmetically…" >&2
sleep 1
python3 "$here/gen_site.py" "$site" "$N" 1
echo "ComplianceWatch (c)…" >&2
touch "$out/mark-c"; sleep 1
measure cw-c "$out/cw.sh"
echo "cw-c-writes $(writes "$out/mark-c")" >> "$out/results.txt"
if [ "$URLWATCH" = 1 ]; then
  echo "urlwatch (c)…" >&2
  measure uw-c "$out/uw.sh"
fi

python3 - "$out" "$N" <<'PY'
import json, sys, platform, subprocess, datetime
out, n = sys.argv[1], int(sys.argv[2])
r = {}
for line in open(f"{out}/results.txt"):
    parts = line.split()
    r[parts[0]] = parts[1:]
def row(name): wall, rss, b = r[name][:3]; return float(wall), int(rss), int(b)
def cpu_s(name): return float(r[name][3]) if len(r[name]) > 3 else float("nan")
raw = row("raw")
expected = set(open(f"{out}/site/expected-changes.txt").read().split())
def cw_changes(name):
    doc = json.load(open(f"{out}/{name}.stdout"))
    return doc, {c["subject"] for c in doc["changes"]}
_, ca = cw_changes("cw-a"); _, cb = cw_changes("cw-b"); docc, cc = cw_changes("cw-c")
has_uw = "uw-a" in r
uw_changed = sum(1 for l in open(f"{out}/uw-c.stdout") if l.startswith("CHANGED:")) if has_uw else 0
def mib(b): return f"{b/1048576:.1f} MiB" if b >= 1048576 else f"{b/1024:.1f} KiB"
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.machine())
mem = int(next(l.split()[1] for l in open("/proc/meminfo") if l.startswith("MemTotal"))) // 1048576
print(f"\nBenchmark, {n} terms pages (40-120 KB) on loopback nginx; {datetime.date.today()}; "
      f"{platform.machine()} {cpu}, {subprocess.run(['nproc'],capture_output=True,text=True).stdout.strip()} cores, {mem} GiB; "
      f"dotnet {subprocess.run(['dotnet','--version'],capture_output=True,text=True).stdout.strip()}; {'urlwatch 2.25; ' if has_uw else ''}"
      f"load average {' '.join(r['load-fixed'])} before the fixed-cost runs, {' '.join(r['load-runs'])} before (a)\n")

if not has_uw:
    # --no-urlwatch: ComplianceWatch against the floor only
    fx = row("cw-fixed")
    print(f"`check` on an empty catalog (fixed cost): {fx[0]:.2f} s, {fx[1]} MiB\n")
    print("| run | wall (s) | CPU user+sys (s) | × floor | peak RSS (MiB) | downloaded | store writes | changes |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    raw = row("raw")
    print(f"| floor: raw fetch, 6 at once | {raw[0]:.2f} | {cpu_s('raw'):.2f} | 1.00 | {raw[1]} | {mib(raw[2])} | | |")
    for run, label, changes in (("a", "(a) first run (baselines)", len(ca)), ("b", "(b) nothing changed", len(cb)), ("c", "(c) 10% meaningful + 10% cosmetic edits", len(cc))):
        w, rss, b = row(f"cw-{run}")
        print(f"| {label} | {w:.2f} | {cpu_s(f'cw-{run}'):.2f} | {w/raw[0]:.2f} | {rss} | {mib(b)} | {r[f'cw-{run}-writes'][0]} | {changes} |")
    print(f"\n(c) reported exactly the {len(expected)} meaningful changes and none of the cosmetic ones: {'yes' if cc == expected and not docc['errors'] else 'NO'}")
    sys.exit(0)

fx, ufx = row("cw-fixed"), row("uw-fixed")
wa, wb, wc = row("cw-a"), row("cw-b"), row("cw-c")
ua, ub, uc = row("uw-a"), row("uw-b"), row("uw-c")
writes_b = int(r["cw-b-writes"][0])
ok_c = cc == expected and not docc["errors"]
peak = max(fx[1], wa[1], wb[1], wc[1])
def yes(b): return "yes" if b else "**no**"
print("| run | ComplianceWatch | urlwatch | floor | goal | met |")
print("|---|---|---|---|---|---|")
print(f"| `check` on an empty catalog (fixed cost) | {fx[0]:.2f} s, {fx[1]} MiB | {ufx[0]:.2f} s | – | ≤ 0.15 s | {yes(fx[0] <= 0.15)} |")
print(f"| (a) first run, {n} baselines | {wa[0]:.2f} s ({wa[0]/raw[0]:.1f}× floor, {ua[0]/wa[0]:.1f}× faster) | {ua[0]:.2f} s | {raw[0]:.2f} s "
      f"| ≤ 10× floor and ≥ 5× faster than urlwatch | {yes(wa[0] <= 10*raw[0] and ua[0] >= 5*wa[0])} |")
print(f"| (b) nothing changed (all 304) | {wb[0]:.2f} s ({wb[0]/raw[0]:.1f}× floor, {ub[0]/wb[0]:.1f}× faster), {writes_b} writes | {ub[0]:.2f} s | {raw[0]:.2f} s "
      f"| ≤ 3× floor and ≥ 15× faster than urlwatch, 0 writes | {yes(wb[0] <= 3*raw[0] and ub[0] >= 15*wb[0] and writes_b == 0)} |")
print(f"| (c) {len(expected)} changed + {len(expected)} cosmetic | {wc[0]:.2f} s ({uc[0]/wc[0]:.1f}× faster), {len(cc & expected)}/{len(expected)} caught, "
      f"{len(cc - expected)} noise | {uc[0]:.2f} s, {uw_changed} flagged | – | ≥ 5× faster than urlwatch, same accuracy | {yes(uc[0] >= 5*wc[0] and ok_c)} |")
print(f"| peak memory over (a)–(c) | {peak} MiB | {max(ua[1], ub[1], uc[1])} MiB | {raw[1]} MiB | ≤ 120 MB | {yes(peak * 1048576 <= 120e6)} |")

print("\n| run | tool | wall (s) | CPU user+sys (s) | × floor | × urlwatch | peak RSS (MiB) | downloaded | store writes | changes |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
print(f"| floor | raw fetch, 6 at once | {raw[0]:.2f} | {cpu_s('raw'):.2f} | 1.00 | | {raw[1]} | {mib(raw[2])} | | |")
for run, label, changes in (("a", "first run (baselines)", len(ca)), ("b", "nothing changed", len(cb)), ("c", "10% meaningful + 10% cosmetic edits", len(cc))):
    w, rss, b = row(f"cw-{run}"); uw = row(f"uw-{run}")
    writes = r[f"cw-{run}-writes"][0]
    print(f"| ({run}) {label} | ComplianceWatch | {w:.2f} | {cpu_s(f'cw-{run}'):.2f} | {w/raw[0]:.2f} | {w/uw[0]:.2f} | {rss} | {mib(b)} | {writes} | {changes} |")
    print(f"| ({run}) {label} | urlwatch | {uw[0]:.2f} | {cpu_s(f'uw-{run}'):.2f} | {uw[0]/raw[0]:.2f} | 1.00 | {uw[1]} | {mib(uw[2])} | | {uw_changed if run == 'c' else ''} |")
ok = cc == expected and not cb and not ca and not docc["errors"]
print(f"\n(c) reported exactly the {len(expected)} meaningful changes and none of the cosmetic ones: {'yes' if ok else 'NO'}")
bytes_b, bytes_a = row("cw-b")[2], row("cw-a")[2]
print(f"(b) downloaded {100*bytes_b/max(bytes_a,1):.2f}% of (a)'s bytes")
PY
