"""The throwaway container a page runs in, and the engine inside it.

One container per page, removed when the page ends, pass or fail. It starts
without network, with limits on memory, processes and CPU, and is connected
to the run's network only for the blocks that opt in. Pages that use Docker
get a nested engine of their own, seeded with the base images they build on,
so `docker image ls` on a page shows only what the page made and the
contributor's engine is never touched.

A little over 250 lines: one container's life (create, its engine, files in,
network on and off, disk, removal) holds state each step needs; its policy
is in confinement.py, its files in transfer.py, what watches it in limits.py
and diskbound.py.
"""
from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import docker
import docker.errors
import docker.types
import requests.exceptions
from docker.models.containers import Container
from docker.models.volumes import Volume

from . import interrupts, labels, transfer
from .confinement import (
    DEFAULT_DISK,
    DISK_CHECK_SECONDS,
    ENGINE_LIMITS,
    ENGINE_SECURITY,
    HOME,
    LIMITS,
    NO_NETWORK,
    READER_UID,
    SEED_IN_CONTAINER,
    SHELL_ENV,
    ULIMITS,
    create_container,
    run_network,
)
from .diskbound import DiskBound, gib
from .engine import docker_cli
from .errors import EngineStopped, NetworkUnavailable, SandboxFailed, ShellGone
from .shell import Shell

__all__ = ["DEFAULT_DISK", "DISK_CHECK_SECONDS", "HOME", "NO_NETWORK", "Sandbox", "gib", "run_network"]


EXEC_ATTEMPTS = 3  # for a helper's exec whose process the runtime could not start
RUNTIME_FAILED = "OCI runtime exec failed"


def _runtime_attempts() -> Iterator[int]:
    """Attempts 1 to EXEC_ATTEMPTS at an exec, a pause before each one after the first.

    Only for an exec the runtime could not start at all ("OCI runtime exec failed ... read
    init-p: connection reset by peer", seen on a loaded engine in Docker-in-Docker): its
    command never ran, so asking again is safe. The engine says so only in the exec's output."""
    for attempt in range(1, EXEC_ATTEMPTS + 1):
        if attempt > 1:
            time.sleep(0.5 * (attempt - 1))
        yield attempt


