"""Put the PTX of snippets/docker/gpu/matmul.cu into gpu_check.py, or check that it is there.

    python3 tools/gpu-check/embed_ptx.py          # regenerate and write
    python3 tools/gpu-check/embed_ptx.py --check  # exit 1 if gpu_check.py is stale

gpu_check.py (driver_check.py on the Docker page) promises to run on any driver for CUDA 12.0 or
newer and on any GPU from Maxwell (sm_50) on. A driver loads PTX up to its own CUDA release's PTX
ISA version (CUDA 12.0: ISA 8.0), and JIT-compiles PTX for any GPU at least as new as its
`.target`. nvcc 13 writes `.version 9.0` and knows no target older than sm_75, so its PTX is
lowered here to `.version 8.0` and `.target sm_50`. That is sound only while the kernel uses
nothing newer, and ptxas checks exactly that: it refuses an instruction that needs a newer ISA
version or target than the PTX declares. So the lowered PTX is then assembled with ptxas for
sm_75 (the oldest GPU that ptxas 13 knows) and sm_90 (the H100), and a kernel that does not
build is caught here, before it reaches a GPU machine.

Needs nvcc and ptxas on PATH (CUDA 13.0 made the PTX that is there now). With PTXAS_CUDA12 set to
the ptxas of CUDA 12.0 (from the nvidia-cuda-nvcc-cu12==12.0.76 wheel on PyPI), the PTX is also
assembled by that release's PTX compiler, the one a CUDA 12.0 driver has, for sm_50 and sm_90.
"""
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parents[2] / "snippets" / "docker" / "gpu"
SOURCE = HERE / "matmul.cu"
PROGRAM = HERE / "gpu_check.py"
BLOCK = re.compile(r'(PTX = r""")\n(.*?)\n(""")', re.S)

NVCC_ARCH = "compute_75"  # the oldest virtual architecture nvcc 13 offers
PTX_VERSION = "8.0"  # the PTX ISA of CUDA 12.0: drivers for CUDA 12.0 and newer load it
PTX_TARGET = "sm_50"  # Maxwell: the driver JIT-compiles the PTX for this GPU and every newer one
PTXAS_ARCHS = ["sm_75", "sm_90"]  # host ptxas (CUDA 13): its oldest GPU, and the H100
PTXAS_CUDA12_ARCHS = ["sm_50", "sm_90"]  # CUDA 12.0's ptxas: the declared target, and the H100


def lower(ptx: str) -> str:
    """The PTX with its `.version` and `.target` lines set to PTX_VERSION and PTX_TARGET."""
    for directive, value in ((".version", PTX_VERSION), (".target", PTX_TARGET)):
        # Exactly one such line: anything else means nvcc's output changed shape, so stop.
        line = re.compile(rf"^\{directive} \S+$", re.M)
        if len(line.findall(ptx)) != 1:
            raise SystemExit(f"{SOURCE.name}'s PTX: expected one '{directive} ...' line from nvcc")
        ptx = line.sub(f"{directive} {value}", ptx)
    return ptx


def assemble(ptxas: str, archs: list[str], ptx: Path) -> None:
    """Assemble the PTX for each GPU architecture; ptxas fails on anything the PTX may not use."""
    for arch in archs:
        subprocess.run([ptxas, f"-arch={arch}", "-o", str(ptx.with_suffix(".cubin")), str(ptx)], check=True)


def main() -> int:
    check = "--check" in sys.argv[1:]
    with tempfile.TemporaryDirectory() as tmp:
        ptx = Path(tmp) / "matmul.ptx"
        subprocess.run(["nvcc", "-ptx", f"-arch={NVCC_ARCH}", "-o", str(ptx), str(SOURCE)], check=True)
        fresh = lower(ptx.read_text().strip("\n"))
        text = PROGRAM.read_text()
        found = BLOCK.search(text)
        if not found:
            print(f"{PROGRAM}: no PTX = r\"\"\"...\"\"\" block", file=sys.stderr)
            return 1
        if check:
            if found.group(2) != fresh:
                print(f"{PROGRAM}: the PTX is not that of {SOURCE.name}; run {sys.argv[0]}", file=sys.stderr)
                return 1
        else:
            text = text[:found.start(2)] + fresh + text[found.end(2):]
            PROGRAM.write_text(text)
        ptx.write_text(fresh + "\n")
        assemble("ptxas", PTXAS_ARCHS, ptx)
        done = [f"ptxas -arch={' and '.join(PTXAS_ARCHS)}: ok"]
        old_ptxas = os.environ.get("PTXAS_CUDA12")
        if old_ptxas:
            version = subprocess.run([old_ptxas, "--version"], capture_output=True, text=True).stdout
            if "release 12.0," not in version:
                print(f"PTXAS_CUDA12={old_ptxas} is not the ptxas of CUDA 12.0:\n{version}", file=sys.stderr)
                return 1
            assemble(old_ptxas, PTXAS_CUDA12_ARCHS, ptx)
            done.append(f"CUDA 12.0's ptxas -arch={' and '.join(PTXAS_CUDA12_ARCHS)}: ok")
    state = "up to date" if check else "written"
    print(f"{PROGRAM.name}: PTX of {SOURCE.name} (.version {PTX_VERSION}, .target {PTX_TARGET}) {state}; "
          + "; ".join(done))
    return 0


if __name__ == "__main__":
    sys.exit(main())
