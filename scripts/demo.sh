#!/usr/bin/env bash
# The main job on the embedded default: a synthetic UK-shaped cohort (care
# records, SNOMED CT fragment, sample manifest, genomes with planted
# associations) is made, ingested and queried.
set -euo pipefail
BIN=${1:-bin/gentre}
DIR=${2:-demo}
PATIENTS=${PATIENTS:-2000}
rm -rf "$DIR"
mkdir -p "$DIR"
C="$DIR/cohort"
S="$DIR/store"
step() { printf '\n== %s\n' "$*"; }

step "synth: $PATIENTS people"
"$BIN" synth --out "$C" --patients "$PATIENTS" --seed 42
step "init"
"$BIN" init --store "$S"
step "ingest snomed, fhir, then genomes linked by the sample manifest"
"$BIN" ingest snomed --store "$S" "$C/snomed.rf2.txt"
"$BIN" ingest fhir --store "$S" "$C/care.ndjson"
"$BIN" ingest vcf --store "$S" --manifest "$C/manifest.tsv" "$C/genomes.chr22.vcf.gz"

q() { printf '\n$ gentre query %s\n' "$*" >&2; "$BIN" query --store "$S" "$@"; }
step "cohort questions"
q 'count all by sex'
q 'count condition(<<73211009) and sex(female)'
q 'count condition(<<73211009) by age'
q 'count observation(1003671000000109 >= 48) and not condition(<<73211009)'
step "case/control at the planted type 2 diabetes variant (odds ratio 2.7 by design)"
q 'freq chr22:24316207-24316207 in condition(<<44054006) vs not condition(<<73211009)' | column -t
step "allele frequencies over a region, everyone"
q 'freq chr22:20000000-20050000' | head -8 | column -t
step "the whole of chr22 among women with diabetes against everyone else, timed"
start=$(date +%s%N)
rows=$("$BIN" query --store "$S" 'freq chr22 in condition(<<73211009) and sex(female) vs not (condition(<<73211009) and sex(female))' | tail -n +2 | wc -l)
end=$(date +%s%N)
printf '%s allele rows in %d ms\n' "$rows" $(( (end - start) / 1000000 ))
step "store on disk (without secrets/)"
du -sh --exclude=secrets "$S"
echo
echo "The store is in $S (try: $BIN query --store $S --format json 'count all by age')."
echo "Serving it (gentre serve: REST + gRPC, tokens, disclosure control, audit) arrives with the trusted research gateway."
