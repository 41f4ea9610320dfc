#!/usr/bin/env python3
"""The report stage: merges a run's $OUT/json/*.json into $OUT/results.json and $OUT/results.md and
draws $OUT/sizes.png, $OUT/oracle-trials.png (and latency.png, boot.png when those stages ran).
Stages that did not run are left out.   report.py OUT"""
import json, math, os, sys

out = sys.argv[1]
J = os.path.join(out, "json")


def load(name):
    path = os.path.join(J, name + ".json")
    return json.load(open(path)) if os.path.exists(path) else None


# The survey's own figures (quoted, not measured here): its Tables 2 and 3.
SURVEY = {
    "sizes_mb": {"Go / rump unikernel": 39, "Go / Docker image": 788, "Go / Debian 9 VM": 1600,
                 "Java / OSv": 90, "Java / Docker image": 880, "Java / VM": 1900},
    "median_response_ms": {"Go / rump": 2.385, "Java / OSv": 0.771, "Go / Docker": 0.341, "Go / Debian VM": 0.705},
}

data = {k: load(k) for k in ("machine", "build", "sizes", "latency", "boot", "platforms", "oracle", "pruning", "file-trace")}
provenance = load("provenance") or {}
data["survey_reference"] = SURVEY
json.dump({k: v for k, v in data.items() if v is not None}, open(os.path.join(out, "results.json"), "w"), indent=1)

MB = 1e6
mb = lambda b: f"{b / MB:,.2f} MB" if b < 100 * MB else f"{b / MB:,.0f} MB"
x = lambda r: "–" if r is None else (f"{r:.4f} (1/{1 / r:.0f})" if r < 0.1 else f"{r:.2f}")
md = ["# tinyx benchmark results", ""]
m = data["machine"]
if m:
    md += [f"Run {m['date']} on: {m['cpu']}, {m['cores']} cores, {m['memory_mb'] / 1024:.0f} GiB RAM, {m['os']}, "
           f"host kernel {m['host_kernel']}, {' '.join(m['qemu'])}, KVM {'available' if m['kvm_device'] else 'not available'}; "
           f"report written by {m['tinyx']} at commit {m['commit']}; load average at the start {m['load_average'][0]:.1f}. "
           "Each section says the commit its figures were measured at; figures from another commit are marked stale.", ""]
current = m["commit"] if m else None


def provenance_line(stage):
    """Where a section's figures come from: this commit, or (stale) another one or none recorded."""
    p = provenance.get(stage)
    if p is None:
        return [f"**Stale:** measured at an unknown commit (no provenance recorded for stage `{stage}`); "
                f"rerun the stage at {current} to trust these figures.", ""]
    if p["commit"] != current:
        return [f"**Stale:** measured at commit {p['commit']} ({p['date']}), not at {current}.", ""]
    return [f"Measured at commit {p['commit']} ({p['date']}).", ""]
md += ["Ratios are against the baseline measured in the same run (the Debian VM; sequential pruning).", ""]

s = data["sizes"]
if s:
    md += ["## Image size (the survey's Table 2)", ""] + provenance_line("sizes") + [
           "| app | tinyx kernel + initramfs | tinyx kernel + qcow2 | Debian VM qcow2 (files) | floor: ELF closure (xz) "
           "| tinyx ÷ Debian VM | tinyx ÷ floor xz | kernel used |", "|---|---|---|---|---|---|---|---|"]
    for a in s["apps"]:
        t, d, f, r = a["tinyx"], a["debian"], a["floor"], a["ratio_vs_debian_qcow2"]
        md.append(f"| {a['app']} | {mb(t['total_bytes'])} ({mb(t['kernel_bytes'])} + {mb(t['initramfs_bytes'])}) "
                  f"| {mb(t['qcow2_plus_kernel_bytes'])} | {mb(d['qcow2_bytes'])} ({mb(d['files_bytes'])}) "
                  f"| {mb(f['bytes'])} ({mb(f['xz_bytes'])}) | {x(r['tinyx_kernel_initramfs'])} "
                  f"| {x(a['tinyx_vs_floor_xz'])} | {t['kernel_source']} |")
    d0 = s["apps"][0]["debian"]
    md += ["", f"Debian VM: debootstrap minbase {d0.get('kernel_version', '')} stock kernel "
               f"({mb(d0['kernel_bytes'])} + initrd {mb(d0['initrd_bytes'])} + modules {mb(d0['modules_bytes'])}), "
               f"systemd, {d0['packages']} packages with the app. Survey (quoted): "
           + ", ".join(f"{k} {v:,} MB" for k, v in SURVEY["sizes_mb"].items()) + ".", ""]

