#!/usr/bin/env bash
# Container images in (issue: apps as users ship them). Images are built here, offline
# from local files and Debian's packages, with umoci (no container runtime) and
# mmdebstrap; nothing of the apps is installed on this host for them:
#   (b) FROM scratch: one static server (BusyBox httpd) with a CGI page that reports the
#       uid, gid and environment it runs with: --user/--env and the image's User/Env reach it;
#       its profile rebuilds it and refuses the image once it changed (digest);
#   (a) Debian + nginx-light installed by apt, an Entrypoint;
#   (c) Debian + python3, an app directory in a second layer, WorkingDir and Env.
# Each is built by `tinyx build --image` (the start config's kernel, shared with the other
# tests) and passes a host-side curl test 3/3, with the image's size in report.json.
# Then: a layer that deletes (whiteout) and replaces (opaque directory) files unpacks to exactly
# what umoci shows, the other transports (oci-archive, docker-archive via skopeo) read the same
# image, and bad input (missing or corrupt blob, unknown transport, another architecture,
# nothing to run) is exit 2 with one error line and no --out.
source "$(dirname "$0")/../common.sh"
require_program umoci skopeo mmdebstrap curl python3 busybox
CACHE=${TINYX_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/tinyx}
"$TINYX_SOURCE_DIR/test/fixtures/test-kernel.sh" >/dev/null # the kernel every build below reuses
OCI=$WORK/oci
umoci init --layout "$OCI"

# layer_from DIR TAG: a new image TAG whose one layer is DIR's tree.
new_image() { umoci new --image "$OCI:$1"; }
add_layer() { # TAG DIR
    tar -C "$2" --numeric-owner -cf "$WORK/layer.tar" .
    umoci raw add-layer --image "$OCI:$1" "$WORK/layer.tar"
}
report_field() { python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }
# Nothing of a VM built from an image comes from this host's files, except tinyx's own BusyBox:
# every source is under the unpacked image (tinyx's cache) or generated.
only_from_image() { # MANIFEST
    python3 - "$1" "$CACHE/images/" "$(readlink -f "$(command -v busybox)")" <<'PY' || fail "$1: a file came from the host"
import json, sys
manifest, images, busybox = sys.argv[1:]
for f in json.load(open(manifest))["files"]:
    src = f["source"]
    assert src in ("", "generated", busybox) or src.startswith(images), f"{f['path']} from {src}"
PY
}

# ---- (b) FROM scratch: a static server and nothing else; --user and --env reach it.
root=$WORK/scratch
mkdir -p "$root/bin" "$root/www/cgi-bin" "$root/etc"
cp "$(command -v busybox)" "$root/bin/busybox"
echo "hello from a scratch image" > "$root/www/index.html"
printf '#!/bin/sh\necho "Content-Type: text/plain"\necho\necho "uid=$(id -u) gid=$(id -g) greeting=$GREETING image_only=$IMAGE_ONLY cwd=$(pwd)"\n' \
    > "$root/www/cgi-bin/whoami"
chmod 755 "$root/www/cgi-bin/whoami"
printf 'root:x:0:0:root:/root:/bin/sh\nweb:x:1000:1000:web:/home/web:/bin/sh\nother:x:1001:1001::/:/bin/sh\n' > "$root/etc/passwd"
printf 'root:x:0:\nweb:x:1000:\nother:x:1001:\n' > "$root/etc/group"
new_image scratch
add_layer scratch "$root"
umoci config --image "$OCI:scratch" --config.entrypoint /bin/busybox --config.cmd httpd --config.cmd=-f --config.cmd=-p \
    --config.cmd 8080 --config.cmd=-h --config.cmd /www --config.exposedports 8080/tcp --config.env GREETING=image \
    --config.env IMAGE_ONLY=yes --config.user web --config.workingdir /www
