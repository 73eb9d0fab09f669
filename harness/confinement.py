"""What confines a page's container: its limits, its security options, its network, its user.

The sandbox (sandbox.py) is the container's life; this is the policy it is
created with, in one place, so that what a page may use (memory, processes,
CPU, disk, network) can be read and changed without reading how it runs.
"""
from __future__ import annotations

import os
from typing import Any

import docker
import docker.errors
import docker.types
from docker.models.containers import Container

from . import labels, transfer

HOME = "/home/reader"
READER_UID = 1000
SEED_IN_CONTAINER = f"{transfer.SEED_DIR}/{transfer.SEED_FILE}"

LIMITS: dict[str, Any] = {"mem_limit": "2g", "memswap_limit": "2g", "pids_limit": 512,
                          "nano_cpus": 1_500_000_000}
ENGINE_LIMITS: dict[str, Any] = {"mem_limit": "4g", "memswap_limit": "4g", "pids_limit": 4096,
                                 "nano_cpus": 1_500_000_000}
# What a nested dockerd needs on a host without --privileged (CAP_SYS_RESOURCE is not ours to give).
ENGINE_SECURITY = {
    "cap_add": ["ALL"],
    "cap_drop": ["SYS_RESOURCE"],
    "security_opt": ["seccomp=unconfined", "apparmor=unconfined"],
    "device_cgroup_rules": ["a *:* rwm"],
    "cgroupns": "private",  # so the nested engine's cgroups sit under the sandbox's own limits
    "tmpfs": {"/run": ""},
}
# A reader's terminal, minus pagers that would wait for a key press.
SHELL_ENV = {"HOME": HOME, "USER": "reader", "TERM": "xterm", "PAGER": "cat", "GIT_PAGER": "cat",
             "MANPAGER": "cat", "LANG": "C.UTF-8", "COLUMNS": "80", "LINES": "50"}


# What a page may write to disk: its container layer and its Docker engine's volume together.
# overlay2 on ext4 (the usual host) cannot cap a container's layer, so the bound is enforced
# twice: no single file may grow past it (RLIMIT_FSIZE: `fallocate -l 5G big` fails at once),
# and the total is measured every few seconds while a block runs and after it.
DEFAULT_DISK = 4 * 2**30
DISK_CHECK_SECONDS = 5.0

# Explicit, modest limits: engines without CAP_SYS_RESOURCE cannot apply their huge defaults.
ULIMITS = [docker.types.Ulimit(name="nofile", soft=1024, hard=1024),
           docker.types.Ulimit(name="nproc", soft=4096, hard=4096)]
# Engines with no networking (Podman without its network plugins, a machine with no network)
# run every sandbox with network "none"; blocks that ask for the network then fail clearly.
NO_NETWORK = os.environ.get("HANDBOOK_NETWORK") == "none"


_NETWORKS: dict[tuple[str, str], dict[str, str]] = {}  # (engine, run) -> the network's Id and Name


def run_network(client: docker.DockerClient) -> docker.models.networks.Network:
    """The run's one network; the controlling process creates it before workers start.

    Looked up once a process: blocks switch the network on and off dozens of times a run, and
    a lookup (11 ms) each time was a third of the switch."""
    run_id, _ = labels.current_run()
    key = (str(client.api.base_url), run_id)
    if key not in _NETWORKS:
        name = f"handbook-net-{run_id}"
        found = client.networks.list(names=[name], filters={"label": f"{labels.RUN}={run_id}"})
        net = sorted(found, key=lambda n: n.id)[0] if found else \
            client.networks.create(name, driver="bridge", labels=labels.for_run(), check_duplicate=True)
        _NETWORKS[key] = {"Id": str(net.id), "Name": str(net.name)}
    return client.networks.prepare_model(dict(_NETWORKS[key]))


def create_container(client: docker.DockerClient, image: str, command: list[str], **kwargs: Any) -> Container:
    """containers.create, on engines that lack CAP_SYS_RESOURCE themselves too.

    An engine that runs in a container (a remote engine in Docker-in-Docker, rootless Docker)
    may not have the capability, and then refuses to drop it: "invalid CapDrop ... not available
    in the current environment". Its containers cannot have it anyway, so ask without the drop.
    """
    try:
        return client.containers.create(image, command, **kwargs)
    except docker.errors.APIError as e:
        drops = [c for c in kwargs.get("cap_drop") or [] if c.upper().removeprefix("CAP_") != "SYS_RESOURCE"]
        if "SYS_RESOURCE" not in str(e) or drops == kwargs.get("cap_drop"):
            raise
        return client.containers.create(image, command, **{**kwargs, "cap_drop": drops or None})
