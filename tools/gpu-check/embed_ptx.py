"""Put the PTX of snippets/docker/gpu/matmul.cu into gpu_check.py, or check that it is there.

    python3 tools/gpu-check/embed_ptx.py          # regenerate and write
    python3 tools/gpu-check/embed_ptx.py --check  # exit 1 if gpu_check.py is stale

Needs nvcc (CUDA 13.0 made the PTX that is there now). Either way, the embedded PTX is then
assembled for the H100 (sm_90) with ptxas, so a kernel that does not build is caught here,
before it reaches a GPU machine.
"""
import re
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parents[2] / "snippets" / "docker" / "gpu"
SOURCE = HERE / "matmul.cu"
PROGRAM = HERE / "gpu_check.py"
BLOCK = re.compile(r'(PTX = r""")\n(.*?)\n(""")', re.S)


def main() -> int:
    check = "--check" in sys.argv[1:]
    with tempfile.TemporaryDirectory() as tmp:
        ptx = Path(tmp) / "matmul.ptx"
        subprocess.run(["nvcc", "-ptx", "-arch=compute_75", "-o", str(ptx), str(SOURCE)], check=True)
        fresh = ptx.read_text().strip("\n")
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
        subprocess.run(["ptxas", "-arch=sm_90", "-o", str(Path(tmp) / "matmul.cubin"), str(ptx)], check=True)
    print(f"{PROGRAM.name}: PTX of {SOURCE.name} {'up to date' if check else 'written'}; ptxas -arch=sm_90: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