host_test='curl -fsS --max-time 10 http://$TINYX_HOST:$TINYX_PORT_8080/ | grep -q "scratch image" &&
           curl -fsS --max-time 10 http://$TINYX_HOST:$TINYX_PORT_8080/cgi-bin/whoami | tee /dev/stderr |
           grep -q "uid=1001 gid=1001 greeting=from-flag image_only=yes cwd=/www/cgi-bin"'
expect_status 0 "$TINYX" build --compression xz --kernel-compression xz --image "oci:$OCI:scratch" --user other --env GREETING=from-flag --host-test "$host_test" \
    --accel tcg --out "$WORK/vm-scratch"
expect_grep '"passed": 3' "$WORK/vm-scratch/report.json"
expect_grep "forwarding the image's exposed ports: 8080" "$WORK/err"
[ "$(report_field "$WORK/vm-scratch/report.json" "r['container_image']['bytes'] > 1000000")" = True ] ||
    fail "report.json lacks the container image's size"
report_field "$WORK/vm-scratch/report.json" "r['container_image']['vm_bytes']" >/dev/null
expect_grep '"image_digest": "sha256:' "$WORK/vm-scratch/profile.json"
# `tinyx boot --env` sets a variable for one boot, over the image's own.
expect_status 0 "$TINYX" boot --kernel "$WORK/vm-scratch/bzImage" --initrd "$WORK/vm-scratch/initramfs.cpio.xz" --accel tcg \
    --forward 8080 --env GREETING=at-boot --timeout 120 \
    --host-test 'curl -fsS --max-time 10 http://$TINYX_HOST:$TINYX_PORT_8080/cgi-bin/whoami | grep -q "greeting=at-boot image_only=yes"'
# The image's User (web, 1000) when no --user is given; the profile's rebuild checks the digest.
host_test_default=${host_test/uid=1001 gid=1001 greeting=from-flag/uid=1000 gid=1000 greeting=image}
expect_status 0 "$TINYX" build --compression xz --kernel-compression xz --image "oci:$OCI:scratch" --host-test "$host_test_default" --verify 1 --accel tcg --out "$WORK/vm-default"
expect_grep '"passed": 1' "$WORK/vm-default/report.json"
# The profile rebuilds from the image it names and checks its digest: a changed image is refused.
expect_status 0 "$TINYX" build --profile "$WORK/vm-scratch/profile.json" --verify 1 --accel tcg --out "$WORK/vm-again"
expect_grep '"passed": 1' "$WORK/vm-again/report.json"
umoci config --image "$OCI:scratch" --config.env CHANGED=1
rm -rf "$WORK/vm-changed"
expect_status 2 "$TINYX" build --profile "$WORK/vm-scratch/profile.json" --verify 1 --accel tcg --out "$WORK/vm-changed"
# (after the warning that this profile, not shipped with tinyx, runs a host test)
expect_grep "^tinyx: error: --image .* but the profile was built from" "$WORK/err"
[ ! -e "$WORK/vm-changed" ] || fail "a refused image wrote --out"

# ---- (a) Debian with nginx-light installed by apt, and an Entrypoint; (c) python3 + an app directory.
mmdebstrap --quiet --variant=essential --include=nginx-light --dpkgopt='path-exclude=/usr/share/doc/*' \
    bookworm "$WORK/nginx-root.tar" 2>"$WORK/mmdebstrap.log" || { tail "$WORK/mmdebstrap.log" >&2; fail "mmdebstrap (nginx)"; }
new_image nginx
umoci raw add-layer --image "$OCI:nginx" "$WORK/nginx-root.tar"
umoci config --image "$OCI:nginx" --config.entrypoint nginx --config.cmd=-g --config.cmd 'daemon off;' --config.exposedports 80/tcp
expect_status 0 "$TINYX" build --compression xz --kernel-compression xz --image "oci:$OCI:nginx" --no-busybox \
    --host-test 'curl -fsS --max-time 10 http://$TINYX_HOST:$TINYX_PORT_80/ | grep -q nginx' --accel tcg --out "$WORK/vm-nginx"
