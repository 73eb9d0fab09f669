"""GPU blocks: decide whether they can run here, and give their container the GPU.

The decision comes from a probe, not an assumption: a GPU block is skipped,
with the probe's reason, where there is no working `nvidia-smi`, no device
nodes, or no way to hand the GPU to a container. The container gets the GPU
from the NVIDIA container toolkit when the engine has it (`--gpus all`, a
DeviceRequest in the SDK); otherwise the harness does what the toolkit would
do: it passes the device nodes and mounts the host driver's libraries and
`nvidia-smi` read-only. The driver side always comes from the host. A page
whose GPU blocks drive its own Docker engine gets the GPU in its sandbox, and
harness/cdi.py hands it on to that engine's containers.

HANDBOOK_GPU_HOST_ROOT (default `/`) is where the probe looks for the device
nodes (`dev/nvidia*`) and, when it is not `/`, the driver's libraries
(`usr/lib/x86_64-linux-gnu/`): the tests point it at a fake GPU.
"""
from __future__ import annotations

import glob
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from functools import lru_cache

import docker.types

from .endpoint import is_remote

# What a CUDA program and nvidia-smi need from the host's driver.
DRIVER_LIBS = ("libcuda.so.1", "libnvidia-ml.so.1", "libnvidia-ptxjitcompiler.so.1", "libnvidia-nvvm.so.4")
LIB_DIR_IN_CONTAINER = "/usr/local/nvidia/lib64"


@dataclass
class Access:
    usable: bool
    reason: str  # why not, or what was found
    how: str = ""  # "toolkit" or "devices"
    create: dict = field(default_factory=dict)  # extra arguments for containers.create


HOST_ROOT_ENV = "HANDBOOK_GPU_HOST_ROOT"
# What `docker run --gpus` needs on the engine's side: the toolkit's hook and CLI.
TOOLKIT_PROGRAMS = ("nvidia-container-runtime-hook", "nvidia-container-cli")


def _host_root() -> str:
    return os.environ.get(HOST_ROOT_ENV) or "/"


def host_has_toolkit() -> bool:
    """Whether this host has the NVIDIA Container Toolkit that `--gpus` needs in an engine."""
    return all(shutil.which(name) for name in TOOLKIT_PROGRAMS)


def _driver_libs() -> dict[str, str]:
    root = _host_root()
    if root != "/":
        lib_dir = os.path.join(root, "usr/lib/x86_64-linux-gnu")
        return {n: os.path.realpath(os.path.join(lib_dir, n)) for n in DRIVER_LIBS
                if os.path.isfile(os.path.join(lib_dir, n))}
    try:
        out = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.TimeoutExpired):
        return {}
    found: dict[str, str] = {}
    for line in out.splitlines():
        name = line.strip().split(" ")[0]
        # the 64-bit copy: a host may also carry 32-bit driver libraries
        if name in DRIVER_LIBS and name not in found and "=>" in line and "x86-64" in line:
            found[name] = os.path.realpath(line.split("=>")[-1].strip())
    return found


def _engine_has_toolkit(client) -> bool:
    try:
        return "nvidia" in (client.info().get("Runtimes") or {})
    except Exception:  # noqa: BLE001 - an engine that cannot say has no toolkit for us
        return False


@lru_cache(maxsize=1)
def _host() -> tuple[bool, str]:
    if os.environ.get("HANDBOOK_GPU") == "0":
        return False, "GPU blocks disabled by HANDBOOK_GPU=0"
    smi = shutil.which("nvidia-smi")
    if not smi:
        return False, "no NVIDIA GPU here: `nvidia-smi` is not installed on this machine"
    try:
        r = subprocess.run([smi, "-L"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as e:
        return False, f"`nvidia-smi -L` did not run: {e}"
    if r.returncode != 0 or "GPU" not in r.stdout:
        return False, f"`nvidia-smi -L` found no GPU: {(r.stderr or r.stdout).strip()[:200]}"
    return True, r.stdout.strip().split("\n")[0]


def probe(client=None) -> Access:
    if client is not None and is_remote(client):
        return _remote(client)
    ok, found = _host()
    if not ok:
        return Access(False, found)
    if client is not None and _engine_has_toolkit(client):
        request = docker.types.DeviceRequest(count=-1, capabilities=[["gpu"]])
        return Access(True, found, "toolkit", {"device_requests": [request]})
    dev = os.path.join(_host_root(), "dev")
    nodes = [p for p in sorted(glob.glob(os.path.join(dev, "nvidia*"))) if not os.path.isdir(p)]
    if not nodes:
        return Access(False, "nvidia-smi works but there are no /dev/nvidia* device nodes to give a container")
    libs = _driver_libs()
    missing = [n for n in DRIVER_LIBS[:2] if n not in libs]
    if missing:
        return Access(False, f"no NVIDIA container toolkit, and the driver's {', '.join(missing)} were not found "
                             "to mount into the container")
    volumes = {path: {"bind": f"{LIB_DIR_IN_CONTAINER}/{name}", "mode": "ro"} for name, path in libs.items()}
    smi = shutil.which("nvidia-smi") or "nvidia-smi"  # _host() found it on PATH a moment ago
    volumes[os.path.realpath(smi)] = {"bind": "/usr/bin/nvidia-smi", "mode": "ro"}
    create = {
        "devices": [f"{n}:/dev/{os.path.basename(n)}:rwm" for n in nodes],
        "volumes": volumes,
        "environment": {"LD_LIBRARY_PATH": LIB_DIR_IN_CONTAINER, "NVIDIA_VISIBLE_DEVICES": "all"},
    }
    return Access(True, found, "devices", create)


def _remote(client) -> Access:
    """An engine on another machine: only its own toolkit can give a container that machine's GPU;
    the device nodes and driver files here are not there."""
    if os.environ.get("HANDBOOK_GPU") == "0":
        return Access(False, "GPU blocks disabled by HANDBOOK_GPU=0")
    if _engine_has_toolkit(client):
        request = docker.types.DeviceRequest(count=-1, capabilities=[["gpu"]])
        return Access(True, "the remote engine's NVIDIA runtime", "toolkit", {"device_requests": [request]})
    return Access(False, f"the Docker engine is remote ({client.api.base_url}) and has no NVIDIA container "
                         "toolkit: this machine's GPU cannot reach its containers")


def describe(access: Access) -> str:
    if access.how == "toolkit":
        return f"{access.reason}; GPU given by the NVIDIA container toolkit (--gpus all)"
    return (f"{access.reason}; no container toolkit: the harness passed the /dev/nvidia* nodes and mounted the "
            "host driver's libraries and nvidia-smi read-only")
