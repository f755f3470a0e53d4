#!/usr/bin/env bash
# The main job on the embedded default: simulate a synthetic cohort, make a
# store, ingest the genomes, and ask it questions.
set -euo pipefail
BIN=${1:-bin/gentre}
DIR=${2:-demo}
PATIENTS=${PATIENTS:-2000}
rm -rf "$DIR"
mkdir -p "$DIR"
echo "== synth: $PATIENTS people"
"$BIN" synth --out "$DIR/cohort" --patients "$PATIENTS" --seed 42
echo "== init"
"$BIN" init --store "$DIR/store"
echo "== ingest vcf"
"$BIN" ingest vcf --store "$DIR/store" "$DIR/cohort/genomes.chr22.vcf.gz"
echo "== query: allele frequencies in chr22:20,000,000-20,050,000 (first rows)"
"$BIN" query --store "$DIR/store" 'freq chr22:20000000-20050000' | head -12 | column -t
echo "== query: the whole of chr22, timed"
start=$(date +%s.%N)
rows=$("$BIN" query --store "$DIR/store" 'freq 22' | tail -n +2 | wc -l)
end=$(date +%s.%N)
printf '%s allele rows in %.2fs\n' "$rows" "$(echo "$end - $start" | bc)"
echo "== store on disk"
du -sh --exclude=secrets "$DIR/store"
echo
echo "Serving the store (gentre serve) arrives with the trusted research gateway; the"
echo "store is in $DIR/store: try  $BIN query --store $DIR/store 'freq chr22:20000000-20100000' --format json"
