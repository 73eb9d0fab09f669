"""What a run leaves behind: nothing, also when it is interrupted or killed."""
import os
import signal
import subprocess
import sys
import time
import uuid

import docker
import pytest

from pagerun import PAGES, ROOT, run_pages

pytestmark = pytest.mark.docker

LABEL = "org.handbook.harness"


def ours(client, run_id):
    """Containers, volumes and networks that run made (cached images excluded)."""
    f = {"label": f"org.handbook.run={run_id}"}
    return ({c.id for c in client.containers.list(all=True, filters=f)},
            {v.name for v in client.volumes.list(filters=f)},
            {n.id for n in client.networks.list(filters=f)})


def wait_for_container(client, proc, page, seconds=120):
    deadline = time.time() + seconds
    while time.time() < deadline:
        found = [c for c in client.containers.list(filters={"label": LABEL})
                 if c.labels.get("org.handbook.pid") == str(proc.pid)]
        if found:
            return found
        if proc.poll() is not None:
            pytest.fail(f"the run ended before its container appeared:\n{proc.stdout.read()}")
        time.sleep(0.2)
    pytest.fail(f"no container appeared for {page}")


def start_run(page, tmp_path):
    cmd = [sys.executable, "-m", "pytest", "-c", str(ROOT / "pytest.ini"), f"--rootdir={ROOT}",
           "-p", "no:cacheprovider", "-q", str(page)]
    return subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)


@pytest.fixture
def client():
    return docker.from_env()


@pytest.fixture
def slow_page(tmp_path):
    page = tmp_path / "slow.md"
    page.write_text("<!-- test: timeout=120 -->\n```console\n$ sleep 100\n```\n")
    return page


def test_a_run_with_a_docker_page_leaves_nothing_behind(client, tmp_path):
    run_id = uuid.uuid4().hex[:12]
    page = tmp_path / "docker.md"
    page.write_text('```dockerfile title="Dockerfile"\nFROM debian:bookworm-slim\nRUN echo built\n```\n'
                    "```console\n$ docker run --rm debian:bookworm-slim echo nested\nnested\n```\n")
    out = run_pages(page, PAGES / "all-pass.md", tmp_path=tmp_path, env={"HANDBOOK_RUN_ID": run_id})
    assert out.code == 0, out.output
    assert ours(client, run_id) == (set(), set(), set())


def test_sigterm_removes_the_runs_containers(client, slow_page, tmp_path):
    proc = start_run(slow_page, tmp_path)
    wait_for_container(client, proc, slow_page)
    time.sleep(1)  # let the shell start its command
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=60)
    assert not [c for c in client.containers.list(all=True, filters={"label": LABEL})
                if c.labels.get("org.handbook.pid") == str(proc.pid)]


def test_after_sigkill_the_next_run_removes_the_leftovers(client, slow_page, tmp_path):
    proc = start_run(slow_page, tmp_path)
    left = wait_for_container(client, proc, slow_page)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert client.containers.get(left[0].id)  # still there: nobody cleaned up
    out = run_pages(PAGES / "all-pass.md", tmp_path=tmp_path)
    assert out.code == 0, out.output
    assert "left by a killed run" in out.output
    with pytest.raises(docker.errors.NotFound):
        client.containers.get(left[0].id)


def test_update_mode_rewrites_expected_output_and_keeps_wildcards(tmp_path):
    page = tmp_path / "update.md"
    page.write_text("# Page\n\n!!! note\n    ```console\n    $ printf 'one\\ntwo\\nthree\\n'\n    one\n    wrong\n"
                    "    ```\n\n```console\n$ date +%Y; echo fixed\n...\nold\n```\n")
    out = run_pages(page, tmp_path=tmp_path)
    assert out.code == 1
    out = run_pages(page, tmp_path=tmp_path, extra=["--update-examples"])
    text = page.read_text()
    assert "    one\n    two\n    three\n    ```" in text
    assert "$ date +%Y; echo fixed\n...\nfixed\n```" in text
    out = run_pages(page, tmp_path=tmp_path)
    assert out.code == 0, out.output
