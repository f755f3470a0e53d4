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

step "the trusted research environment: a project, a researcher and an industry partner"
"$BIN" project create --store "$S" --name diabetes-study --purpose research
RESEARCHER=$("$BIN" token create --store "$S" --user ada --role researcher --project diabetes-study)
PARTNER=$("$BIN" token create --store "$S" --user pharma-co --role industry --project diabetes-study)
CHECKER1=$("$BIN" token create --store "$S" --user olu --role output-checker --project diabetes-study)
CHECKER2=$("$BIN" token create --store "$S" --user mei --role output-checker --project diabetes-study)
ADDR=${ADDR:-127.0.0.1:8080}
cat <<EOT

Try, in another terminal (tokens are secrets: these are demo tokens for a synthetic cohort):

  # a researcher gets exact answers
  curl -s -H 'Authorization: Bearer $RESEARCHER' -d '{"query": "condition(<<73211009) and sex(female)", "by": "age"}' http://$ADDR/v1/cohorts:count
  curl -s -H 'Authorization: Bearer $RESEARCHER' -d '{"region": "chr22:24316207-24316207", "cohort": "condition(<<44054006)", "vs": "not condition(<<73211009)"}' http://$ADDR/v1/freq

  # an industry partner gets disclosure-controlled counts (1-7 suppressed, noise, rounded to 5) within a privacy budget
  curl -s -H 'Authorization: Bearer $PARTNER' -d '{"query": "condition(<<73211009) and sex(female)"}' http://$ADDR/v1/cohorts:count
  curl -s -H 'Authorization: Bearer $PARTNER' -d '{"region": "chr22:24316207-24316207", "cohort": "condition(<<44054006)", "vs": "not condition(<<73211009)"}' http://$ADDR/v1/freq

  # GA4GH Beacon v2: is the planted allele present? (alleles seen 7 times or fewer are not)
  curl -s -H 'Authorization: Bearer $PARTNER' 'http://$ADDR/v1/beacon/g_variants?referenceName=22&start=24316206&referenceBases=A&alternateBases=G&requestedGranularity=count'

  # the airlock: a researcher asks for a table to leave; two different output checkers must approve
  curl -s -H 'Authorization: Bearer $RESEARCHER' -d '{"justification": "table 1", "queries": ["count condition(<<73211009) by age"], "format": "tsv"}' http://$ADDR/v1/airlock/requests
  curl -s -H 'Authorization: Bearer $CHECKER1' -d '{"decision": "approve"}' http://$ADDR/v1/airlock/requests/ID:review
  curl -s -H 'Authorization: Bearer $CHECKER2' -d '{"decision": "approve"}' http://$ADDR/v1/airlock/requests/ID:review
  curl -s -H 'Authorization: Bearer $RESEARCHER' http://$ADDR/v1/airlock/requests/ID/content

  # no token: 401; the OpenAPI document and health need none
  curl -s -o /dev/null -w '%{http_code}\n' -d '{"query": "all"}' http://$ADDR/v1/cohorts:count
  curl -s http://$ADDR/openapi.json | head -c 300; echo

  # every request is in the tamper-evident audit log (stop the server first):
  $BIN audit verify --store $S
EOT
step "serving $S on $ADDR (Ctrl-C to stop)"
exec "$BIN" serve --store "$S" --addr "$ADDR"
