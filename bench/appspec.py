#!/usr/bin/env python3
"""Prints one benchmark app's definition as shell assignments (APP_*), for bench/lib.sh's load_app.

Where the app comes from, first match wins:
  1. a `tinyx build --out` directory: $BUILD_<name> or $OUT/build/<name> with bzImage, an initramfs
     and profile.json: its kernel, image and (absolute-path) profile are used as built;
  2. profiles/apps/<name>.json: its app and test fields; the image is made by `tinyx rootfs`
     (bench/stage-images.sh) and booted with $KERNEL;
  3. bench/apps.json: the same, from the bench's own definition.
"""
import glob, json, os, shlex, sys

bench = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(bench)
out = os.environ["OUT"]
name = sys.argv[1]
builtin = json.load(open(os.path.join(bench, "apps.json")))


def build_dir(app):
    d = os.environ.get("BUILD_" + app.replace("-", "_")) or os.path.join(out, "build", app)
    if os.path.isfile(os.path.join(d, "bzImage")) and glob.glob(os.path.join(d, "initramfs.cpio*")) \
            and os.path.isfile(os.path.join(d, "profile.json")):
        return os.path.abspath(d)
    return None


def relative_to(base, path):
    return path if os.path.isabs(path) else os.path.normpath(os.path.join(base, path))


bdir = build_dir(name)
profile_path = os.path.join(root, "profiles", "apps", name + ".json")
if bdir:
    source, spec, base = "build", json.load(open(os.path.join(bdir, "profile.json"))), bdir
elif os.path.isfile(profile_path):
    source, spec, base = "profile", json.load(open(profile_path)), os.path.dirname(profile_path)
elif name in builtin and not name.startswith("_"):
    source, spec, base = "builtin", builtin[name], bench
else:
    sys.exit(f"unknown app {name}: no build output, no profiles/apps/{name}.json, not in bench/apps.json")

app, test = spec.get("app", {}), spec.get("test", {})
go = os.environ.get("GO_HELLO", "")
subst = lambda s: s.replace("@GO_HELLO@", go) if isinstance(s, str) else s
what = subst(app["app"])
if "/" in what:
    what = relative_to(base, what)
includes = []
for inc in app.get("includes", []):
    host, sep, guest = subst(inc).partition(":")
    includes.append(relative_to(base, host) + sep + guest)
forward = test.get("forward", [])
if not forward or not test.get("host_test"):
    sys.exit(f"app {name}: the bench needs a host test and a forwarded port")
host_test = test["host_test"]
http_path = builtin.get(name, {}).get("http_path", "/" if "curl" in host_test else None)

# Kernel: the build's own; else $KERNEL; else the nginx build output's (the server pool's options).
if bdir:
    kernel, kernel_source = os.path.join(bdir, "bzImage"), "profile build (" + bdir + ")"
    initrd = sorted(glob.glob(os.path.join(bdir, "initramfs.cpio*")))[0]
    manifest = os.path.join(bdir, "manifest.json")
else:
    kernel = os.environ.get("KERNEL") or ""
    nginx = build_dir("nginx")
    if not kernel and nginx:
        kernel = os.path.join(nginx, "bzImage")
    kernel_source = "KERNEL=" + kernel
    image_dir = os.path.join(out, "images", name, "tinyx")
    suffix = {"none": "", "gzip": ".gz", "xz": ".xz", "zstd": ".zst"}[app.get("compression", "xz")]
    initrd = os.path.join(image_dir, "initramfs.cpio" + suffix)
    manifest = os.path.join(image_dir, "manifest.json")

values = {
    "APP_NAME": name, "APP_SOURCE": source, "APP_BUILD_DIR": bdir or "",
    "APP_PROFILE": profile_path if source == "profile" else (os.path.join(bdir, "profile.json") if bdir else ""),
    "APP_APP": what, "APP_RUN": subst(app.get("run", "")),
    "APP_BUSYBOX": "true" if app.get("busybox", True) else "false",
    "APP_COMPRESSION": app.get("compression", "xz"),
    "APP_PORT": str(forward[0]), "APP_HOST_TEST": host_test, "APP_APPEND": test.get("append", ""),
    "APP_HTTP_PATH": http_path or "",
    "APP_KERNEL": kernel, "APP_KERNEL_SOURCE": kernel_source, "APP_INITRD": initrd, "APP_MANIFEST": manifest,
    "APP_DIR": os.path.join(out, "images", name),
}
for k, v in values.items():
    print(f"{k}={shlex.quote(v)}")
print("APP_INCLUDES=(" + " ".join(shlex.quote(i) for i in includes) + ")")
print("APP_EXCLUDES=(" + " ".join(shlex.quote(subst(e)) for e in app.get("excludes", [])) + ")")
