#!/usr/bin/env bash
# Stage "containers": the survey's container row. For the Go server and nginx, a container image
# built here offline (no container runtime): go-hello FROM scratch (the Go server built static,
# CGO_ENABLED=0: what a scratch image needs), nginx as Debian + nginx-light installed by apt
# (mmdebstrap, essential variant, one layer, docs left out). Each image is stored as an OCI
# layout (gzip layers, umoci) and as a docker-archive (skopeo), and the tinyx VM is built FROM THAT
# SAME IMAGE with `tinyx build --image` (the shipped nginx profile's kernel options, no pruning;
# VERIFY boots with the app's host test). Sizes in bytes, ratios VM ÷ image from this run.
#
#   bench/stage-containers.sh
# Env: VERIFY (default 3), ACCEL, OUT. Writes $OUT/json/containers.json and $OUT/containers.md.
set -eu -o pipefail
. "$(dirname "$0")/lib.sh"
VERIFY=${VERIFY:-3}
for p in umoci skopeo mmdebstrap go; do command -v "$p" >/dev/null || die "no $p: run scripts/setup and bench/setup-deps.sh"; done
dir=$OUT/containers
rm -rf "$dir"; mkdir -p "$dir"
oci=$dir/oci
umoci init --layout "$oci"

log "containers: go-hello FROM scratch (static Go server)"
mkdir -p "$dir/go-root/usr/local/bin"
(cd "$BENCH/go-hello" && CGO_ENABLED=0 go build -o "$dir/go-root/usr/local/bin/go-hello" .)
umoci new --image "$oci:go-hello"
tar -C "$dir/go-root" --numeric-owner -cf "$dir/go-layer.tar" .
umoci raw add-layer --image "$oci:go-hello" "$dir/go-layer.tar"
umoci config --image "$oci:go-hello" --config.entrypoint /usr/local/bin/go-hello --config.exposedports 8080/tcp

log "containers: nginx on Debian (mmdebstrap, $SUITE)"
mmdebstrap --quiet --variant=essential --include=nginx-light --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-exclude=/usr/share/man/*' "$SUITE" "$dir/nginx-root.tar" "$MIRROR" 2>"$OUT/logs/containers-mmdebstrap.log" ||
    die "mmdebstrap failed, see $OUT/logs/containers-mmdebstrap.log"
umoci new --image "$oci:nginx"
umoci raw add-layer --image "$oci:nginx" "$dir/nginx-root.tar"
umoci config --image "$oci:nginx" --config.entrypoint nginx --config.cmd=-g --config.cmd 'daemon off;' --config.exposedports 80/tcp

declare -A host_test=([go-hello]='curl -fsS http://$TINYX_HOST:$TINYX_PORT_8080/ | grep -q hello'
                      [nginx]='curl -fsS http://$TINYX_HOST:$TINYX_PORT_80/ | grep -q nginx')
rows=()
for app in go-hello nginx; do
    skopeo --insecure-policy copy -q "oci:$oci:$app" "docker-archive:$dir/$app.docker.tar:bench/$app:1"
    log "containers: tinyx build --image oci:$app ($VERIFY verifying boots)"
    "$TINYX" build --image "oci:$oci:$app" --profile "$ROOT/profiles/apps/nginx.json" --no-busybox \
        --host-test "${host_test[$app]}" --accel "$ACCEL" --verify "$VERIFY" --out "$dir/vm-$app" \
        >"$OUT/logs/containers-$app.log" 2>&1 || die "$app: the build failed, see $OUT/logs/containers-$app.log"
    rows+=("$app")
done

python3 - "$dir" "$COMMIT" "${rows[@]}" >"$OUT/json/containers.json" <<'PY'
import json, os, sys
d, commit, apps = sys.argv[1], sys.argv[2], sys.argv[3:]
rows = []
for app in apps:
    r = json.load(open(f"{d}/vm-{app}/report.json"))
    c = r["container_image"]
    vm = r["kernel"]["bytes"] + r["image"]["initramfs_bytes"]
    docker = os.path.getsize(f"{d}/{app}.docker.tar")
    rows.append({"app": app, "oci_layout_bytes": c["bytes"], "docker_archive_bytes": docker, "layers": c["layers"],
                 "vm_kernel_bytes": r["kernel"]["bytes"], "vm_initramfs_bytes": r["image"]["initramfs_bytes"], "vm_bytes": vm,
                 "vm_to_oci": vm / c["bytes"], "vm_to_docker_archive": vm / docker,
                 "verify": f'{r["verify"]["passed"]}/{r["verify"]["boots"]}', "accel": r["verify"]["accel"]})
json.dump({"commit": commit, "rows": rows}, sys.stdout, indent=2)
PY
python3 - "$OUT/json/containers.json" >"$OUT/containers.md" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
mb = lambda b: f"{b / 1e6:.2f} MB"
print(f"| app | container image (OCI layout, gzip) | docker-archive | tinyx VM from it (kernel + initramfs) | VM ÷ OCI | VM ÷ docker-archive | boots |")
print("|---|---|---|---|---|---|---|")
for r in j["rows"]:
    print(f'| {r["app"]} | {mb(r["oci_layout_bytes"])} | {mb(r["docker_archive_bytes"])} | {mb(r["vm_bytes"])} '
          f'({mb(r["vm_kernel_bytes"])} + {mb(r["vm_initramfs_bytes"])}) | {r["vm_to_oci"]:.2f} | {r["vm_to_docker_archive"]:.3f} | {r["verify"]} ({r["accel"]}) |')
print(f"\ncommit {j['commit']}")
PY
cat "$OUT/containers.md" >&2
