"""GPU blocks run or skip by what a probe finds, never by assumption."""
import stat

import pytest
from pagerun import run_pages

from harness import gpu


@pytest.fixture(autouse=True)
def fresh_probe():
    gpu._host.cache_clear()
    yield
    gpu._host.cache_clear()


def fake_smi(tmp_path, script):
    smi = tmp_path / "nvidia-smi"
    smi.write_text("#!/bin/sh\n" + script)
    smi.chmod(smi.stat().st_mode | stat.S_IEXEC)
    return str(tmp_path)


def test_no_nvidia_smi_means_no_gpu(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    access = gpu.probe()
    assert not access.usable and "`nvidia-smi` is not installed" in access.reason


def test_a_failing_nvidia_smi_means_no_gpu(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", fake_smi(tmp_path, "echo 'NVIDIA-SMI has failed' >&2; exit 9\n"))
    access = gpu.probe()
    assert not access.usable and "found no GPU: NVIDIA-SMI has failed" in access.reason


def test_a_gpu_without_device_nodes_or_toolkit_cannot_reach_a_container(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", fake_smi(tmp_path, "echo 'GPU 0: Fake GPU (UUID: GPU-1)'\n") + ":/usr/bin:/bin")
    monkeypatch.setattr(gpu.glob, "glob", lambda pattern: [])
    access = gpu.probe()
    assert not access.usable and "no /dev/nvidia* device nodes" in access.reason


def test_device_nodes_and_driver_libraries_are_handed_over_read_only(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", fake_smi(tmp_path, "echo 'GPU 0: Fake GPU (UUID: GPU-1)'\n") + ":/usr/bin:/bin")
    monkeypatch.setattr(gpu.glob, "glob", lambda pattern: ["/dev/nvidia0", "/dev/nvidiactl"])
    monkeypatch.setattr(gpu, "_driver_libs", lambda: {"libcuda.so.1": "/x/libcuda.so.580",
                                                      "libnvidia-ml.so.1": "/x/libnvidia-ml.so.580"})
    access = gpu.probe()
    assert access.usable and access.how == "devices"
    assert access.create["devices"] == ["/dev/nvidia0:/dev/nvidia0:rwm", "/dev/nvidiactl:/dev/nvidiactl:rwm"]
    assert all(v["mode"] == "ro" for v in access.create["volumes"].values())
    assert "mounted the host driver's libraries" in gpu.describe(access)


def test_hand_switch_turns_gpu_blocks_off(monkeypatch):
    monkeypatch.setenv("HANDBOOK_GPU", "0")
    assert gpu.probe().reason == "GPU blocks disabled by HANDBOOK_GPU=0"


@pytest.mark.docker
@pytest.mark.skipif(gpu._host()[0], reason="this machine has a GPU: the skip path cannot be shown here")
def test_gpu_blocks_are_reported_skipped_with_the_probes_reason(tmp_path):
    page = tmp_path / "gpu.md"
    page.write_text("<!-- test: gpu -->\n```console\n$ nvidia-smi -L\nGPU 0: ...\n```\n\n"
                    "```console\n$ echo cpu\ncpu\n```\n")
    out = run_pages(page, tmp_path=tmp_path, extra=["-rs"])
    assert out.code == 0, out.output
    assert "1 passed, 1 skipped" in out.output
    assert "gpu.md:2: GPU block skipped: no NVIDIA GPU here: `nvidia-smi` is not installed" in out.output
    assert 'message="' in out.junit.read_text() and "GPU block skipped" in out.junit.read_text()
    blocks = {r["line"]: r for r in out.records() if r["kind"] != "page"}
    assert blocks[2]["status"] == "skipped" and blocks[2]["reason"] == "gpu-unavailable"
    assert blocks[7]["status"] == "passed" and blocks[7]["kind"] == "console"
