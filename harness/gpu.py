"""Decide whether GPU blocks can run here, by looking rather than assuming."""
from __future__ import annotations

import os
import shutil
import subprocess
from functools import lru_cache


@lru_cache(maxsize=1)
def probe() -> tuple[bool, str]:
    """(usable, reason): usable only with a working nvidia-smi and a way into containers."""
    forced = os.environ.get("HANDBOOK_GPU")
    if forced == "0":
        return False, "GPU blocks disabled by HANDBOOK_GPU=0"
    smi = shutil.which("nvidia-smi")
    if not smi:
        return False, "no NVIDIA GPU here: `nvidia-smi` is not installed on this machine"
    try:
        r = subprocess.run([smi, "-L"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as e:
        return False, f"`nvidia-smi -L` did not run: {e}"
    if r.returncode != 0 or "GPU" not in r.stdout:
        return False, f"`nvidia-smi -L` found no GPU: {(r.stderr or r.stdout).strip()[:200]}"
    if not any(os.path.exists(p) for p in ("/dev/nvidia0", "/dev/nvidiactl")):
        return False, "nvidia-smi works but there are no /dev/nvidia* device nodes to give a container"
    return True, r.stdout.strip().split("\n")[0]
