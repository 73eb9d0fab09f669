"""Labels that mark what a test run creates, and the sweep that removes it.

Every container, image, volume and network a run makes carries the run's
labels, so that the run can remove exactly its own objects at the end, and
the next run can remove what a killed run left behind, without touching a
contributor's own objects or those of another run that is still alive.
"""
from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable

import docker
import docker.errors

PREFIX = "org.handbook"
HARNESS = f"{PREFIX}.harness"  # present on everything the harness creates
RUN = f"{PREFIX}.run"  # id of the run that created the object
PID = f"{PREFIX}.pid"  # pid of the process that owns the run
HOST = f"{PREFIX}.host"  # hostname of that process
CACHE = f"{PREFIX}.cache"  # on cached images, which outlive a run
STANDIN = f"{PREFIX}.standin"  # on base images built locally instead of pulled

RUN_ENV = "HANDBOOK_RUN_ID"
OWNER_ENV = "HANDBOOK_RUN_PID"


def current_run() -> tuple[str, int]:
    """The id and owner pid of this run, shared with pytest-xdist workers."""
    # A caller may name the run (tests do, to find its objects); the first process owns it.
    os.environ.setdefault(RUN_ENV, uuid.uuid4().hex[:12])
    os.environ.setdefault(OWNER_ENV, str(os.getpid()))
    return os.environ[RUN_ENV], int(os.environ[OWNER_ENV])


def for_run() -> dict[str, str]:
    run_id, pid = current_run()
    return {HARNESS: "1", RUN: run_id, PID: str(pid), HOST: socket.gethostname()}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _owned_by_dead_run(labels: dict[str, str]) -> bool:
    if labels.get(HOST) != socket.gethostname():
        return False  # another machine's run: we cannot tell, so leave it
    try:
        return not _alive(int(labels.get(PID, "")))
    except ValueError:
        return True


def conflict(error: docker.errors.APIError) -> bool:
    """Whether the engine refused a removal with 409 Conflict: another removal of the same
    object is under way (two runs sweeping at once, or a page and its run), or the object is
    still in use by one being removed. Either way it goes, now or at the next sweep."""
    return error.status_code == 409


def _remove(client: docker.DockerClient, select) -> list[str]:
    """Remove containers, then networks, volumes and images that `select` picks.

    The low-level listings carry the labels, so nothing is inspected one by one: another
    run may remove an object between our listing and our look at it.
    """
    api = client.api
    removed = []
    flt = {"label": HARNESS}

    def attempt(what: str, remove: Callable[..., object], *args: str, **kwargs: bool) -> None:
        try:
            remove(*args, **kwargs)
            removed.append(what)
        except docker.errors.NotFound:
            pass  # gone already: its own run removed it
        except docker.errors.APIError as e:
            if not conflict(e):
                raise

    for c in api.containers(all=True, filters=flt):
        if select(c.get("Labels") or {}):
            attempt(f"container {c['Id'][:12]}", api.remove_container, c["Id"], force=True, v=True)
    for n in api.networks(filters=flt):
        if select(n.get("Labels") or {}):
            attempt(f"network {n['Name']}", api.remove_network, n["Id"])
    for v in (api.volumes(filters=flt).get("Volumes") or []):
        if select(v.get("Labels") or {}):
            attempt(f"volume {v['Name'][:12]}", api.remove_volume, v["Name"], force=True)
    for i in api.images(filters=flt):
        image_labels = i.get("Labels") or {}
        if image_labels.get(CACHE) != "true" and select(image_labels):
            attempt(f"image {i['Id'][7:19]}", api.remove_image, i["Id"], force=True)
    return removed


def remove_run(client: docker.DockerClient, run_id: str) -> list[str]:
    """Remove everything that run `run_id` created (cached images stay)."""
    return _remove(client, lambda labels: labels.get(RUN) == run_id)


def remove_stale(client: docker.DockerClient) -> list[str]:
    """Remove what runs whose owner process is gone left behind."""
    return _remove(client, _owned_by_dead_run)
