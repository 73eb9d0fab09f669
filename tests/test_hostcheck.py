"""The suite's check that a test run leaves the host's Docker engine as it was."""
import os
import shutil
import subprocess
import sys

import pytest
from hostcheck import EngineState, differences
from pagerun import ROOT

BEFORE = EngineState("ENGINE-A", True, {"n1": "bridge", "n2": "mine"}, {"c1": "postgres"})


def test_an_untouched_engine_has_no_differences():
    newer = EngineState("ENGINE-A", True, {**BEFORE.networks, "n3": "someone-elses"}, {"c9": "new"} | BEFORE.running)
    assert differences(BEFORE, newer) == []


def test_each_kind_of_damage_is_named():
    after = EngineState("ENGINE-B", False, {"n1": "bridge"}, {})
    found = differences(BEFORE, after)
    assert any("engine changed" in f for f in found)
    assert any("docker0 is gone" in f for f in found)
    assert any("network mine" in f for f in found)
    assert any("container postgres" in f for f in found)
    assert len(found) == 4


@pytest.mark.docker
@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("unshare"),
                    reason="needs root and unshare to give the run a scratch network namespace")
def test_a_run_that_deletes_docker0_fails(tmp_path):
    # A scratch network namespace with its own docker0: the host's is never at risk.
    (tmp_path / "test_breaks.py").write_text(
        "import subprocess\n\ndef test_deletes_the_bridge():\n"
        "    subprocess.run(['ip', 'link', 'del', 'docker0'], check=True)\n")
    script = (f"ip link add docker0 type bridge && cd {tmp_path} && "
              f"{sys.executable} -m pytest -p hostcheck -p no:cacheprovider -q -c /dev/null "
              f"--rootdir={tmp_path} test_breaks.py")
    env = {k: v for k, v in os.environ.items() if k != "HANDBOOK_HOST_CHECK_BY"}
    env["PYTHONPATH"] = str(ROOT / "tests")
    proc = subprocess.run(["unshare", "--net", "sh", "-c", script], capture_output=True, text=True, env=env,
                          timeout=120)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "1 passed" in proc.stdout
    assert "the default bridge docker0 is gone" in proc.stdout, proc.stdout
