#!/usr/bin/env bash
# Care-record benchmarks: FHIR ingest rate on a synthetic cohort of N
# patients (default 100,000), and the SNOMED CT closure benchmarks on a
# generated 350,000-concept hierarchy. Writes bench/results/care-DATE.md.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-100000}
OUT=${OUT:-bench/results}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
go build -o "$TMP/gentre" ./cmd/gentre
date=$(date -u +%Y-%m-%d)
report="$OUT/care-$date.md"
"$TMP/gentre" synth --out "$TMP/c" --patients "$N" --sites 1 --generator go --seed 7 2>"$TMP/synth.log"
"$TMP/gentre" init --store "$TMP/s" 2>/dev/null
"$TMP/gentre" ingest snomed --store "$TMP/s" "$TMP/c/snomed.rf2.txt" 2>/dev/null
resources=$(wc -l < "$TMP/c/care.ndjson")
bytes=$(stat -c %s "$TMP/c/care.ndjson")
/usr/bin/time -f '%e %U %S %M' -o "$TMP/time" "$TMP/gentre" ingest fhir --store "$TMP/s" "$TMP/c/care.ndjson" 2>"$TMP/fhir.log"
read -r wall user sys rss < "$TMP/time"
qstart=$(date +%s%N)
count=$("$TMP/gentre" query --store "$TMP/s" 'count condition(<<73211009) and sex(female)' | tail -1)
qend=$(date +%s%N)
bench=$(go test -run '^$' -bench 'Parse|Load|Set|Sorted|Scan' -benchtime 3x ./ingest/snomed/ 2>&1 | grep -E '^Benchmark' || true)
{
  echo "# Care-record benchmarks, $date"
  echo
  echo "| | |"
  echo "|---|---|"
  echo "| machine | $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) CPUs |"
  echo "| load average | $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine makes timings noisy) |"
  echo "| gentre | commit $(git rev-parse --short=12 HEAD)$(git diff --quiet || echo +dirty) |"
  echo "| go | $(go version | cut -d' ' -f3-) |"
  echo
  echo "## FHIR ingest: $N synthetic patients"
  echo
  echo "| resources | NDJSON bytes | wall | CPU (user+sys) | resources/s (wall) | MB/s | peak RSS |"
  echo "|---:|---:|---:|---:|---:|---:|---:|"
  awk -v r="$resources" -v b="$bytes" -v w="$wall" -v u="$user" -v s="$sys" -v m="$rss" \
    'BEGIN { printf "| %d | %d | %.2f s | %.2f s | %.0f | %.1f | %.0f MB |\n", r, b, w, u+s, r/w, b/w/1e6, m/1024 }'
  echo
  echo "\`gentre ingest fhir\` said: $(cat "$TMP/fhir.log")"
  echo
  echo "Then \`count condition(<<73211009) and sex(female)\` = $count, whole process $(( (qend - qstart) / 1000000 )) ms (loading people, events and the hierarchy included)."
  echo
  echo "## SNOMED CT closure (generated 350,000-concept hierarchy; go test -bench, ingest/snomed)"
  echo
  echo '```'
  echo "$bench"
  echo '```'
} > "$report"
echo "wrote $report"