lat = data["latency"]
if lat and lat["apps"]:
    md += [f"## Response time (the survey's Table 3): {lat['requests']:,} sequential curl requests "
           f"({lat.get('accel', '?')}, {lat['memory_mb']} MB)", ""] + provenance_line("latency") + [
           "| app | where | mean | min | max | median | p99 | failed | median ÷ Debian VM | p99 ÷ Debian VM |",
           "|---|---|---|---|---|---|---|---|---|---|"]
    for app, e in lat["apps"].items():
        for t, label in (("tinyx", "tinyx VM"), ("tinyx-boot", "tinyx VM, `tinyx boot --host-test`"), ("debian", "Debian VM"),
                         ("host", "host process")):
            v = e.get(t)
            if not v or "mean_ms" not in v:
                continue
            d = e.get("debian") or {}
            r = e["ratio_vs_debian"].get(t) if t != "debian" else {"median_ms": 1.0, "p99_ms": 1.0}
            if r is None and "median_ms" in d:
                r = {k: v[k] / d[k] for k in ("median_ms", "p99_ms")}
            md.append(f"| {app} | {label} | {v['mean_ms']:.3f} | {v['min_ms']:.3f} | {v['max_ms']:.3f} "
                      f"| {v['median_ms']:.3f} | {v['p99_ms']:.3f} | {v['failed']} | {x(r and r['median_ms'])} "
                      f"| {x(r and r['p99_ms'])} |")
    agree = {app: e["tinyx_vs_tinyx_boot"]["median_ms"] for app, e in lat["apps"].items() if e.get("tinyx_vs_tinyx_boot")}
    if agree:
        md += ["", "The bench's tinyx row ÷ `tinyx boot --host-test` over the same image, medians: "
               + ", ".join(f"{app} {v:.3f}" for app, v in agree.items()) + "."]
    md += ["", "Times in ms (curl's time_total). Survey medians (quoted): "
           + ", ".join(f"{k} {v} ms" for k, v in SURVEY["median_response_ms"].items()) + ".", ""]

b = data["boot"]
if b and b["apps"]:
    md += [f"## Boot: QEMU start → app answering ({b.get('accel', '?')}, {b['memory_mb']} MB, median of {b['boots']})", ""] + provenance_line("boot") + [
           "| app | tinyx kernel | stock kernel, same initramfs | Debian VM | tinyx ÷ stock | tinyx ÷ Debian VM "
           "| min memory tinyx / stock | ratio |", "|---|---|---|---|---|---|---|---|"]
    for app, e in b["apps"].items():
        r = e["ratio"]
        md.append(f"| {app} | {e['tinyx']['ready_median_s']:.2f} s | {e['stock']['ready_median_s']:.2f} s "
                  f"| {e['debian']['ready_median_s']:.2f} s | {x(r['tinyx_vs_stock_kernel'])} | {x(r['tinyx_vs_debian_vm'])} "
                  f"| {e['tinyx']['min_memory_mb']} / {e['stock']['min_memory_mb']} MB | {x(r['min_memory_tinyx_vs_stock'])} |")
    md += ["", f"Stock kernel: {b['stock_kernel']}. The Debian VM boots its own stock kernel, initrd and qcow2 "
           "with systemd; the two kernels boot the same initramfs (see docs/benchmarks.md).", ""]
    phases = [("before_kernel", "firmware, loader, kernel decompression"), ("kernel_init", "kernel init"),
              ("initramfs_unpack", "initramfs unpack"), ("init", "init (with /bench-init's module loads)"),
              ("app_start", "app start")]
    if any("phases_s" in e.get("tinyx", {}) for e in b["apps"].values()):
        md += ["Where the time goes to the app started (`tinyx boot` phases, docs/harness.md; medians, s):", "",
               "| app | kernel | " + " | ".join(name for _, name in phases) + " | to app started |",
               "|---|---|" + "---|" * (len(phases) + 1)]
        for app, e in b["apps"].items():
            for t in ("tinyx", "stock"):
                p = e[t].get("phases_s")
                if not p:
                    continue
                cells = " | ".join("–" if p.get(k) is None else f"{p[k]:.3f}" for k, _ in phases)
                md.append(f"| {app} | {t} | {cells} | {e[t].get('harness_app_started_median_s') or 0:.3f} |")
        md.append("")

