"""Find, or on a bare Debian machine install and start, the Docker engine.

Every example in the handbook runs in a container, so nothing works without
an engine. Contributors usually have one already; CI starts on a fresh Debian
12 machine as root with none, and must get one unattended. Elsewhere (not root,
or no apt) we cannot install anything, so we say how to get an engine instead.

The builds need BuildKit. Debian's CLI 20.10 (/usr/bin/docker) does BuildKit
builds by itself; newer CLIs need the buildx plugin, which is not always there.
`docker_cli()` picks a CLI that really can.

Run `python -m harness.engine` to ensure the engine and print one line.
"""
from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import time
from collections import deque
from pathlib import Path

import docker
import docker.errors
import requests.exceptions

from . import endpoint
from .endpoint import client_from_env
from .errors import EngineUnavailable, StepFailed

ROOT = Path(__file__).resolve().parents[1]
LOG_DIR = ROOT / "build" / "logs"
DOCKERD_LOG = Path("/tmp/handbook-dockerd.log")
DOCKERD_PID = Path("/var/run/docker.pid")
CLI_ENV = "HANDBOOK_DOCKER_CLI"
APT_PACKAGES = ["docker.io", "debootstrap"]

HOW_TO = (
    "No Docker engine answers. Install Docker Engine (https://docs.docker.com/engine/install/, "
    "or `sudo apt-get install docker.io` on Debian/Ubuntu), start the daemon "
    "(`sudo systemctl start docker`, or `sudo dockerd &`), and make sure you may use it "
    "(add yourself to the `docker` group), or set DOCKER_HOST to an engine you can reach."
)


def run_logged(cmd: list[str], log_name: str, *, env: dict | None = None,
               stdin=None, tail: int = 40) -> Path:
    """Run `cmd` with its output in build/logs/<log_name>.log.

    Long steps print pages of progress that nobody reads when they work; when
    they fail, the tail of the log is what one needs, so it goes into the error.
    """
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    log = LOG_DIR / f"{log_name}.log"
    with log.open("w") as out:
        out.write(f"$ {' '.join(cmd)}\n")
        out.flush()
        proc = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT,
                              stdin=stdin if stdin is not None else subprocess.DEVNULL,
                              env=env)
    if proc.returncode != 0:
        raise StepFailed(f"{log_name} failed (exit {proc.returncode}); full log: {log}\n"
                         f"--- last {tail} lines ---\n{log_tail(log, tail)}")
    return log


def log_tail(path: Path, lines: int) -> str:
    with path.open(errors="replace") as f:
        return "".join(deque(f, maxlen=lines))


def ping() -> docker.DockerClient | None:
    """A client for the engine that DOCKER_HOST (or a context, or the default socket) names, if it answers."""
    return _reach()[0]


def _reach() -> tuple[docker.DockerClient | None, str]:
    """A client for the engine if it answers, else None and why not."""
    try:
        client = client_from_env(10)
        client.ping()
        # answering quickly is the test; real work (removing a page's engine under load) takes longer
        client.api.timeout = 300
        return client, ""
    except (docker.errors.DockerException, requests.exceptions.RequestException, OSError) as e:
        return None, str(e).split("\n")[0][:300]


def can_install() -> bool:
    """Whether we may install Debian packages ourselves: root on an apt system."""
    return (hasattr(os, "geteuid") and os.geteuid() == 0
            and shutil.which("apt-get") is not None)


def apt_install(packages: list[str]) -> None:
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    run_logged(["apt-get", "update"], "apt-update", env=env)
    run_logged(["apt-get", "install", "-y", *packages], "apt-install", env=env)


def dockerd_running() -> bool:
    """A dockerd that wrote its pid file and is alive is starting up: wait for it
    rather than start a second one that would fight it for the socket."""
    try:
        os.kill(int(DOCKERD_PID.read_text().strip()), 0)
        return True
    except (OSError, ValueError):
        return False


def start_dockerd() -> None:
    # setsid: the daemon must outlive this process and the make/pytest that ran it.
    with DOCKERD_LOG.open("ab") as log:
        subprocess.Popen(["dockerd"], stdin=subprocess.DEVNULL, stdout=log,
                         stderr=subprocess.STDOUT, start_new_session=True)


def wait_for_engine(timeout: float) -> docker.DockerClient:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        client = ping()
        if client is not None:
            return client
        time.sleep(0.5)
    raise EngineUnavailable(f"dockerd did not answer within {timeout:.0f} s; "
                            f"see {DOCKERD_LOG}:\n{log_tail(DOCKERD_LOG, 20)}")


def ensure_engine(timeout: float = 60) -> docker.DockerClient:
    """Return a client for a working engine, installing and starting one if we may."""
    client, why = _reach()
    if client is not None:
        return client
    # A DOCKER_HOST (or context) that does not answer is someone else's engine: starting
    # a local one would not make it answer.
    if endpoint.named():
        raise EngineUnavailable(f"The Docker engine at {endpoint.named()} does not answer: {why or 'no reply'}")
    if not can_install():
        raise EngineUnavailable(HOW_TO)
    if shutil.which("dockerd") is None:
        apt_install(APT_PACKAGES)
        # On a machine with systemd, the package has just started the service.
        client = ping()
        if client is not None:
            return client
    if not dockerd_running():
        start_dockerd()
    return wait_for_engine(timeout)


def _can_buildkit(cli: str) -> bool:
    """CLIs before 23.0 build with BuildKit by themselves (DOCKER_BUILDKIT=1);
    later ones hand the build to the buildx plugin and fail without it."""
    if subprocess.run([cli, "buildx", "version"], capture_output=True).returncode == 0:
        return True
    out = subprocess.run([cli, "version", "--format", "{{.Client.Version}}"],
                         capture_output=True, text=True).stdout.strip()
    try:
        return int(out.split(".")[0]) < 23
    except ValueError:
        return False


@functools.cache
def docker_cli() -> str:
    """Path of a docker CLI that can do BuildKit builds (override: HANDBOOK_DOCKER_CLI)."""
    override = os.environ.get(CLI_ENV)
    if override:
        return override
    candidates = dict.fromkeys(c for c in ("/usr/bin/docker", shutil.which("docker"))
                               if c and os.access(c, os.X_OK))
    for cli in candidates:
        if _can_buildkit(cli):
            return cli
    raise EngineUnavailable(
        f"No docker CLI here can build with BuildKit (tried: {', '.join(candidates) or 'none'}). "
        f"Install Debian's docker.io (its /usr/bin/docker builds with BuildKit), or the buildx "
        f"plugin, or point {CLI_ENV} at a CLI that can.")


def main() -> int:
    try:
        client = ensure_engine()
    except (EngineUnavailable, StepFailed) as exc:
        print(f"harness.engine: {exc}", file=sys.stderr)
        return 1
    version = client.version().get("Version", "?")
    try:
        cli = docker_cli()
    except EngineUnavailable as exc:
        cli = f"none ({exc})"
    where = endpoint.named() or "unix:///var/run/docker.sock"
    print(f"docker engine {version} at {where}; build CLI: {cli}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
