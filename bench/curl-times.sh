#!/usr/bin/env bash
# Sequential HTTP requests with curl, one process each (as the survey measured), after WARMUP
# requests that are not counted. Writes one line per request: HTTP status and curl's time_total
# in seconds. Used by stage-latency.sh as the measuring command against a VM or a host process.
#   bench/curl-times.sh URL COUNT OUTFILE    (env WARMUP, default 10)
set -eu -o pipefail
url=$1 count=$2 out=$3
for _ in $(seq "${WARMUP:-10}"); do curl -s -o /dev/null --max-time 10 "$url" || true; done
: >"$out"
for _ in $(seq "$count"); do
    curl -s -o /dev/null --max-time 10 -w '%{http_code} %{time_total}\n' "$url" >>"$out" || echo "000 -1" >>"$out"
done
