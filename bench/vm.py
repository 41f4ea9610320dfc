#!/usr/bin/env python3
"""Boots one VM the way `tinyx boot` does (the same QEMU arguments: no default devices, -smp 1,
serial console to a file, virtio-net on QEMU's user network with host forwards, a disk as
if=virtio,snapshot=on), measures QEMU start -> the app answering a probe run on the host, then
optionally runs a command against the running app and stops the VM.
Resolution: --interval (0.1 s) plus the probe's own run time.

The probe is the app's host test (a shell command with TINYX_HOST and TINYX_PORT_<port> set, as
for `tinyx boot --host-test`), retried every --interval seconds. This is the one timing method
for every VM the bench compares: tinyx images and Debian VMs alike. Prints one JSON object.

  vm.py --kernel K [--initrd I] [--disk D] [--append ARGS] --forward PORT --probe CMD
        [--run CMD] [--memory MB] [--accel tcg|kvm] [--timeout S] [--log FILE] [--repeat N]
"""
import argparse, json, os, shlex, signal, socket, subprocess, sys, time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tail(path, n=15):
    try:
        with open(path, errors="replace") as f:
            return f.read().splitlines()[-n:]
    except OSError:
        return []


def boot_once(a, log):
    ports = {p: free_port() for p in a.forward}
    cmdline = "console=ttyS0 panic=-1"
    if a.disk:
        cmdline += " root=/dev/vda rw"
    if a.append:
        cmdline += " " + a.append
    argv = [a.qemu, "-nodefaults", "-no-user-config", "-no-reboot", "-display", "none"]
    argv += ["-accel", "kvm", "-cpu", "host"] if a.accel == "kvm" else ["-accel", "tcg"]
    argv += ["-m", str(a.memory), "-smp", "1", "-chardev", "file,id=console,path=" + log.replace(",", ",,"),
             "-serial", "chardev:console", "-kernel", a.kernel, "-append", cmdline]
    if a.initrd:
        argv += ["-initrd", a.initrd]
    if a.disk:
        fmt = "qcow2" if a.disk.endswith(".qcow2") else "raw"
        argv += ["-drive", f"file={a.disk.replace(',', ',,')},format={fmt},if=virtio,snapshot=on"]
    netdev = "user,id=n0" + "".join(f",hostfwd=tcp:127.0.0.1:{h}-:{g}" for g, h in ports.items())
    argv += ["-netdev", netdev, "-device", "virtio-net-pci,netdev=n0,romfile="]
    env = dict(os.environ, TINYX_HOST="127.0.0.1", **{f"TINYX_PORT_{g}": str(h) for g, h in ports.items()})
    result = {"verdict": "timeout", "ready_seconds": None, "probes": 0, "forwards": ports,
              "qemu_command": " ".join(shlex.quote(x) for x in argv), "console_log": log}
    start = time.monotonic()
    qemu = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    # Probes overlap: a new one every --interval, each given --probe-timeout. Before the guest's
    # NIC is up, QEMU's user network accepts the host connection and retries the guest SYN with
    # backoff, so one long-waiting probe would see the app seconds late.
    probes = []
    try:
        while result["verdict"] != "pass" and time.monotonic() - start < a.timeout:
            if qemu.poll() is not None:
                result["verdict"] = "boot-failed"
                result["qemu_stderr"] = qemu.stderr.read().decode(errors="replace")[-2000:]
                break
            now = time.monotonic()
            for probe, began in list(probes):
                status = probe.poll()
                if status == 0:
                    result["ready_seconds"] = now - start
                    result["verdict"] = "pass"
                elif status is not None or now - began > a.probe_timeout:
                    if status is None:
                        os.killpg(probe.pid, signal.SIGKILL)
                        probe.wait()
                    probes.remove((probe, began))
            if result["verdict"] != "pass":
                result["probes"] += 1
                probes.append((subprocess.Popen(["/bin/sh", "-c", a.probe], env=env, stdout=subprocess.DEVNULL,
                                                stderr=subprocess.DEVNULL, start_new_session=True), now))
                time.sleep(a.interval)
        for probe, _ in probes:
            if probe.poll() is None:
                os.killpg(probe.pid, signal.SIGKILL)
            probe.wait()
        if result["verdict"] == "pass" and a.run:
            t = time.monotonic()
            status = subprocess.run(["/bin/sh", "-c", a.run], env=env).returncode
            result["run_seconds"] = time.monotonic() - t
            result["run_status"] = status
            if status != 0:
                result["verdict"] = "fail"
    finally:
        if qemu.poll() is None:
            os.killpg(qemu.pid, signal.SIGTERM)
            try:
                qemu.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(qemu.pid, signal.SIGKILL)
                qemu.wait()
    if result["verdict"] != "pass":
        result["console_tail"] = tail(log)
    return result


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--kernel", required=True)
    p.add_argument("--initrd")
    p.add_argument("--disk")
    p.add_argument("--append", default="")
    p.add_argument("--forward", type=int, action="append", required=True)
    p.add_argument("--probe", required=True)
    p.add_argument("--run")
    p.add_argument("--memory", type=int, default=256)
    p.add_argument("--accel", default="tcg", choices=["tcg", "kvm"])
    p.add_argument("--timeout", type=float, default=300)
    p.add_argument("--interval", type=float, default=0.1)
    p.add_argument("--probe-timeout", type=float, default=3)
    p.add_argument("--repeat", type=int, default=1)
    p.add_argument("--log", default="/tmp/tinyx-bench-console.log")
    p.add_argument("--qemu", default="qemu-system-x86_64")
    a = p.parse_args()
    boots = []
    for i in range(a.repeat):
        log = a.log if a.repeat == 1 else f"{a.log}.{i + 1}"
        boots.append(boot_once(a, log))
        print(f"vm.py: boot {i + 1}/{a.repeat}: {boots[-1]['verdict']}"
              + (f", app answering after {boots[-1]['ready_seconds']:.2f} s" if boots[-1]["ready_seconds"] else ""),
              file=sys.stderr)
        if boots[-1]["verdict"] != "pass":
            break
    verdict = "pass" if all(b["verdict"] == "pass" for b in boots) and len(boots) == a.repeat else boots[-1]["verdict"]
    ready = sorted(b["ready_seconds"] for b in boots if b["ready_seconds"] is not None)
    json.dump({"verdict": verdict, "accel": a.accel, "memory_mb": a.memory,
               "ready_seconds": [b["ready_seconds"] for b in boots],
               "ready_median": ready[len(ready) // 2] if len(ready) % 2 else
               (sum(ready[len(ready) // 2 - 1:len(ready) // 2 + 1]) / 2 if ready else None),
               "boots": boots}, sys.stdout, indent=1)
    print()
    sys.exit(0 if verdict == "pass" else 1)


if __name__ == "__main__":
    main()
