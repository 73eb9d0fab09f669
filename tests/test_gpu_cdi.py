"""A GPU page's own Docker engine gets the GPU through CDI: proved here with a fake GPU.

On a reader's machine `docker run --device nvidia.com/gpu=all ...` asks the engine for the
devices a CDI spec names. On a page, the engine is the page's own, inside its sandbox: the
harness gives the sandbox the GPU and writes the spec that hands it on (harness/cdi.py).
Without a GPU here, a fake one stands in: device nodes that are really /dev/null's, a
nvidia-smi that prints a fake GPU, and tools/gpu-check/fake_libcuda.c as the driver library.
"""
import os
import shutil
import stat
import subprocess

import pytest
from pagerun import ROOT, run_pages

from harness import cdi
from harness.fences import parse_page
from harness.plan import plan_page


def test_the_spec_names_each_gpu_and_all_and_shares_the_driver_files():
    found = cdi.Found.parse("node /dev/nvidia1\nnode /dev/nvidia0\nnode /dev/nvidiactl\nnode /dev/nvidia-uvm\n"
                            "smi /usr/bin/nvidia-smi\nlib /usr/local/nvidia/lib64/libcuda.so.1\n")
    spec = cdi.spec(found)
    assert spec["kind"] == "nvidia.com/gpu"
    devices = {d["name"]: [n["path"] for n in d["containerEdits"]["deviceNodes"]] for d in spec["devices"]}
    assert devices == {"0": ["/dev/nvidia0"], "1": ["/dev/nvidia1"], "all": ["/dev/nvidia0", "/dev/nvidia1"]}
    edits = spec["containerEdits"]
    assert [n["path"] for n in edits["deviceNodes"]] == ["/dev/nvidiactl", "/dev/nvidia-uvm"]
    assert {(m["hostPath"], m["containerPath"]) for m in edits["mounts"]} == {
        ("/usr/local/nvidia/lib64/libcuda.so.1", "/usr/local/nvidia/lib64/libcuda.so.1"),
        ("/usr/bin/nvidia-smi", "/usr/bin/nvidia-smi")}
    assert all("ro" in m["options"] for m in edits["mounts"])


@pytest.mark.parametrize("command, engine_gets_gpu", [
    ("docker run --rm --device nvidia.com/gpu=all debian:trixie-slim nvidia-smi -L", True),
    ("docker run --rm --gpus all debian:trixie-slim nvidia-smi -L", False),
    ("nvidia-smi -L", False),
])
def test_only_gpu_blocks_that_drive_docker_through_cdi_give_the_sandbox_the_gpu(command, engine_gets_gpu):
    page = f"<!-- test: gpu -->\n```console\n$ {command}\n```\n"
    assert plan_page(parse_page(page, "p.md"), "p.md").gpu_engine is engine_gets_gpu
    plain = f"```console\n$ {command}\n```\n"
    assert plan_page(parse_page(plain, "p.md"), "p.md").gpu_engine is False


PAGE = """\
# A page that hands the GPU to its own containers

<!-- test: gpu -->
```console
$ docker run --rm --device nvidia.com/gpu=all debian:trixie-slim sh -c 'ls /dev/nvidia0 /dev/nvidiactl; nvidia-smi -L'
/dev/nvidia0
/dev/nvidiactl
GPU 0: Fake GPU (UUID: GPU-fake)
```

<!-- test: gpu -->
```python title="driver_check.py"
--8<-- "docker/gpu/gpu_check.py"
```

<!-- test: gpu -->
```console
$ docker run --rm --device nvidia.com/gpu=all -v "$PWD":/work -w /work python:3.13-slim-trixie python3 driver_check.py
device: Fake GPU (a CPU stand-in)
...
matrix product 256x256 on the GPU: max abs error 0.0 (ok)
```

Without the GPU request, the container has no driver:

<!-- test: gpu exit=2 -->
```console
$ docker run --rm -v "$PWD":/work -w /work python:3.13-slim-trixie python3 driver_check.py
...no CUDA driver (libcuda.so.1) in this container...
```

<!-- test: gpu -->
```console
$ docker run --rm --gpus all debian:trixie-slim nvidia-smi -L
GPU 0: Fake GPU (UUID: GPU-fake)
```
"""


@pytest.fixture
def fake_gpu(tmp_path):
    """A host root with /dev/nvidia0 and /dev/nvidiactl (both /dev/null underneath), the fake
    driver library, and a nvidia-smi that names the fake GPU."""
    if os.geteuid() != 0 or not shutil.which("gcc"):
        pytest.skip("making fake device nodes needs root, and the fake driver needs gcc")
    root = tmp_path / "root"
    (root / "dev").mkdir(parents=True)
    for name in ("nvidia0", "nvidiactl"):
        os.mknod(root / "dev" / name, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    lib = root / "usr/lib/x86_64-linux-gnu"
    lib.mkdir(parents=True)
    subprocess.run(["gcc", "-shared", "-fPIC", "-O1", "-o", str(lib / "libcuda.so.1"),
                    str(ROOT / "tools/gpu-check/fake_libcuda.c")], check=True)
    shutil.copy(lib / "libcuda.so.1", lib / "libnvidia-ml.so.1")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    smi = bin_dir / "nvidia-smi"
    smi.write_text("#!/bin/sh\necho 'GPU 0: Fake GPU (UUID: GPU-fake)'\n")
    smi.chmod(0o755)
    return {"PATH": f"{bin_dir}:{os.environ['PATH']}", "HANDBOOK_GPU_HOST_ROOT": str(root)}


@pytest.mark.docker
def test_a_pages_engine_hands_the_fake_gpu_to_its_containers(fake_gpu, tmp_path):
    page = tmp_path / "gpu-engine.md"
    page.write_text(PAGE)
    out = run_pages(page, tmp_path=tmp_path, env=fake_gpu, extra=["-rs"])
    assert out.code == 0, out.output
    assert "4 passed, 1 skipped" in out.output, out.output
    assert "`docker run --gpus` needs the NVIDIA Container Toolkit" in out.output