pl = data["platforms"]
if pl and pl["apps"]:
    md += [f"## Platforms: qemu-pc vs qemu-microvm ({pl.get('accel', '?')}, {pl['memory_mb']} MB, median of {pl['boots']})", ""]
    md += provenance_line("platforms") + [
           "Each app's two builds (profiles/apps/NAME.json, profiles/apps/qemu-microvm/NAME.json) boot the same "
           "initramfs (the qemu-pc build's). Boot to serving: QEMU start → the app's port accepting, and → its "
           "host test passing.", "",
           "| app | kernel pc | kernel microvm | microvm ÷ pc | port accepting pc / microvm | ÷ | host test passed pc / microvm | ÷ |",
           "|---|---|---|---|---|---|---|---|"]
    for app, e in pl["apps"].items():
        pc, mv, r = e["qemu-pc"], e["qemu-microvm"], e["ratio_microvm_vs_pc"]
        md.append(f"| {app} | {pc['kernel_bytes']:,} B | {mv['kernel_bytes']:,} B | {x(r['kernel_bytes'])} "
                  f"| {pc['app_started_median_s']:.2f} / {mv['app_started_median_s']:.2f} s | {x(r['app_started_median_s'])} "
                  f"| {pc['serving_median_s']:.2f} / {mv['serving_median_s']:.2f} s | {x(r['serving_median_s'])} |")
    md.append("")

o = data["oracle"]
if o and o["rows"]:
    md += [f"## Pruning cost, check-config oracle ({o['kernel']}, no kernel builds)", ""] + provenance_line("oracle") + [
           "| k hidden | N candidates | kept | sequential runs (s) | group runs (s) | group ÷ sequential "
           "| ⌈log2 C(N,k)⌉ | group memo hits / inferred | 1-minimal |", "|---|---|---|---|---|---|---|---|---|"]
    for r in o["rows"]:
        sq, gr = r["strategies"]["sequential"], r["strategies"]["group"]
        md.append(f"| {r['k']} | {r['N']:,} | {r['kept']} | {sq['trials']} ({sq['seconds']:.0f}) "
                  f"| {gr['trials']} ({gr['seconds']:.0f}) | {x(r['ratio_group_vs_sequential'])} | {r['bound_k']} "
                  f"| {gr['cache_hits']} / {gr['inferred']} | {'yes' if r['one_minimal'] else 'NO'} |")
    md += ["", "One at a time = `sequential` (ktest's make_min_config order); N is one trial per candidate. "
           "Kept > k: the hidden options' dependencies must stay too.", ""]

