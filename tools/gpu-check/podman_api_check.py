"""Which Docker API calls the harness makes work against this engine (written for Podman 4.3's service).

Each check prints `ok` or `FAIL` with the engine's answer, one line each, and never stops the
rest. Run it with the engine in DOCKER_HOST and the CLI (or a wrapper) in HANDBOOK_DOCKER_CLI:

    python tools/gpu-check/podman_api_check.py IMAGE [DEVICE_NODE ...]

IMAGE needs bash, python3 and a user `reader` (the CUDA stand-in has them). DEVICE_NODEs
(default /dev/zero) are passed as `devices`, as the GPU run passes /dev/nvidia*.
Exit status: 0 when every check the GPU run relies on passed (see REQUIRED), else 1.
"""
from __future__ import annotations

import io
import sys
import tarfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import docker  # noqa: E402
import docker.types  # noqa: E402

from harness import labels, transfer  # noqa: E402
from harness.engine import docker_cli  # noqa: E402
from harness.pyblocks import PyRunner  # noqa: E402
from harness.shell import Shell  # noqa: E402

# What a GPU page needs: a container to start offline, a shell and a Python in it, files written
# into it, and a clean-up. The rest is reported so that the harness can avoid it.
REQUIRED = {"create+start (GPU run options)", "exec_run as root", "exec_run as reader in a folder",
            "put_archive", "CLI exec -it (the page shell)", "CLI exec -i (the page's Python)",
            "devices", "containers.list by label", "remove(force, v)", "labels.remove_run"}
ULIMITS = [docker.types.Ulimit(name="nofile", soft=1024, hard=1024),
           docker.types.Ulimit(name="nproc", soft=4096, hard=4096)]
results: list[tuple[str, bool, str]] = []


def cgroup_read(v2: str, v1: str) -> str:
    """A shell command printing a cgroup limit, from cgroup v2's file or else v1's."""
    return f"cat /sys/fs/cgroup/{v2} 2>/dev/null || cat /sys/fs/cgroup/{v1}"


def check(name: str):
    def decorate(func):
        try:
            detail = func() or ""
            results.append((name, True, str(detail)))
        except Exception as e:  # noqa: BLE001 - every failure is a finding to report
            last = traceback.format_exception_only(type(e), e)[-1].strip()
            results.append((name, False, last[:400]))
        ok, detail = results[-1][1], results[-1][2]
        print(f"{'ok  ' if ok else 'FAIL'} {name}{': ' + detail if detail else ''}", flush=True)
        return func
    return decorate


