"""The harness against an engine that shares no file system with it.

The remote engine is a second dockerd in a container on the host's engine (Docker-in-Docker,
the sandbox image running its own engine), listening on TCP, published on 127.0.0.1 only. A page
runs there with DOCKER_HOST=tcp://127.0.0.1:PORT: the harness provisions the images on that
engine itself (the debian stand-in built here and imported through the API, the rest built
there), copies its helpers and the seed through the API, and the page's own engine runs a
container: an engine in a sandbox in the remote engine. The host's engine must see none of it.
The same page then runs there through a Docker context (DOCKER_CONTEXT), and over ssh://
(DOCKER_HOST=ssh://root@127.0.0.1:PORT, an sshd in the engine's container, and a key and
ssh config made for the test) with two workers, with the images already built there. Over ssh
the run must log in once (the workers share the controller's forward) and leave no ssh behind.

Slow: the images are built on a fresh engine each time (about 5 minutes on a two-core machine,
most of it the sandbox image's apt and pip installs), so it is marked `slow`; `make test` runs it.
"""
from __future__ import annotations

import os
import shlex
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import docker
import docker.errors
import pytest
from pagerun import PAGES, run_pages

from bench.remote import dind_engine, free_port
from harness import labels
from harness.engine import docker_cli

pytestmark = [pytest.mark.docker, pytest.mark.slow]

PAGE = PAGES / "remote" / "page.md"


def own_labels(run_id: str) -> dict[str, str]:
    """The harness's labels for what this test makes, owned by this process: a run that finds
    them after this process was killed sweeps them (labels.remove_stale). Not labels.for_run(),
    which would make the page runs started from here share this process's run."""
    return {labels.HARNESS: "1", labels.RUN: run_id, labels.PID: str(os.getpid()),
            labels.HOST: socket.gethostname()}


def sandbox_image() -> str:
    from harness.images import ensure_sandbox_image

    return os.environ.get("HANDBOOK_SANDBOX_IMAGE") or ensure_sandbox_image()


@pytest.fixture
def host() -> docker.DockerClient:
    return docker.from_env(timeout=300)


@dataclass
class Remote:
    url: str  # tcp://127.0.0.1:PORT
    ssh_url: str  # ssh://root@127.0.0.1:PORT, the same engine through its sshd
    ssh_path: str  # a PATH whose `ssh` reads a config made for the test (key, no host-key prompt)
    run_id: str  # the label of the engine's container


def ssh_setup(tmp_path: Path, port: int) -> tuple[str, str]:
    """A key pair, an ssh config that uses it for 127.0.0.1, and an `ssh` first on PATH that
    reads that config: ssh reads ~/.ssh/config from the passwd entry's home, not from $HOME,
    and the contributor's own must stay as it is."""
    ssh_dir = tmp_path / "ssh"
    ssh_dir.mkdir()
    key = ssh_dir / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    config = ssh_dir / "config"
    config.write_text(f"Host 127.0.0.1\n  Port {port}\n  User root\n  IdentityFile {key}\n  IdentitiesOnly yes\n"
                      "  StrictHostKeyChecking no\n  UserKnownHostsFile /dev/null\n  LogLevel ERROR\n")
    config.chmod(0o600)
    wrapper = ssh_dir / "bin" / "ssh"
    wrapper.parent.mkdir()
    wrapper.write_text(f"#!/bin/sh\nexec {shutil.which('ssh')} -F {config} \"$@\"\n")
    wrapper.chmod(0o755)
    return f"{wrapper.parent}:{os.environ['PATH']}", key.with_suffix(".pub").read_text().strip()


def start_sshd(public_key: str):
    def setup(box) -> None:
        script = ("set -e; mkdir -p /root/.ssh /run/sshd; chmod 700 /root/.ssh; "
                  f"printf '%s\\n' {shlex.quote(public_key)} > /root/.ssh/authorized_keys; "
                  "chmod 600 /root/.ssh/authorized_keys; ssh-keygen -A >/dev/null; "
                  "/usr/sbin/sshd -p 22 -E /var/log/sshd.log")
        code, out = box.exec_run(["sh", "-c", script], user="root")
        assert code == 0, out.decode(errors="replace")
    return setup


