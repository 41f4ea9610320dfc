#!/usr/bin/env bash
# Interpreted apps as the user has them: a script file is the app. Its own directory comes
# along (moved to /srv/<name> from under a mount of the guest's init), and its interpreter
# (the #! line, else --run's program) with the interpreter's package from the dpkg database:
# a Python script gets python3's standard library, a Node.js script the nodejs package, a
# shell script dash. Python's byte-code caches come with the sources, rewritten to be valid
# for the image's timestamps, so the app never compiles (nor writes) them at a start: checked
# with CPython's own validation. No app is special-cased: the rules read the database.
source "$(dirname "$0")/../common.sh"
require_program python3 node
APPS=$(mktemp -d /tmp/tinyx-interpreted-XXXXXX)
trap 'rm -rf "$APPS"' RETURN EXIT
mkdir -p "$APPS/pyapp" "$APPS/nodeapp" "$APPS/shapp"
printf '#!/usr/bin/env python3\nimport http.server\nhttp.server.test(HandlerClass=http.server.SimpleHTTPRequestHandler, port=80)\n' > "$APPS/pyapp/serve.py"
echo '<h1>tinyx</h1>' > "$APPS/pyapp/index.html"
chmod 755 "$APPS/pyapp/serve.py"
printf 'require("http").createServer((q, s) => s.end("tinyx")).listen(8080);\n' > "$APPS/nodeapp/server.js"
printf '#!/bin/sh\nexec busybox httpd -f -p 80 -h "$(dirname "$0")"\n' > "$APPS/shapp/run.sh"
chmod 755 "$APPS/shapp/run.sh"

# Python: the script, its directory, python3's standard library, caches valid for the image.
expect_status 0 "$TINYX" rootfs --app "$APPS/pyapp/serve.py" --compression none --out "$WORK/py"
expect_grep "interpreter /usr/bin/python3" "$WORK/err"
mkdir -p "$WORK/py-root"
(cd "$WORK/py-root" && cpio -id --quiet < "$WORK/py/initramfs.cpio") || fail "cannot unpack the image"
python3 - "$WORK/py/manifest.json" "$WORK/py-root" <<'PY' || fail "the Python script app"
import importlib.util, json, os, sys
from importlib._bootstrap_external import _validate_timestamp_pyc
m = json.load(open(sys.argv[1]))
root = sys.argv[2]
files = {f["path"]: f for f in m["files"]}
script = m["run"][0]
assert script.startswith("/srv/pyapp/") and script.endswith("serve.py"), m["run"]
assert "/srv/pyapp/index.html" in files, "the script's directory did not come along"
assert "/usr/lib/python3.11/http/server.py" in files, "no standard library"
tag = sys.implementation.cache_tag
cache = f"/usr/lib/python3.11/http/__pycache__/server.{tag}.pyc"
assert files[cache]["reason"] == "byte-code cache of /usr/lib/python3.11/http/server.py", files[cache]
caches = [p for p, f in files.items() if f["reason"].startswith("byte-code cache of ")]
assert len(caches) > 100, len(caches)
# CPython's own check, against the source as the image has it (mtime = SOURCE_DATE_EPOCH = 0).
for path in caches[:50] + [cache]:
    source = files[path]["reason"][len("byte-code cache of "):]
    data = open(root + path, "rb").read()
    st = os.stat(root + source)
    _validate_timestamp_pyc(data, 0, st.st_size, path, {})
print(f"{len(caches)} byte-code caches, valid for the image")
PY

# Node.js: no #! line, so --run names the interpreter; the script's host path becomes the guest's.
expect_status 2 "$TINYX" rootfs --app "$APPS/nodeapp/server.js" --compression none --out "$WORK/node-bad"
expect_first_line "tinyx: error:" "$WORK/err"
expect_grep "give --run with its interpreter" "$WORK/err"
expect_status 0 "$TINYX" rootfs --app "$APPS/nodeapp/server.js" --run "node $APPS/nodeapp/server.js" --compression none \
    --no-busybox --out "$WORK/node"
expect_grep "interpreter /usr/bin/node: package nodejs" "$WORK/err"
python3 - "$WORK/node/manifest.json" <<'PY' || fail "the Node.js script app"
import json, sys
m = json.load(open(sys.argv[1]))
files = {f["path"] for f in m["files"]}
assert m["run"] == ["/usr/bin/node", "/srv/nodeapp/server.js"], m["run"]
assert {"/usr/bin/node", "/srv/nodeapp/server.js"} <= files, "node or the script is missing"
PY

# A shell script: its #! interpreter's package (dash owns /bin/sh), the script runs by its guest path.
expect_status 0 "$TINYX" rootfs --app "$APPS/shapp/run.sh" --compression none --out "$WORK/sh"
python3 - "$WORK/sh/manifest.json" <<'PY' || fail "the shell script app"
import json, sys
m = json.load(open(sys.argv[1]))
files = {f["path"]: f for f in m["files"]}
assert m["run"] == ["/srv/shapp/run.sh"], m["run"]
assert "/usr/bin/dash" in files or "/bin/dash" in files, "no interpreter for #!/bin/sh"
PY
echo ok