class Sandbox:
    def __init__(self, client: docker.DockerClient, image: str, page: str, *, engine: bool = False,
                 seed: Path | None = None, create: dict | None = None, reader: bool = True,
                 before_engine: Callable[[Sandbox], None] | None = None, disk: int = DEFAULT_DISK):
        self.client = client
        self.image = image
        self.page = page
        self.engine = engine
        self.seed = seed
        self.create = dict(create or {})  # extra create arguments, e.g. the GPU's devices
        self.reader = reader  # False for other images: use their own user and working directory
        self.before_engine = before_engine  # e.g. write the CDI spec the engine reads when it starts
        self.disk = disk  # bytes the page may write (see DEFAULT_DISK)
        self.container: Container | None = None
        self.volume: Volume | None = None
        self._shell: Shell | None = None
        self.online = False
        self.timings: dict[str, float] = {}
        self.disk_bound = DiskBound(disk, lambda: self.disk_used(), lambda: self.volume is not None)
        self._engine_thread: threading.Thread | None = None  # the nested engine, starting
        self._engine_error: BaseException | None = None
        self._answered = False  # the nested engine answers (its seed may still be loading)
        self._settled = threading.Event()  # it answers, or its start failed: what a version-only block waits for

    # -- lifecycle -------------------------------------------------------------
    def start(self, engine_in_background: bool = False) -> None:
        """Create and start the container; with an engine, start it too, or with `engine_in_background`
        let it start while the caller goes on (wait_engine before anything talks to it)."""
        t0 = time.monotonic()
        run_labels = {**labels.for_run(), f"{labels.PREFIX}.page": self.page[-200:]}
        # No host paths: the engine may be on another machine (see transfer.py).
        mounts: dict[str, dict[str, str]] = {}
        extra = dict(LIMITS)
        if self.engine:
            volume = self.volume = self.client.volumes.create(labels=run_labels)
            mounts[volume.name] = {"bind": "/var/lib/docker", "mode": "rw"}
            if self.seed:
                seed = transfer.seed_volume(self.client, self.seed, self.image)
                mounts[seed] = {"bind": transfer.SEED_DIR, "mode": "ro"}
            extra = {**ENGINE_LIMITS, **ENGINE_SECURITY}
        extra["ulimits"] = [*ULIMITS, docker.types.Ulimit(name="fsize", soft=self.disk, hard=self.disk)]
        more = dict(self.create)
        mounts.update(more.pop("volumes", {}))
        extra.update(more)
        net = None if NO_NETWORK else run_network(self.client)
        where = {"network_mode": "none"} if net is None else {"network": net.name}
        container = self.container = create_container(
            self.client, self.image, ["sleep", "infinity"], init=True, detach=True, labels=run_labels,
            volumes=mounts, hostname="sandbox", extra_hosts={"sandbox": "127.0.1.1"},
            **({"working_dir": HOME} if self.reader else {}), **where, **extra,
        )
        transfer.put_helpers(container)
        if net is not None:
            # Offline until a block opts in: leave the network before the first process starts.
            net.disconnect(container)
        container.start()
        self.timings["container"] = time.monotonic() - t0
        if self.engine:
            # The engine starts while the page's first blocks run; a block that may use it waits
            # (wait_engine). Starting and seeding it is most of a Docker page's own overhead.
            self._engine_thread = interrupts.background(self._engine_in_background, f"engine:{self.page[-40:]}")
            if not engine_in_background:
                self.wait_engine()

    def _engine_in_background(self) -> None:
        t1 = time.monotonic()
        try:
            if self.before_engine is not None:
                self.before_engine(self)
            self._start_engine()
        except BaseException as e:  # noqa: BLE001 - kept, and raised where a block waits for the engine
            self._engine_error = e
        finally:
            self.timings["engine"] = time.monotonic() - t1 - self.timings.get("seed", 0.0)
            self._settled.set()

    def wait_engine(self, seeded: bool = True) -> None:
        """Block until the page's engine answers, and unless `seeded` is False until it holds the
        base images too; its start's failure is raised here."""
        thread = self._engine_thread
        if thread is None:
            return
        t0 = time.monotonic()
        if not seeded:
            self._settled.wait()
            if self._answered:
                self.timings["engine_wait"] = self.timings.get("engine_wait", 0.0) + time.monotonic() - t0
                return
        thread.join()
        self._engine_thread = None
        self.timings["engine_wait"] = self.timings.get("engine_wait", 0.0) + time.monotonic() - t0
        if self._engine_error is not None:
            error, self._engine_error = self._engine_error, None
            if isinstance(error, SandboxFailed):
                raise error
            raise SandboxFailed(f"the page's Docker engine did not start: {error}") from error

    def _start_engine(self) -> None:
        code, out = self.exec_root(["sh", "/opt/hb/start-engine.sh"])
        if code != 0:
            raise SandboxFailed(f"the page's Docker engine did not start:\n{out}")
        self._answered = True
        self._settled.set()
        if self.seed:
            t0 = time.monotonic()
            code, out = self.exec_root(["docker", "load", "-q", "-i", SEED_IN_CONTAINER])
            self.timings["seed"] = time.monotonic() - t0
            if code != 0:
                raise SandboxFailed(f"seeding the page's Docker engine failed:\n{out}")

    def remove(self) -> None:
        if self._engine_thread is not None:
            self._engine_thread.join(timeout=120)  # its exec would fail on a removed container anyway
            self._engine_thread = None
        if self._shell:
            self._shell.close()
        removals = []
        if self.container is not None:
            removals.append(functools.partial(self.container.remove, force=True, v=True))
        if self.volume is not None:
            removals.append(functools.partial(self.volume.remove, force=True))
        for remove in removals:
            try:
                remove()
            except docker.errors.NotFound:
                pass
            except docker.errors.APIError as e:
                if not labels.conflict(e):
                    raise
            except requests.exceptions.ConnectionError:
                break  # the engine is gone, and its containers with it; the next run sweeps the rest
        self.container = self.volume = None

    # -- access ----------------------------------------------------------------
    def shell(self) -> Shell:
        if self._shell is None:
            env = {k: v for k, v in SHELL_ENV.items() if self.reader or k not in ("HOME", "USER")}
            who = ["-u", "reader", "-w", HOME] if self.reader else []
            env_args = [x for k, v in env.items() for x in ("-e", f"{k}={v}")]
            argv = [docker_cli(), "exec", "-it", *who, *env_args,
                    self.live.id, "bash", "--norc", "--noprofile", "--noediting", "-i"]
            for attempt in _runtime_attempts():
                try:
                    self._shell = Shell(argv)
                    break
                except ShellGone as e:
                    if RUNTIME_FAILED not in str(e) or attempt == EXEC_ATTEMPTS:
                        raise  # bash itself did not start: the page's error, not the runtime's
        assert self._shell is not None
        return self._shell

    def exec_root(self, argv: list[str], detach: bool = False, user: str = "root") -> tuple[int, str]:
        for attempt in _runtime_attempts():
            try:
                r = self.live.exec_run(argv, user=user, detach=detach)
            except (docker.errors.APIError, OSError) as e:
                raise EngineStopped(f"the Docker engine stopped answering: {e}") from e
            if detach:
                return 0, ""
            out = r.output.decode("utf-8", "replace")
            if r.exit_code == 0 or not out.startswith(RUNTIME_FAILED) or attempt == EXEC_ATTEMPTS:
                return r.exit_code, out
        raise AssertionError("_runtime_attempts ends with attempt EXEC_ATTEMPTS, which returns")

    def write_file(self, path: str, content: bytes, mode: int = 0o644) -> None:
        """Put a file into the container as the reader would have saved it."""
        if not self.live.put_archive("/", transfer.file_archive(path, content, mode, READER_UID if self.reader else 0,
                                                               home=HOME, home_uid=READER_UID)):
            raise SandboxFailed(f"could not write {path} into the sandbox")

    def copy_in(self, files) -> None:
        """The page's data files (`files=`), into the working directory, bytes and modes as they are."""
        for name, source in files:
            executable = source.stat().st_mode & 0o111
            self.write_file(f"{HOME}/{name}", source.read_bytes(), 0o755 if executable else 0o644)

    def set_online(self, online: bool) -> None:
        if online == self.online:
            return
        if NO_NETWORK:
            raise NetworkUnavailable("this block needs the network, but this run has none (HANDBOOK_NETWORK=none)")
        net = run_network(self.client)
        if online:
            net.connect(self.live)
        else:
            net.disconnect(self.live, force=True)
        self.online = online

    def disk_used(self) -> tuple[int, int] | None:
        """Bytes the page wrote: (its container layer, its Docker engine's volume), or None
        when the engine cannot say."""
        try:
            # the listing computes SizeRw on request (inspect_container in docker-py cannot ask for it)
            found = self.client.api.containers(all=True, size=True, filters={"id": self.live.id})
            layer = (found[0].get("SizeRw") or 0) if found else 0
            engine = 0
            if self.volume is not None:
                code, out = self.exec_root(["du", "-sxb", "/var/lib/docker"])
                engine = int(out.split()[0]) if code == 0 and out.split() else 0
        except (docker.errors.APIError, EngineStopped, requests.exceptions.RequestException, ValueError):
            return None
        return layer, engine

    def over_disk(self, now: float | None = None, force: bool = False) -> str:
        """Why the page is over its disk bound, or '' as far as is known (diskbound.py)."""
        return self.disk_bound.look(now, force)

    @property
    def process_limit(self) -> int:
        return int((ENGINE_LIMITS if self.engine else LIMITS)["pids_limit"])

    @property
    def live(self) -> Container:
        """The started container (the harness asks for it only between start() and remove())."""
        if self.container is None:
            raise EngineStopped("the page's container is not there (never started, or already removed)")
        return self.container