def main() -> int:
    image = sys.argv[1]
    nodes = sys.argv[2:] or ["/dev/zero"]
    client = docker.from_env(timeout=60)
    run_labels = {**labels.for_run(), f"{labels.PREFIX}.page": "podman-api-check"}
    base = dict(init=True, detach=True, labels=run_labels, hostname="sandbox", working_dir="/home/reader",
                ulimits=ULIMITS, network_mode="none")
    made = []

    def start(helpers: bool = False, **extra):
        c = client.containers.create(image, ["sleep", "infinity"], **{**base, **extra})
        made.append(c)
        if helpers:
            transfer.put_helpers(c)  # as the sandbox does: into the created container, before it starts
        c.start()
        c.reload()
        if c.status != "running":
            raise RuntimeError(f"status {c.status}")
        return c

    @check("version")
    def _():
        v = client.version()
        return f"{v.get('Version')} API {v.get('ApiVersion')} (min {v.get('MinAPIVersion')})"

    @check("images.get by short tag")
    def _():
        return client.images.get(image).tags

    @check("images.list by label")
    def _():
        return len(client.images.list(filters={"label": labels.HARNESS}))

    box = None

    @check("create+start (GPU run options)")
    def _():
        nonlocal box
        box = start(helpers=True, devices=[f"{n}:{n}:rwm" for n in nodes],
                    environment={"LD_LIBRARY_PATH": "/usr/local/nvidia/lib64", "NVIDIA_VISIBLE_DEVICES": "all"})
        return box.short_id

    if box is None:
        return report()

    @check("exec_run as root")
    def _():
        r = box.exec_run(["sh", "-c", "id -u; ulimit -n; ls /opt/hb | head -1; echo $LD_LIBRARY_PATH"], user="root")
        out = r.output.decode().split()
        # an exec sees the container's environment: the driver libraries' folder above
        assert r.exit_code == 0 and out[-1] == "/usr/local/nvidia/lib64", (r.exit_code, out)
        return out

    @check("exec_run as reader in a folder")
    def _():
        r = box.exec_run(["sh", "-c", "id -un; pwd; echo $K"], user="reader", workdir="/tmp", environment={"K": "v"})
        out = r.output.decode().split()
        assert r.exit_code == 0 and out == ["reader", "/tmp", "v"], (r.exit_code, out)
        return out

    @check("exec_run exit status")
    def _():
        r = box.exec_run(["sh", "-c", "exit 3"])
        assert r.exit_code == 3, r.exit_code

    @check("exec_run detach")
    def _():
        box.exec_run(["sh", "-c", "sleep 1"], detach=True)

    @check("devices")
    def _():
        r = box.exec_run(["sh", "-c", "ls -l " + " ".join(nodes)])
        assert r.exit_code == 0, r.output
        return r.output.decode().strip().replace("\n", " | ")

    @check("network_mode none: offline")
    def _():
        r = box.exec_run(["python3", "-c", "import socket; print(socket.if_nameindex())"])
        return r.output.decode().strip()

    @check("put_archive")
    def _():
        stream = io.BytesIO()
        with tarfile.open(fileobj=stream, mode="w") as tar:
            data = b"hello\n"
            info = tarfile.TarInfo("home/reader/sub/hello.txt")
            info.size, info.uid, info.gid, info.mtime = len(data), 1000, 1000, time.time()
            tar.addfile(info, io.BytesIO(data))
        assert box.put_archive("/", stream.getvalue())
        r = box.exec_run(["sh", "-c", "cat /home/reader/sub/hello.txt; stat -c %u /home/reader/sub/hello.txt"])
        assert r.output.decode().split() == ["hello", "1000"], r.output

    @check("get_archive")
    def _():
        chunks, stat = box.get_archive("/etc/hostname")
        return f"{stat.get('name')} {len(b''.join(chunks))} bytes"

    @check("CLI exec -it (the page shell)")
    def _():
        wanted = {"HOME": "/home/reader", "TERM": "xterm", "K": "from -e"}
        env = [x for k, v in wanted.items() for x in ("-e", f"{k}={v}")]
        shell = Shell([docker_cli(), "exec", "-it", "-u", "reader", "-w", "/home/reader", *env, box.id,
                       "bash", "--norc", "--noprofile", "--noediting", "-i"])
        try:
            r = shell.run("echo $K; id -un; pwd; cd /tmp; false", 20)
            assert r.status == 1 and r.output.split("\n")[:3] == ["from -e", "reader", "/home/reader"], r
            r = shell.run("pwd; tty; echo $LD_LIBRARY_PATH", 20)
            assert r.status == 0 and r.output.startswith("/tmp\n/dev/pts/"), r
            assert r.output.split("\n")[2] == "/usr/local/nvidia/lib64", r
            r = shell.run("sleep 30", 2)  # the harness interrupts a block that runs too long with Ctrl-C
            assert r.timed_out and not r.gone, r
            r = shell.run("echo still here", 10)
            assert r.output.strip() == "still here", r
        finally:
            shell.close()
        return "prompt, status, cwd kept, tty, Ctrl-C"

    @check("CLI exec -i (the page's Python)")
    def _():
        py = PyRunner(box.id, "python3", "/home/reader", {"HOME": "/home/reader"})
        try:
            a = py.run("x = 6 * 7\nprint(x)", "check.md:1", 20)
            assert not a["error"] and a["prints"] and "42" in a["prints"][0][1], a
        finally:
            py.close()

    @check("containers.list by label")
    def _():
        found = client.containers.list(all=True, filters={"label": labels.HARNESS})
        assert any(c.id == box.id for c in found), found
        return len(found)

    # -- what the CPU run's sandbox also uses; each in a container of its own
    for name, extra in [
        ("mem_limit+memswap_limit", {"mem_limit": "2g", "memswap_limit": "2g"}),
        ("pids_limit", {"pids_limit": 512}),
        ("nano_cpus", {"nano_cpus": 1_500_000_000}),
        ("cgroupns private", {"cgroupns": "private"}),
        ("tmpfs /run", {"tmpfs": {"/run": ""}}),
        ("cap_add ALL, cap_drop SYS_RESOURCE", {"cap_add": ["ALL"], "cap_drop": ["SYS_RESOURCE"]}),
        ("security_opt seccomp/apparmor unconfined", {"security_opt": ["seccomp=unconfined", "apparmor=unconfined"]}),
        ("device_cgroup_rules", {"device_cgroup_rules": ["a *:* rwm"]}),
        ("device_requests (toolkit style --gpus)",
         {"device_requests": [docker.types.DeviceRequest(count=-1, capabilities=[["gpu"]])]}),
        ("devices by CDI name", {"devices": ["nvidia.com/gpu=all"]}),
        ("no ulimits (engine defaults)", {"ulimits": None}),
    ]:
        @check(name)
        def _(extra=extra, name=name):
            c = start(**extra)
            if name == "pids_limit":
                r = c.exec_run(["sh", "-c", cgroup_read("pids.max", "pids/pids.max")])
                return f"pids.max in the container: {r.output.decode().strip()}"
            if name == "mem_limit+memswap_limit":
                r = c.exec_run(["sh", "-c", cgroup_read("memory.max", "memory/memory.limit_in_bytes")])
                return f"memory limit in the container: {r.output.decode().strip()}"
            if name == "nano_cpus":
                r = c.exec_run(["sh", "-c", cgroup_read("cpu.max", "cpu/cpu.cfs_quota_us")])
                return f"cpu quota in the container: {r.output.decode().strip()}"
            if name.startswith("device_requests"):
                r = c.exec_run(["sh", "-c", "ls /dev | grep -c nvidia || true"])
                return f"created; /dev/nvidia* in it: {r.output.decode().strip()} (ignored if 0)"
            return "created and started"

    net = None

    @check("networks.create (bridge, labels)")
    def _():
        nonlocal net
        net = client.networks.create(f"handbook-net-{labels.current_run()[0]}", driver="bridge", labels=run_labels)
        return net.name

    @check("create on a network, disconnect before start (the CPU run's offline start)")
    def _():
        assert net is not None, "the network check above failed"
        c = client.containers.create(image, ["sleep", "infinity"], init=True, detach=True, labels=run_labels,
                                     ulimits=ULIMITS, network=net.name)
        made.append(c)
        net.disconnect(c)
        c.start()
        return "ok"

    @check("networks connect/disconnect a running container")
    def _():
        assert net is not None, "the network check above failed"
        net.connect(box)
        net.disconnect(box, force=True)

    @check("networks.list by label")
    def _():
        return len(client.networks.list(filters={"label": labels.HARNESS}))

    vol = None

    @check("volumes.create/list (labels)")
    def _():
        nonlocal vol
        vol = client.volumes.create(labels=run_labels)
        return f"{vol.name}; listed by label: {len(client.volumes.list(filters={'label': labels.HARNESS}))}"

    @check("volume mounted rw")
    def _():
        assert vol is not None, "the volume check above failed"
        c = start(volumes={vol.name: {"bind": "/var/lib/docker", "mode": "rw"}})
        r = c.exec_run(["sh", "-c", "touch /var/lib/docker/x && echo ok"])
        assert r.output.decode().strip() == "ok", r.output

    @check("remove(force, v)")
    def _():
        box.remove(force=True, v=True)
        made.remove(box)

    @check("labels.remove_run")
    def _():
        removed = labels.remove_run(client, labels.current_run()[0])
        for c in made:
            try:
                c.reload()
                raise AssertionError(f"container {c.short_id} still there")
            except docker.errors.NotFound:
                pass
        return ", ".join(removed)

    @check("labels.remove_stale")
    def _():
        return labels.remove_stale(client) or "nothing stale"

    return report()


def report() -> int:
    failed = [name for name, ok, _ in results if not ok]
    missing = sorted(REQUIRED - {name for name, ok, _ in results if ok})
    print(f"\n{len(results) - len(failed)} passed, {len(failed)} failed")
    if missing:
        print("the GPU run needs, and did not get: " + "; ".join(missing))
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
