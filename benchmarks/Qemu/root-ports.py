#!/usr/bin/env python3
"""What the QEMU driver's pre-made PCIe root ports (8 for Volumes, 8 for network interfaces: hot-plug needs a free
port, and root ports cannot be hot-added) cost a guest's boot under TCG: plain QEMU on the demo VM image with a
NoCloud seed, to the demo image's console marker, with 0 and with 16 root ports, alternating.

Usage: benchmarks/Qemu/root-ports.py IMAGE_DIR [ROUNDS=6]   (IMAGE_DIR: a demo VM image, e.g. the one
benchmarks/Qemu/run.sh builds in .data/bench-images/demo-vm)
"""
import json, os, shutil, statistics, subprocess, sys, tempfile, time

MARKER = b"CIMIGRAINS-DEMO-VM UP"
image_dir = os.path.abspath(sys.argv[1])
rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 6
image = json.load(open(os.path.join(image_dir, "image.json")))


def boot(ports):
    d = tempfile.mkdtemp(prefix="cimi-rootports-")
    try:
        subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-b", os.path.join(image_dir, image["disk"]), "-F", "qcow2",
                        f"{d}/overlay.qcow2"], check=True)
        os.mkdir(f"{d}/seed")
        open(f"{d}/seed/meta-data", "w").write("instance-id: rootports\nlocal-hostname: rootports\n")
        open(f"{d}/seed/user-data", "w").write("#cloud-config\n")
        subprocess.run(["genisoimage", "-quiet", "-output", f"{d}/seed.iso", "-volid", "cidata", "-joliet", "-rock",
                        f"{d}/seed/meta-data", f"{d}/seed/user-data"], check=True)
        args = ["qemu-system-x86_64", "-nodefaults", "-no-user-config", "-display", "none", "-machine", "q35,accel=tcg",
                "-cpu", "max", "-smp", "1", "-m", "256", "-nic", "none",
                "-chardev", f"file,id=console,path={d}/console.log,append=on", "-serial", "chardev:console",
                "-pidfile", f"{d}/pid", "-daemonize",
                "-drive", f"file={d}/overlay.qcow2,format=qcow2,if=virtio,id=root",
                "-drive", f"file={d}/seed.iso,format=raw,if=virtio,readonly=on,id=cidata",
                "-kernel", os.path.join(image_dir, image["kernel"]), "-initrd", os.path.join(image_dir, image["initrd"]),
                "-append", image["cmdline"]]
        for i in range(ports):
            args += ["-device", f"pcie-root-port,id=port{i},chassis={i + 1},bus=pcie.0"]
        t0 = time.perf_counter()
        subprocess.run(args, check=True)
        while time.perf_counter() - t0 < 60:
            if os.path.exists(f"{d}/console.log") and MARKER in open(f"{d}/console.log", "rb").read(): break
            time.sleep(0.02)
        else:
            raise TimeoutError(f"no marker within 60 s with {ports} root ports")
        return time.perf_counter() - t0
    finally:
        try:
            pid = int(open(f"{d}/pid").read())
            os.kill(pid, 9)
            while os.path.exists(f"/proc/{pid}"): time.sleep(0.05)
        except (OSError, ValueError):
            pass
        shutil.rmtree(d, ignore_errors=True)


times = {0: [], 16: []}
for _ in range(rounds):
    for ports in times: times[ports].append(boot(ports))
for ports, t in times.items():
    print(f"{ports:2} root ports: to the console marker median {statistics.median(t):.2f} s ({', '.join(f'{x:.2f}' for x in t)})")
print(f"ratio 16/0: {statistics.median(times[16]) / statistics.median(times[0]):.2f}x")