expect_grep '"passed": 3' "$WORK/vm-nginx/report.json"
only_from_image "$WORK/vm-nginx/manifest.json" # nginx-light is installed here too: it must not be read
python3 - "$WORK/vm-nginx/manifest.json" <<'EOF' || fail "the nginx VM holds more than the app"
import json, sys
paths = {f["path"] for f in json.load(open(sys.argv[1]))["files"]}
assert "/usr/sbin/nginx" in paths and "/usr/lib/nginx/modules/ngx_http_echo_module.so" in paths, "nginx or its module missing"
for base in ("/usr/bin/apt", "/usr/bin/dpkg", "/bin/bash", "/usr/bin/bash", "/usr/bin/perl"):
    assert base not in paths, f"{base}: the image's distribution came along"
EOF

mmdebstrap --quiet --variant=essential --include=python3 --dpkgopt='path-exclude=/usr/share/doc/*' \
    bookworm "$WORK/python-root.tar" 2>"$WORK/mmdebstrap.log" || { tail "$WORK/mmdebstrap.log" >&2; fail "mmdebstrap (python3)"; }
mkdir -p "$WORK/pyapp/srv/site"
echo "<h1>served by python</h1>" > "$WORK/pyapp/srv/site/index.html"
new_image python
umoci raw add-layer --image "$OCI:python" "$WORK/python-root.tar"
add_layer python "$WORK/pyapp"
umoci config --image "$OCI:python" --config.entrypoint python3 --config.cmd=-m --config.cmd http.server --config.cmd 8000 \
    --config.workingdir /srv/site --config.env PYTHONDONTWRITEBYTECODE=1 --config.exposedports 8000/tcp
expect_status 0 "$TINYX" build --compression xz --kernel-compression xz --image "oci:$OCI:python" \
    --host-test 'curl -fsS --max-time 10 http://$TINYX_HOST:$TINYX_PORT_8000/ | grep -q "served by python"' --accel tcg --out "$WORK/vm-python"
expect_grep '"passed": 3' "$WORK/vm-python/report.json"
[ "$(report_field "$WORK/vm-python/report.json" "r['container_image']['layers']")" = 2 ] || fail "the python image has 2 layers"
only_from_image "$WORK/vm-python/manifest.json"
only_from_image "$WORK/vm-scratch/manifest.json"

# ---- Whiteouts and opaque directories: what umoci (a container runtime's unpacker) shows, exactly.
mkdir -p "$WORK/l1/dir/sub" "$WORK/l1/kept"
echo one > "$WORK/l1/keep.txt"; echo gone > "$WORK/l1/gone.txt"; echo old > "$WORK/l1/dir/old.txt"
echo deep > "$WORK/l1/dir/sub/deep.txt"; echo k > "$WORK/l1/kept/a"; ln -s keep.txt "$WORK/l1/link"
ln "$WORK/l1/keep.txt" "$WORK/l1/hard"
new_image layers
add_layer layers "$WORK/l1"
python3 - "$WORK/l2.tar" <<'EOF'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w") as tar:
    def add(name, data=None, kind=tarfile.REGTYPE):
        info = tarfile.TarInfo(name); info.type = kind; info.mode = 0o755 if kind == tarfile.DIRTYPE else 0o644
        if data is not None: info.size = len(data)
        tar.addfile(info, io.BytesIO(data) if data is not None else None)
    add(".wh.gone.txt", b"")                 # a deleted file
    add("dir", kind=tarfile.DIRTYPE)
    add("dir/.wh..wh..opq", b"")             # dir's lower contents hidden...
    add("dir/new.txt", b"new\n")             # ...and replaced
    add("keep.txt", b"two\n")                # a replaced file
    add("kept/b", b"b\n")                    # a merged directory
