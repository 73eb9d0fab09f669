"""What the suite must leave of the contributor's Docker engine as it found it.

A test once started a second dockerd that deleted the host's `docker0` bridge,
and every plain `docker run` on the machine failed until dockerd restarted.
The suite now records the engine before the first test and compares after the
last: the engine is the same one, `docker0` is still there, and the networks
and running containers that the harness did not make are all still there.

The hooks at the end do the recording and comparing; tests/conftest.py
imports them, and any other pytest run may load them with `-p hostcheck`.

Objects that carry the harness's label are left out: other runs (other
contributors' sessions on a shared engine) create and remove them all the time.
"""
from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field

import docker
import docker.errors
import requests.exceptions

HARNESS = "org.handbook.harness"


def has_bridge(name: str = "docker0") -> bool:
    """Whether this network namespace has the interface (asked of the kernel, not /sys,
    whose listing belongs to the namespace that mounted it)."""
    try:
        socket.if_nametoindex(name)
        return True
    except OSError:
        return False


@dataclass(frozen=True)
class EngineState:
    engine_id: str
    bridge: bool  # the default bridge `docker0` exists on this machine
    networks: dict[str, str] = field(default_factory=dict)  # id -> name, not the harness's
    running: dict[str, str] = field(default_factory=dict)  # container id -> name, not the harness's


def snapshot(client: docker.DockerClient) -> EngineState:
    api = client.api
    return EngineState(
        engine_id=client.info().get("ID", ""),
        bridge=has_bridge(),
        networks={n["Id"]: n["Name"] for n in api.networks() if HARNESS not in (n.get("Labels") or {})},
        running={c["Id"]: c["Names"][0].lstrip("/") for c in api.containers()
                 if HARNESS not in (c.get("Labels") or {})},
    )


def differences(before: EngineState, after: EngineState) -> list[str]:
    """What the run broke; new objects are not counted (someone else may have made them)."""
    found = []
    if after.engine_id != before.engine_id:
        found.append(f"the engine changed: id {before.engine_id} before, {after.engine_id or 'none'} after "
                     "(was it restarted, or is DOCKER_HOST another engine now?)")
    if before.bridge and not after.bridge:
        found.append("the default bridge docker0 is gone: plain `docker run` fails until dockerd restarts")
    for nid, name in before.networks.items():
        if nid not in after.networks:
            found.append(f"network {name} ({nid[:12]}) is gone")
    for cid, name in before.running.items():
        if cid not in after.running:
            found.append(f"container {name} ({cid[:12]}) no longer runs")
    return found


def connect() -> tuple[docker.DockerClient | None, str]:
    """A client for the host engine, or None and why not."""
    try:
        client = docker.from_env(timeout=30)
        client.ping()
        return client, ""
    except (docker.errors.DockerException, requests.exceptions.RequestException, OSError) as e:
        return None, f"no Docker engine answers ({e})"


# Set in the outermost run: pytest runs that tests start (and xdist workers) leave the check to it.
CHECKING = "HANDBOOK_HOST_CHECK_BY"


def _outermost(config) -> bool:
    return not hasattr(config, "workerinput") and not os.environ.get(CHECKING)


def pytest_sessionstart(session):
    config = session.config
    if not _outermost(config):
        return
    os.environ[CHECKING] = str(os.getpid())
    client, why = connect()
    config._hb_host = (client, snapshot(client) if client else None, why)


def pytest_sessionfinish(session, exitstatus):
    config = session.config
    client, before, why = getattr(config, "_hb_host", (None, None, ""))
    if not hasattr(config, "_hb_host"):
        return
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    say = reporter.write_line if reporter else print
    if before is None:
        say(f"host engine check skipped: {why}")
        return
    try:
        after = snapshot(client)
    except Exception as e:  # noqa: BLE001 - an engine that stopped answering is itself a finding
        problems = [f"the engine stopped answering: {e}"]
    else:
        problems = differences(before, after)
    if problems:
        say("the test run changed the host's Docker engine:")
        for p in problems:
            say(f"  {p}")
        session.exitstatus = 1
