"""A CDI spec for the GPU a page's sandbox was given, so that its own Docker engine can pass it on.

A reader's `docker run --device nvidia.com/gpu=all ...` asks the engine for the devices a
Container Device Interface spec (in /etc/cdi or /var/run/cdi) names; on a real machine
`nvidia-ctk cdi generate` writes that spec. A page's nested engine has no toolkit, but the
sandbox it runs in already holds the GPU: the device nodes and the driver's libraries that
harness/gpu.py gave it. This module finds them inside the sandbox and writes the spec that
hands them on, the same kind of spec the toolkit would write: device nodes per GPU, and the
driver's files bind-mounted read-only.

The spec is JSON (which CDI reads as well as YAML), written before the engine starts.
"""
from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field

from .gpu import DRIVER_LIBS, LIB_DIR_IN_CONTAINER

KIND = "nvidia.com/gpu"
SPEC_PATH = "/etc/cdi/nvidia.json"
CDI_VERSION = "0.5.0"  # the newest version Docker 26's CDI library reads that has all we use
PER_GPU = re.compile(r"^/dev/nvidia(\d+)$")

# Run as root in the sandbox: what the GPU looks like from inside. One "kind path" line each.
DISCOVER = (
    "for n in /dev/nvidia*; do [ -c \"$n\" ] && echo \"node $n\"; done; "
    "smi=$(command -v nvidia-smi) && echo \"smi $smi\"; "
    + " ".join(f"p=$(ls {LIB_DIR_IN_CONTAINER}/{name} 2>/dev/null || "
               f"ldconfig -p | awk '$1 == \"{name}\" && /x86-64/ {{print $NF; exit}}'); "
               f"[ -n \"$p\" ] && echo \"lib $p\";" for name in DRIVER_LIBS)
)


@dataclass
class Found:
    """What the sandbox holds of the GPU."""

    nodes: list[str] = field(default_factory=list)
    libs: list[str] = field(default_factory=list)
    smi: str = ""

    @classmethod
    def parse(cls, output: str) -> Found:
        found = cls()
        for line in output.splitlines():
            kind, _, path = line.strip().partition(" ")
            if kind == "node":
                found.nodes.append(path)
            elif kind == "lib":
                found.libs.append(path)
            elif kind == "smi":
                found.smi = path
        return found


def _mount(path: str, target: str) -> dict[str, object]:
    return {"hostPath": path, "containerPath": target, "options": ["ro", "nosuid", "nodev", "bind"]}


def spec(found: Found) -> dict[str, object]:
    """The CDI spec: `nvidia.com/gpu=all` and one device per GPU (`=0`, `=1`, ...), each with its
    own node; the shared nodes (nvidiactl, nvidia-uvm, ...), the driver libraries and nvidia-smi
    go to every container that asks for any of them."""
    index = {n: m[1] for n in found.nodes if (m := PER_GPU.match(n))}  # /dev/nvidia0 -> "0"
    per_gpu = sorted(index, key=lambda n: int(index[n]))
    shared = [n for n in found.nodes if n not in index]
    devices: list[dict[str, object]] = [
        {"name": index[n], "containerEdits": {"deviceNodes": [{"path": n}]}} for n in per_gpu
    ]
    devices.append({"name": "all", "containerEdits": {"deviceNodes": [{"path": n} for n in per_gpu]}})
    mounts = [_mount(lib, f"{LIB_DIR_IN_CONTAINER}/{lib.rsplit('/', 1)[-1]}") for lib in found.libs]
    if found.smi:
        mounts.append(_mount(found.smi, "/usr/bin/nvidia-smi"))
    return {
        "cdiVersion": CDI_VERSION,
        "kind": KIND,
        "devices": devices,
        "containerEdits": {
            "deviceNodes": [{"path": n} for n in shared],
            "mounts": mounts,
            # Where the libraries are mounted; NVIDIA's CUDA images look there too.
            "env": [f"LD_LIBRARY_PATH={LIB_DIR_IN_CONTAINER}"],
        },
    }


def write_command(found: Found) -> str:
    """A root shell command that writes the spec where the nested engine reads it."""
    text = json.dumps(spec(found), indent=1)
    return f"mkdir -p /etc/cdi && printf '%s\\n' {shlex.quote(text)} > {SPEC_PATH}"