EOF
umoci raw add-layer --image "$OCI:layers" "$WORK/l2.tar"
umoci config --image "$OCI:layers" --config.cmd /keep.txt
expect_status 0 "$TINYX" rootfs --image "oci:$OCI:layers" --no-busybox --out "$WORK/layers-out"
digest=$(report_field "$WORK/layers-out/manifest.json" "r['container_image']['digest'].split(':')[1]")
ours=$CACHE/images/$digest/rootfs
[ -d "$ours" ] || fail "no unpacked root at $ours"
umoci unpack --rootless --image "$OCI:layers" "$WORK/bundle" >/dev/null
listing() { (cd "$1" && find . -mindepth 1 -printf '%p %y %l\n' | sort && find . -type f -exec sha256sum {} + | sort -k2); }
listing "$ours" > "$WORK/ours.txt"
listing "$WORK/bundle/rootfs" > "$WORK/umoci.txt"
diff "$WORK/umoci.txt" "$WORK/ours.txt" >&2 || fail "the unpacked image differs from umoci's"
expect_grep './dir/new.txt f' "$WORK/ours.txt"
! grep -q -e './gone.txt' -e './dir/old.txt' -e './dir/sub' "$WORK/ours.txt" || fail "a whiteout was not applied"

# ---- The same image through the archive transports.
skopeo --insecure-policy copy -q "oci:$OCI:scratch" "oci-archive:$WORK/scratch.oci.tar:scratch"
skopeo --insecure-policy copy -q "oci:$OCI:scratch" "docker-archive:$WORK/scratch.docker.tar:tinyx/scratch:1"
expect_status 0 "$TINYX" rootfs --image "oci-archive:$WORK/scratch.oci.tar:scratch" --out "$WORK/from-oci-archive"
expect_status 0 "$TINYX" rootfs --image "docker-archive:$WORK/scratch.docker.tar" --out "$WORK/from-docker-archive"
for out in from-oci-archive from-docker-archive; do
    expect_grep '"/www/cgi-bin/whoami"' "$WORK/$out/manifest.json"
    expect_grep '"workdir": "/www"' "$WORK/$out/manifest.json"
done

# ---- Bad input: exit 2, one error line first, nothing written to --out.
bad() { # WHAT-TO-FIND ARGS...
    local want=$1; shift
    rm -rf "$WORK/bad"
    expect_status 2 "$TINYX" "$@" --out "$WORK/bad"
    expect_first_line "tinyx: error:" "$WORK/err"
    expect_grep "$want" "$WORK/err"
    [ ! -e "$WORK/bad" ] || fail "bad input ($*) wrote $WORK/bad"
}
cp -a "$OCI" "$WORK/broken"
layer=$(python3 -c "import json,sys; m=json.load(open(sys.argv[1])); print(m['layers'][0]['digest'].split(':')[1])" \
    "$WORK/broken/blobs/sha256/$(python3 -c "import json; i=json.load(open('$WORK/broken/index.json')); print([m['digest'] for m in i['manifests'] if m['annotations']['org.opencontainers.image.ref.name']=='scratch'][0].split(':')[1])")")
printf 'X' | dd of="$WORK/broken/blobs/sha256/$layer" bs=1 seek=100 conv=notrunc status=none
bad "is corrupt" build --image "oci:$WORK/broken:scratch" --host-test true
rm "$WORK/broken/blobs/sha256/$layer"
bad "is missing" rootfs --image "oci:$WORK/broken:scratch"
bad "unknown transport" rootfs --image "docker://debian:12"
bad "no image tagged 'nope'" rootfs --image "oci:$OCI:nope"
umoci config --image "$OCI:scratch" --tag arm --architecture arm64
bad "built for architecture 'arm64'" build --image "oci:$OCI:arm" --host-test true
umoci config --image "$OCI:layers" --tag norun --clear=config.cmd
bad "neither Entrypoint nor Cmd" rootfs --image "oci:$OCI:norun"
bad "no user 'nobody-here'" rootfs --image "oci:$OCI:scratch" --user nobody-here
bad "--env 'NOEQUALS'" rootfs --image "oci:$OCI:scratch" --env NOEQUALS
echo ok
