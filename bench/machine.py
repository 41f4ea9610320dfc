#!/usr/bin/env python3
"""What machine a benchmark run ran on (JSON on stdout): CPU, cores, memory, OS, kernel, QEMU,
KVM availability, tinyx version and commit, date.   machine.py TINYX ACCEL"""
import datetime, json, os, platform, subprocess, sys


def run(*cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=30).stdout.strip()
    except OSError:
        return ""


cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "")
mem = next((int(l.split()[1]) // 1024 for l in open("/proc/meminfo") if l.startswith("MemTotal")), 0)
osr = dict(l.rstrip().split("=", 1) for l in open("/etc/os-release") if "=" in l)
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
json.dump({
    "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    "cpu": cpu, "cores": os.cpu_count(), "memory_mb": mem, "os": osr.get("PRETTY_NAME", "").strip('"'),
    "host_kernel": platform.release(), "qemu": run("qemu-system-x86_64", "--version").splitlines()[0:1],
    "kvm_device": os.access("/dev/kvm", os.W_OK), "accel_setting": sys.argv[2],
    "tinyx": run(sys.argv[1], "--version"), "commit": run("git", "-C", root, "describe", "--always", "--dirty"),
    "load_average": os.getloadavg(),
}, sys.stdout, indent=1)