@pytest.fixture
def remote_engine(host: docker.DockerClient, tmp_path: Path) -> Iterator[Remote]:
    """A fresh engine in a container, reached on 127.0.0.1 only, over TCP and over ssh; removed afterwards."""
    ssh_port = free_port()
    path, public_key = ssh_setup(tmp_path, ssh_port)
    run_id = f"remote-{uuid.uuid4().hex[:8]}"
    with dind_engine(host, sandbox_image(), own_labels(run_id),
                     publish={22: ssh_port}, setup=start_sshd(public_key)) as url:
        yield Remote(url, f"ssh://root@127.0.0.1:{ssh_port}", path, run_id)


def created(client: docker.DockerClient, since: float, until: float, run_id: str) -> list[str]:
    """Containers and volumes of run `run_id` that `client`'s engine created between the two times."""
    found = []
    for event in client.events(since=int(since), until=int(until) + 1, decode=True):
        attributes = (event.get("Actor") or {}).get("Attributes") or {}
        name = attributes.get("name") or (event.get("Actor") or {}).get("ID", "")
        mine = attributes.get(labels.RUN) == run_id or run_id in name
        if event.get("Action") == "create" and event.get("Type") in ("container", "volume") and mine:
            found.append(f"{event['Type']} {name[:40]}")
    return found


UNSET = ("DOCKER_HOST", "DOCKER_CONTEXT", "HANDBOOK_RUN_PID", "HANDBOOK_SANDBOX_IMAGE", "HANDBOOK_SEED")


def runs_there_only(host: docker.DockerClient, remote: Remote, tmp_path: Path, env: dict[str, str],
                    extra: tuple[str, ...] = ()) -> list[str]:
    """Run the page with `env` naming the remote engine; it passes, and only that engine saw it."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    run_id = f"page-{uuid.uuid4().hex[:8]}"
    began = time.time()
    out = run_pages(PAGE, tmp_path=tmp_path, timeout=1500, env={**env, "HANDBOOK_RUN_ID": run_id}, extra=extra,
                    unset=tuple(name for name in UNSET if name not in env))
    ended = time.time()
    assert out.code == 0, out.output
    assert "5 passed" in out.output, out.output
    engine = docker.DockerClient(base_url=remote.url, timeout=60)
    there = created(engine, began, ended, run_id)
    assert created(host, began, ended, run_id) == []
    # the run removed what it made on the remote engine
    assert engine.api.containers(all=True, filters={"label": f"{labels.RUN}={run_id}"}) == []
    assert (engine.api.volumes(filters={"label": f"{labels.RUN}={run_id}"}).get("Volumes") or []) == []
    return there


def test_a_page_runs_on_a_remote_engine_and_the_host_engine_sees_none_of_it(host, remote_engine, tmp_path):
    # DOCKER_HOST=tcp://: the images are built there, the first time
    there = runs_there_only(host, remote_engine, tmp_path / "tcp", {"DOCKER_HOST": remote_engine.url})
    # the sandbox, and the seed volume with the container that filled it
    assert any(c.startswith("volume handbook-seed-") for c in there), there
    assert sum(c.startswith("container") for c in there) >= 2, there

    # a Docker context that names it (docker context create; DOCKER_CONTEXT)
    config = tmp_path / "docker-config"
    subprocess.run([docker_cli(), "--config", str(config), "context", "create", "hb-remote",
                    "--docker", f"host={remote_engine.url}"], check=True, capture_output=True)
    there = runs_there_only(host, remote_engine, tmp_path / "context",
                            {"DOCKER_CONFIG": str(config), "DOCKER_CONTEXT": "hb-remote"})
    assert sum(c.startswith("container") for c in there) >= 1, there

    # DOCKER_HOST=ssh://: one forward by this machine's ssh, with its config, for the SDK, the CLI
    # and both workers
    there = runs_there_only(host, remote_engine, tmp_path / "ssh",
                            {"DOCKER_HOST": remote_engine.ssh_url, "PATH": remote_engine.ssh_path},
                            extra=("-n", "2", "--dist", "loadfile"))
    assert sum(c.startswith("container") for c in there) >= 1, there
    box = host.containers.list(filters={"label": f"{labels.RUN}={remote_engine.run_id}"})[0]
    logins = box.exec_run(["grep", "-c", "Accepted publickey", "/var/log/sshd.log"], user="root").output
    logins = logins.decode().strip()
    assert logins == "1", logins
    left = subprocess.run(["pgrep", "-af", "handbook-ssh-"], capture_output=True, text=True).stdout
    assert left == "", left
