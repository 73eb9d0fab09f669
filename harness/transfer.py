"""Files reach a page's containers through the Docker API, never through a host path.

The engine need not share this machine's file system: DOCKER_HOST=tcp://... or
ssh://..., or a Docker context, may name an engine on another machine, where a
bind mount of a path from here would mount that machine's path, or nothing. So:

- the harness's in-container helpers (harness/incontainer/) are copied into
  each sandbox when it is created, before it starts (a few kilobytes);
- the seed archive (`docker save` of the base images a page's own engine
  loads) is copied once per run into a volume on the engine, labelled with the
  run so that the run's cleanup removes it, and each page mounts it read-only.

A local engine takes the same path: the copy of the seed costs one second or
two per run, and a page's start is the same as with a bind mount.
"""
from __future__ import annotations

import fcntl
import functools
import io
import tarfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

import docker
import docker.errors

from . import labels
from .errors import SandboxFailed

HELPERS_DIR = Path(__file__).parent / "incontainer"
HELPERS_IN_CONTAINER = "/opt/hb"
SEED_DIR = "/opt/hb-seed"  # where a page's sandbox mounts the run's seed volume
SEED_FILE = "seed.tar"
SEED_LABEL = f"{labels.PREFIX}.seed"  # on seed volumes: the archive's file name

_filled: dict[tuple[str, str], str] = {}  # (engine, volume) -> volume, filled by this process
_filling = threading.Lock()


@functools.cache
def helpers_archive() -> bytes:
    """harness/incontainer/ as a tar of /opt/hb, owned by root: the reader may run it, not change it."""
    stream = io.BytesIO()
    now = time.time()
    with tarfile.open(fileobj=stream, mode="w") as tar:
        top = tarfile.TarInfo(HELPERS_IN_CONTAINER.lstrip("/"))
        top.type, top.mode, top.mtime = tarfile.DIRTYPE, 0o755, now
        tar.addfile(top)
        for path in sorted(HELPERS_DIR.iterdir()):
            if not path.is_file():
                continue
            info = tarfile.TarInfo(f"{top.name}/{path.name}")
            data = path.read_bytes()
            info.size, info.mtime = len(data), now
            info.mode = 0o755 if path.stat().st_mode & 0o111 else 0o644
            tar.addfile(info, io.BytesIO(data))
    return stream.getvalue()


def put_helpers(container) -> None:
    """Copy the helpers into a created (not necessarily started) container."""
    if not container.put_archive("/", helpers_archive()):
        raise SandboxFailed(f"could not copy the harness's helpers into container {container.id[:12]}")


def file_as_tar(path: Path, name: str, chunk: int = 1 << 20) -> Iterator[bytes]:
    """A tar holding one file, streamed: the seed is too big to build in memory."""
    size = path.stat().st_size
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = size, 0o644, int(path.stat().st_mtime)
    yield info.tobuf(format=tarfile.PAX_FORMAT)
    sent = 0
    with path.open("rb") as f:
        while block := f.read(chunk):
            sent += len(block)
            yield block
    if sent != size:
        raise SandboxFailed(f"{path} changed while it was being copied ({sent} of {size} bytes)")
    yield b"\0" * (-size % tarfile.BLOCKSIZE) + b"\0" * (2 * tarfile.BLOCKSIZE)


def seed_volume_name(seed: Path) -> str:
    run_id, _ = labels.current_run()
    return f"handbook-seed-{run_id}-{seed.stem.removeprefix('seed-')}"


def seed_volume(client: docker.DockerClient, seed: Path, image: str) -> str:
    """The name of a volume on the engine that holds `seed` as seed.tar, filled once per run.

    `image` is any image the engine has (the sandbox image): the volume is filled through a
    container that is created, never started. Workers of one run share the volume; a lock on
    the seed file makes one of them fill it while the others wait.
    """
    name = seed_volume_name(seed)
    key = (client.api.base_url, name)
    if key in _filled:
        return name
    with _filling, seed.open("rb") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # other processes of this run (pytest-xdist workers)
        try:
            client.api.inspect_volume(name)
        except docker.errors.NotFound:
            _fill(client, name, seed, image)
        _filled[key] = name
    return name


def _fill(client: docker.DockerClient, name: str, seed: Path, image: str) -> None:
    client.volumes.create(name, labels={**labels.for_run(), SEED_LABEL: seed.name})
    helper = None
    try:
        helper = client.containers.create(image, ["true"], labels=labels.for_run(), network_mode="none",
                                          volumes={name: {"bind": SEED_DIR, "mode": "rw"}}, user="root")
        if not helper.put_archive(SEED_DIR, file_as_tar(seed, SEED_FILE)):
            raise SandboxFailed(f"could not copy {seed} into volume {name}")
    except BaseException:
        # half a seed would fail every page that loads it: no volume is better
        if helper is not None:
            helper.remove(force=True)
            helper = None
        client.api.remove_volume(name, force=True)
        raise
    finally:
        if helper is not None:
            helper.remove(force=True)


def file_archive(path: str, content: bytes, mode: int, uid: int, *, home: str, home_uid: int) -> bytes:
    """A tar of one file, for put_archive at /, owned by `uid`; its missing parent folders
    under `home` are made too, owned by the home's user, as a reader's editor would."""
    p = PurePosixPath(path)
    stream = io.BytesIO()
    with tarfile.open(fileobj=stream, mode="w") as tar:
        parents = [q for q in reversed(p.parents) if str(q).startswith(home + "/") or str(q) == home]
        for d in parents[1:]:
            info = tarfile.TarInfo(str(d).lstrip("/"))
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, time.time()
            info.uid = info.gid = home_uid
            tar.addfile(info)
        info = tarfile.TarInfo(str(p).lstrip("/"))
        info.size, info.mode, info.uid, info.gid, info.mtime = len(content), mode, uid, uid, time.time()
        tar.addfile(info, io.BytesIO(content))
    return stream.getvalue()