p = data["pruning"]
for name, pool in (p or {}).get("pools", {}).items():
    md += [f"## Pruning cost, real kernel builds: {name} pool (bench/prune-real.sh)", "",
           f"BusyBox httpd, host curl test, candidates {pool['pool']}.", ""]
    # Strategies run at another commit than this report's (finished in earlier runs) say so row by row.
    stale = {s: v.get("commit", "unknown") for s, v in pool.get("strategies", {}).items() if v.get("commit", "unknown") != current}
    if stale:
        md += ["**Stale rows** (run at another commit than " + str(current) + "): "
               + ", ".join(f"{s} at {c}" for s, c in stale.items()) + ".", ""]
    unfinished = [f"{strategy}: interrupted after {u['trials']} trials ({u['builds']} builds) for "
                  f"{u['candidates']} candidates, {(u['wall_seconds'] or 0) / 60:.0f} min; trial costs "
                  f"{', '.join(map(str, u['trial_seconds']))} s (continue with RESUME=1)."
                  for strategy, u in pool.get("unfinished", {}).items()]
    if pool.get("skipped"):
        md += [f"Not run: {pool['reason']}."] + unfinished + [""]
        continue
    md += ["| strategy | trials | kernel builds | memo hits | inferred | kept / removed | wall | mean trial | "
           "trial ÷ scratch build | trials ÷ sequential | wall ÷ sequential | builds ÷ group | verify | kernel |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for strategy, v in pool["strategies"].items():
        r = pool.get("ratio_vs_sequential", {}).get(strategy, {})
        ver = v.get("verify") or {}
        md.append(f"| {strategy} | {v['trials']} | {v['builds']} | {v['cache_hits']} | {v['inferred']} "
                  f"| {v['kept']} / {v['removed']} | {v['wall_seconds'] / 60:.0f} min | {v['mean_trial_seconds']:.0f} s "
                  f"| {x(v.get('mean_trial_vs_scratch'))} | {x(r.get('trials'))} | {x(r.get('wall_seconds'))} "
                  f"| {x(v.get('builds_vs_group'))} | {ver.get('passed', '?')}/{ver.get('boots', '?')} "
                  f"| {v['kernel_bytes']:,} B |")
    if unfinished:
        md += [""] + unfinished
    kept = {tuple(sorted(v["required"])) for v in pool["strategies"].values()}
    md += ["", "Kept: " + ("; ".join(", ".join(k) or "(none)" for k in sorted(kept))) +
           (" (every strategy the same)" if len(kept) == 1 else " (strategies differ)") + "."]
    if "scratch_build_seconds" in pool:
        md += ["", f"From-scratch build of the start config (no ccache, fresh build dir): {pool['scratch_build_seconds']:.0f} s."]
    md.append("")

bl = data["build"]
if bl and bl["apps"]:
    md += ["## Profile builds (stage build)", ""] + provenance_line("build") + ["| app | kernel | initramfs | wall | verify |", "|---|---|---|---|---|"]
    for app, v in bl["apps"].items():
        wall = f"{v['wall_seconds']:.0f} s" if v["wall_seconds"] else "(kept)"
        ver = v.get("verify") or {}
        md.append(f"| {app} | {mb(v['kernel_bytes'])} | {mb(v['initramfs_bytes'])} | {wall} "
                  f"| {ver.get('passed', '?')}/{ver.get('boots', '?')} |")
    md.append("")

ft = data["file-trace"]
if ft and ft["apps"]:
    md += ["## File pruning with one traced boot (stage file-trace)", ""] + provenance_line("file-trace") + [
        "Image vs everything gathered; the traced search vs the untraced group search over the same candidates, "
        "both in this run.", "",
        "| app | gathered (files) | image before | image after (files) | candidates (touched) | traced: trials, search, pass "
        "| untraced: trials, search, pass | traced / untraced: search, pass | verify | memory |",
        "|---|---|---|---|---|---|---|---|---|---|"]
    for r in ft["apps"]:
        u, t = r.get("untraced"), r["traced"]
        untraced = f"{u['trials']}, {u['search_seconds']:.0f} s, {u['seconds']:.0f} s" if u else "–"
        md.append(f"| {r['app']} | {mb(r['gathered_content_bytes'])} | {mb(r['image_bytes_before'])} "
                  f"| {mb(r['image_bytes'])} ({mb(r['content_bytes'])}, {r['content_bytes'] / r['gathered_content_bytes']:.1%}) "
                  f"| {r['candidates']:,} ({r['touched']}) | {t['trials']}, {t['search_seconds']:.0f} s, {t['seconds']:.0f} s "
                  f"| {untraced} | {x(r.get('traced_to_untraced_search'))}, {x(r.get('traced_to_untraced_seconds'))} "
                  f"| {r['verify']['passed']}/{r['verify']['boots']} | {r['memory']['verified_mb']} MB |")
    md.append("")

open(os.path.join(out, "results.md"), "w").write("\n".join(md))

# ---- plots ----
try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    print("report.py: no matplotlib (bench/setup-deps.sh installs python3-matplotlib): no plots", file=sys.stderr)
    sys.exit(0)

if s:
    apps = [a["app"] for a in s["apps"]]
    series = [("tinyx kernel + initramfs", lambda a: a["tinyx"]["total_bytes"]),
              ("tinyx kernel + qcow2", lambda a: a["tinyx"]["qcow2_plus_kernel_bytes"]),
              ("Debian VM qcow2", lambda a: a["debian"]["qcow2_bytes"]),
              ("floor: ELF closure", lambda a: a["floor"]["bytes"]),
              ("floor, xz", lambda a: a["floor"]["xz_bytes"])]
    fig, ax = plt.subplots(figsize=(8, 4.5))
    w = 0.8 / len(series)
    for i, (label, f) in enumerate(series):
        vals = [f(a) / MB for a in s["apps"]]
        bars = ax.bar([j + i * w for j in range(len(apps))], vals, w, label=label)
        for bar, v in zip(bars, vals):
            ax.text(bar.get_x() + bar.get_width() / 2, v * 1.08, f"{v:.1f}" if v < 100 else f"{v:.0f}",
                    ha="center", fontsize=7)
    ax.set_yscale("log")
    top = max(f(a) for _, f in series for a in s["apps"]) / MB
    ax.set_ylim(top=top * 30)  # room for the legend above the bars
    ax.set_xticks([j + w * (len(series) - 1) / 2 for j in range(len(apps))], apps)
    ax.set_ylabel("MB (log scale)")
    ax.set_title("Image size per app")
    ax.legend(fontsize=8, ncol=3, loc="upper center")
    fig.tight_layout()
    fig.savefig(os.path.join(out, "sizes.png"), dpi=120)

if o and o["rows"]:
    ks = sorted({r["k"] for r in o["rows"]})
    mean = lambda k, f: sum(f(r) for r in o["rows"] if r["k"] == k) / sum(1 for r in o["rows"] if r["k"] == k)
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.plot(ks, [mean(k, lambda r: r["strategies"]["sequential"]["trials"]) for k in ks], "o-", label="sequential (one at a time)")
    ax.plot(ks, [mean(k, lambda r: r["strategies"]["group"]["trials"]) for k in ks], "s-", label="group")
    ax.plot(ks, [mean(k, lambda r: r["bound_k"]) for k in ks], "k--", label="⌈log2 C(N,k)⌉ (lower bound)")
    ax.set_xlabel("k (hidden options the oracle needs)")
    ax.set_ylabel("test runs")
    ax.set_title(f"Pruning trials vs k, check-config oracle, N = {o['rows'][0]['N']:,}")
    ax.set_ylim(bottom=0)
    ax.legend()
    fig.tight_layout()
    fig.savefig(os.path.join(out, "oracle-trials.png"), dpi=120)

if lat and lat["apps"]:
    fig, ax = plt.subplots(figsize=(7, 4))
    labels, med, p99 = [], [], []
    for app, e in lat["apps"].items():
        for t, name in (("tinyx", "tinyx VM"), ("debian", "Debian VM"), ("host", "host")):
            if e.get(t) and "median_ms" in e[t]:
                labels.append(f"{app}\n{name}")
                med.append(e[t]["median_ms"])
                p99.append(e[t]["p99_ms"])
    ax.bar(range(len(labels)), med, label="median")
    ax.scatter(range(len(labels)), p99, color="k", marker="_", s=200, label="p99", zorder=3)
    ax.set_xticks(range(len(labels)), labels, fontsize=8)
    ax.set_ylabel("ms")
    ax.set_title(f"Response time, {lat['requests']:,} curl requests")
    ax.legend()
    fig.tight_layout()
    fig.savefig(os.path.join(out, "latency.png"), dpi=120)

if b and b["apps"]:
    fig, ax = plt.subplots(figsize=(7, 4))
    apps = list(b["apps"])
    for i, (t, name) in enumerate((("tinyx", "tinyx kernel"), ("stock", "stock kernel, same initramfs"), ("debian", "Debian VM"))):
        ax.bar([j + i * 0.27 for j in range(len(apps))], [b["apps"][a][t]["ready_median_s"] for a in apps], 0.27, label=name)
    ax.set_xticks([j + 0.27 for j in range(len(apps))], apps)
    ax.set_ylabel("s, QEMU start → app answering")
    ax.set_title(f"Boot ({b.get('accel', '?')}, {b['memory_mb']} MB)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "boot.png"), dpi=120)
print(f"report.py: wrote {out}/results.md, results.json and plots", file=sys.stderr)
