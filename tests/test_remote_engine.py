"""The harness against an engine that shares no file system with it.

The remote engine is a second dockerd in a container on the host's engine (Docker-in-Docker,
the sandbox image running its own engine), listening on TCP, published on 127.0.0.1 only. A page
runs there with DOCKER_HOST=tcp://127.0.0.1:PORT: the harness provisions the images on that
engine itself (the debian stand-in built here and imported through the API, the rest built
there), copies its helpers and the seed through the API, and the page's own engine runs a
container: an engine in a sandbox in the remote engine. The host's engine must see none of it.

Slow: the images are built on a fresh engine each time (about 5 minutes on a two-core machine,
most of it the sandbox image's apt and pip installs), so it is marked `slow`; `make test` runs it.
"""
from __future__ import annotations

import os
import socket
import time
import uuid
from collections.abc import Iterator

import docker
import docker.errors
import pytest
from pagerun import PAGES, run_pages

from bench.remote import dind_engine
from harness import labels

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


@pytest.fixture
def remote_engine(host: docker.DockerClient) -> Iterator[str]:
    """DOCKER_HOST of a fresh engine in a container, on 127.0.0.1 only; removed afterwards."""
    with dind_engine(host, sandbox_image(), own_labels(f"remote-{uuid.uuid4().hex[:8]}")) as url:
        yield url


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


def test_a_page_runs_on_a_remote_engine_and_the_host_engine_sees_none_of_it(host, remote_engine, tmp_path):
    run_id = f"page-{uuid.uuid4().hex[:8]}"
    began = time.time()
    out = run_pages(PAGE, tmp_path=tmp_path, timeout=1500,
                    env={"DOCKER_HOST": remote_engine, "HANDBOOK_RUN_ID": run_id},
                    unset=("DOCKER_CONTEXT", "HANDBOOK_RUN_PID", "HANDBOOK_SANDBOX_IMAGE", "HANDBOOK_SEED"))
    ended = time.time()
    assert out.code == 0, out.output
    assert "5 passed" in out.output, out.output
    remote = docker.DockerClient(base_url=remote_engine, timeout=60)
    there = created(remote, began, ended, run_id)
    # the sandbox, and the seed volume with the container that filled it
    assert any(c.startswith("volume handbook-seed-") for c in there), there
    assert sum(c.startswith("container") for c in there) >= 2, there
    assert created(host, began, ended, run_id) == []
    # the run removed what it made on the remote engine
    assert remote.api.containers(all=True, filters={"label": f"{labels.RUN}={run_id}"}) == []
    assert (remote.api.volumes(filters={"label": f"{labels.RUN}={run_id}"}).get("Volumes") or []) == []
