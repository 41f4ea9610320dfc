#!/usr/bin/env bash
# Stage "file-trace" (issue 25): file pruning guided by one traced boot against the untraced
# group search over the same candidates, measured in this run, for the Python and Node.js web
# apps of profiles/examples/; PostgreSQL 15 traced and verified in 256 MB. Each app is built
# from its gathered files with the start config's kernel (from the image store after the first),
# so the figures are the file pruning's alone. Writes $OUT/json/file-trace.json; with
# WRITE_PROFILES=1 the traced runs' profiles become profiles/apps/{python-http,node-http,postgresql}.json
# (host paths made relative to profiles/apps/).
#
#   bench/stage-file-trace.sh [APP...]      APP: python-http node-http postgresql (default all)
# Env: ACCEL, VERIFY (verifying boots of the traced images: 5, PostgreSQL 3), UNTRACED=0 skips
# the untraced runs (hours for Node.js's 2,930 candidates on slow machines), REPORT_ONLY=1 only
# collects the JSON from the runs already in $OUT/file-trace.
set -eu -o pipefail
. "$(dirname "$0")/lib.sh"
apps=${*:-python-http node-http postgresql}
EX=$ROOT/profiles/examples
accel=$(resolve_accel)

app_args() {
    case $1 in
        python-http) args=(--app python3 --run "python3 -m http.server 80 --directory /www" --include "$EX/python-http/www:/www"
                           --forward 80 --host-test 'curl -fsS http://$TINYX_HOST:$TINYX_PORT_80/ | grep -q tinyx') ;;
        node-http) args=(--app nodejs --run "node /srv/app/server.js" --include "$EX/node-http:/srv/app" --no-busybox
                         --forward 8080 --host-test 'curl -fsS http://$TINYX_HOST:$TINYX_PORT_8080/ | grep -q tinyx') ;;
        # The host's cluster (its data directory, named in postgresql.conf, comes along); its config names
        # the C.UTF-8 locale and the Etc/UTC zone, whose files are the libc's and tzdata's, not the app's.
        postgresql) args=(--app postgresql-15 --user postgres --no-busybox
                          --run "/usr/lib/postgresql/15/bin/postgres -c config_file=/etc/postgresql/15/main/postgresql.conf -c listen_addresses=* -c ssl=off -c hba_file=/etc/postgresql-hba/pg_hba.conf"
                          --include "$EX/postgresql/pg_hba.conf:/etc/postgresql-hba/pg_hba.conf"
                          --include /usr/lib/locale/C.utf8:/usr/lib/locale/C.utf8 --include /usr/share/zoneinfo/Etc/UTC:/usr/share/zoneinfo/Etc/UTC
                          # The port accepts before recovery ends ("the database system is starting up"): 30 tries.
                          --forward 5432 --host-test 'for i in $(seq 30); do psql -h $TINYX_HOST -p $TINYX_PORT_5432 -U postgres -c "select 1" && exit 0; sleep 1; done; exit 1') ;;
        *) die "unknown file-trace app $1" ;;
    esac
}

for app in $apps; do
    [ "${REPORT_ONLY:-0}" = 1 ] && break
    app_args "$app"
    dir=$OUT/file-trace/$app
    rm -rf "$dir"; mkdir -p "$dir"
    verify=${VERIFY:-5}; [ "$app" = postgresql ] && verify=${VERIFY:-3}
    log "$app: traced file pruning, $verify verifying boots"
    "$TINYX" build "${args[@]}" --memory 256 --accel "$accel" --prune --prune-what files --verify "$verify" \
        --out "$dir/traced" >"$dir/traced.out" 2>"$dir/traced.log" || die "$app: the traced build failed (see $dir/traced.log)"
    if [ "$app" != postgresql ] && [ "${UNTRACED:-1}" = 1 ]; then
        log "$app: untraced file pruning over the same candidates"
        "$TINYX" build "${args[@]}" --memory 256 --accel "$accel" --prune --prune-what files --file-search untraced \
            --verify 1 --out "$dir/untraced" >"$dir/untraced.out" 2>"$dir/untraced.log" || die "$app: the untraced build failed (see $dir/untraced.log)"
    fi
    if [ "${WRITE_PROFILES:-0}" = 1 ]; then
        "$PYTHON" - "$dir/traced/profile.json" "$ROOT/profiles/apps/$app.json" "$EX" "$app" <<'PY'
import json, sys
src, dst, examples, name = sys.argv[1:]
p = json.load(open(src))
p["name"] = name
p["app"]["includes"] = [i.replace(examples, "../examples") for i in p["app"].get("includes", [])]
json.dump(p, open(dst, "w"), indent=2)
open(dst, "a").write("\n")
PY
    fi
done

"$PYTHON" - "$OUT" $apps >"$OUT/json/file-trace.json" <<'PY'
import json, os, sys
out, apps = sys.argv[1], sys.argv[2:]
rows = []
for app in apps:
    def load(kind):
        path = f"{out}/file-trace/{app}/{kind}/report.json"
        return json.load(open(path)) if os.path.exists(path) else None
    traced, untraced = load("traced"), load("untraced")
    files = traced["file_pruning"]
    gathered = traced["image"]["content_bytes"] + files["removed_content_bytes"]
    row = {"app": app, "candidates": files["candidates"], "touched": files["trace"]["predicted_needed"],
           # search: the traced boot and the trials (file_pruning.seconds); pass: the whole prune_files pass,
           # which adds the final image's repack (compression), the same work with or without the trace.
           "traced": {"trials": files["trials"], "search_seconds": files["seconds"], "seconds": traced["seconds"]["prune_files"],
                      "held": files["trace"]["held"], "wrong": files["trace"]["wrong"]},
           "gathered_content_bytes": gathered, "content_bytes": traced["image"]["content_bytes"],
           "image_bytes_before": files["image_bytes_before"], "image_bytes": files["image_bytes_after"],
           "verify": {"passed": traced["verify"]["passed"], "boots": traced["verify"]["boots"]},
           "memory": traced["memory"]}
    if untraced:
        u = untraced["file_pruning"]
        row["untraced"] = {"trials": u["trials"], "search_seconds": u["seconds"], "seconds": untraced["seconds"]["prune_files"],
                           "image_bytes": u["image_bytes_after"], "removed": len(u["removed"])}
        row["traced_to_untraced_search"] = row["traced"]["search_seconds"] / row["untraced"]["search_seconds"]
        row["traced_to_untraced_seconds"] = row["traced"]["seconds"] / row["untraced"]["seconds"]
    rows.append(row)
json.dump({"apps": rows}, sys.stdout, indent=1)
PY
log "file-trace: $OUT/json/file-trace.json"
