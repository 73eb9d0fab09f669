"""A page on a remote engine (item 9): what running where the files are not costs.

The remote engine is a second dockerd in a container of the host's engine,
listening on TCP on 127.0.0.1 only, as tests/test_remote_engine.py starts it
(`dind_engine` is shared). Provisioning the images there is measured once
(cold: nothing is cached on that engine), then the same small page runs on
the remote engine and on the local one, warm, and the figure is their ratio.
"""
from __future__ import annotations

import socket
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import docker
import docker.errors
from docker.models.containers import Container

from harness.errors import BenchFailed

from .common import ROOT, WORK, Bench, Figure, pytest_cmd, run_timed

ENGINE_PORT = 2375
ENGINE_START_SECONDS = 120
PAGE = ROOT / "tests" / "pages" / "remote" / "page.md"
RATIO_TARGET = 1.5


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def dind_engine(host: docker.DockerClient, image: str, marks: dict[str, str],
                publish: dict[int, int] | None = None,
                setup: Callable[[Container], None] | None = None) -> Iterator[str]:
    """DOCKER_HOST of a fresh engine in a container of `host`, published on 127.0.0.1 only; removed after.

    `marks` are the labels of what it creates, so that a sweep finds them if this process dies.
    `publish` maps more of its ports to ports on 127.0.0.1, and `setup` runs once it started
    (tests start an sshd there, to reach the engine over ssh://)."""
    from harness import transfer
    from harness.confinement import ENGINE_SECURITY

    port = free_port()
    volume = host.volumes.create(labels=marks)  # the engine's /var/lib/docker: overlay2 needs a real fs
    box = None
    try:
        box = host.containers.create(
            image, ["sleep", "infinity"], user="root", labels=marks, detach=True,
            volumes={volume.name: {"bind": "/var/lib/docker", "mode": "rw"}},
            ports={f"{ENGINE_PORT}/tcp": ("127.0.0.1", port),
                   **{f"{inside}/tcp": ("127.0.0.1", outside) for inside, outside in (publish or {}).items()}},
            **ENGINE_SECURITY)
        transfer.put_helpers(box)  # start-engine.sh: the cgroup remount a nested engine needs
        box.start()
        if setup is not None:
            setup(box)
        # --tls=false says the plain TCP is meant: it is published on loopback only
        code, out = box.exec_run(["sh", f"{transfer.HELPERS_IN_CONTAINER}/start-engine.sh", "--tls=false",
                                  "-H", "unix:///var/run/docker.sock", "-H", f"tcp://0.0.0.0:{ENGINE_PORT}"])
        if code != 0:
            raise BenchFailed(f"the remote engine did not start:\n{out.decode(errors='replace')}")
        url = f"tcp://127.0.0.1:{port}"
        deadline = time.monotonic() + ENGINE_START_SECONDS
        while True:
            try:
                docker.DockerClient(base_url=url, timeout=10).ping()
                break
            except (docker.errors.DockerException, OSError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        yield url
    finally:
        if box is not None:
            box.remove(force=True, v=True)
        volume.remove(force=True)


def measure_remote(bench: Bench) -> None:
    from harness import labels

    work = WORK / "remote"
    work.mkdir(parents=True, exist_ok=True)
    marks = {**labels.for_run(), f"{labels.PREFIX}.bench": "remote-engine"}
    local_env = bench.pytest_env()
    with dind_engine(bench.client, bench.image, marks) as url:
        remote_env = {k: v for k, v in bench.pytest_env(provisioned=False).items()
                      if k not in ("DOCKER_CONTEXT", "HANDBOOK_RUN_PID")}
        remote_env.update(DOCKER_HOST=url, HANDBOOK_RUN_ID=f"bench-remote-{uuid.uuid4().hex[:8]}")
        cold, code = run_timed([sys.executable, "-m", "harness.images"], remote_env, work / "provision.log",
                               timeout=1800)
        if code != 0:
            raise BenchFailed(f"provisioning on the remote engine failed: see {work / 'provision.log'}")
        remote, local = [], []
        for i in range(2):
            wall, code = run_timed(pytest_cmd(str(PAGE)), remote_env, work / f"remote-{i}.log")
            if code != 0:
                raise BenchFailed(f"the page failed on the remote engine: see {work / f'remote-{i}.log'}")
            remote.append(wall)
            wall, code = run_timed(pytest_cmd(str(PAGE)), local_env, work / f"local-{i}.log")
            if code != 0:
                raise BenchFailed(f"the page failed on the local engine: see {work / f'local-{i}.log'}")
            local.append(wall)
    ratio = min(remote) / min(local)
    bench.add(Figure(
        "remote_engine_page_ratio", 9, "A page on a remote engine / the same page locally", ratio, "x",
        f"<= {RATIO_TARGET}",
        measured=(f"tests/pages/remote/page.md (5 blocks: a data file, a file, console, Python, a container of "
                  f"the page's own engine) with DOCKER_HOST=tcp://127.0.0.1:PORT, a second engine in a "
                  f"container: best of 2 warm runs, {min(remote):.1f} s there against {min(local):.1f} s on the "
                  f"local engine"),
        why="" if ratio <= RATIO_TARGET else f"{min(remote):.1f} s remote against {min(local):.1f} s local",
        details={"remote_s": remote, "local_s": local, "provision_cold_s": cold}))
    bench.add(Figure(
        "remote_engine_provision_s", 9, "Provisioning the images on a fresh remote engine (cold)", cold, "s",
        measured="python -m harness.images with DOCKER_HOST set: the stand-ins imported and the sandbox built "
                 "there through the API, nothing cached on that engine"))
