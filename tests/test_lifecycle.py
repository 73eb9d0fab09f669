"""What a run leaves behind: nothing, also when it is interrupted or killed."""
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import docker
import pytest
from hostcheck import has_bridge
from pagerun import PAGES, ROOT, run_pages

pytestmark = pytest.mark.docker

LABEL = "org.handbook.harness"


def ours(client, run_id):
    """Containers, volumes and networks that run made (cached images excluded)."""
    f = {"label": f"org.handbook.run={run_id}"}
    return ({c.id for c in client.containers.list(all=True, filters=f)},
            {v.name for v in client.volumes.list(filters=f)},
            {n.id for n in client.networks.list(filters=f)})


def containers_of(client, pid: int, **kw) -> list[str]:
    """Ids of the harness's containers that process `pid` owns.

    From the low-level listing, which carries the labels: `containers.list()` inspects each
    container it lists, and fails when another run removes one in between."""
    return [c["Id"] for c in client.api.containers(filters={"label": LABEL}, **kw)
            if (c.get("Labels") or {}).get("org.handbook.pid") == str(pid)]


def wait_for_container(client, proc, page, seconds=120):
    deadline = time.time() + seconds
    while time.time() < deadline:
        found = containers_of(client, proc.pid)
        if found:
            return found
        if proc.poll() is not None:
            pytest.fail(f"the run ended before its container appeared:\n{proc.stdout.read()}")
        time.sleep(0.2)
    pytest.fail(f"no container appeared for {page}")


def start_run(page, tmp_path, inherit_ignored_sigint=False):
    """A run in its own session; optionally started as a shell without job control starts
    a background command: with SIGINT ignored."""
    cmd = [sys.executable, "-m", "pytest", "-c", str(ROOT / "pytest.ini"), f"--rootdir={ROOT}",
           "-p", "no:cacheprovider", "-q", str(page)]
    ignore = (lambda: signal.signal(signal.SIGINT, signal.SIG_IGN)) if inherit_ignored_sigint else None
    return subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True, preexec_fn=ignore)


def wait_stopped(proc, seconds=60):
    """Wait for a signalled run to end; if it does not, fail with where its threads were."""
    try:
        proc.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGUSR1)  # the harness prints every thread's stack
        time.sleep(2)
        os.killpg(proc.pid, signal.SIGKILL)
        out = proc.communicate(timeout=30)[0]
        pytest.fail(f"the run did not stop within {seconds} s of the signal; its output, stacks last:\n{out[-8000:]}")


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
    page.write_text('```dockerfile title="Dockerfile"\nFROM debian:trixie-slim\nRUN echo built\n```\n'
                    "```console\n$ docker run --rm debian:trixie-slim echo nested\nnested\n```\n")
    out = run_pages(page, PAGES / "all-pass.md", tmp_path=tmp_path, env={"HANDBOOK_RUN_ID": run_id})
    assert out.code == 0, out.output
    assert ours(client, run_id) == (set(), set(), set())


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_removes_the_runs_containers(client, slow_page, tmp_path, sig):
    proc = start_run(slow_page, tmp_path)
    wait_for_container(client, proc, slow_page)
    time.sleep(1)  # let the shell start its command
    proc.send_signal(sig)
    wait_stopped(proc)
    assert not containers_of(client, proc.pid, all=True)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_while_the_page_starts_stops_the_run(client, slow_page, tmp_path, sig):
    proc = start_run(slow_page, tmp_path)
    wait_for_container(client, proc, slow_page)  # the sandbox is starting: its shell is not up yet
    proc.send_signal(sig)
    wait_stopped(proc)
    assert not containers_of(client, proc.pid, all=True)


def test_sigint_stops_a_run_that_inherited_it_ignored(client, slow_page, tmp_path):
    """`make test &` from a script: the run starts with SIGINT ignored, and `kill -INT` must stop it."""
    proc = start_run(slow_page, tmp_path, inherit_ignored_sigint=True)
    wait_for_container(client, proc, slow_page)
    time.sleep(1)
    proc.send_signal(signal.SIGINT)
    wait_stopped(proc)
    assert not containers_of(client, proc.pid, all=True)


def test_after_sigkill_the_next_run_removes_the_leftovers(client, slow_page, tmp_path):
    proc = start_run(slow_page, tmp_path)
    left = wait_for_container(client, proc, slow_page)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert client.containers.get(left[0])  # still there: the killed run could not clean up
    out = run_pages(PAGES / "all-pass.md", tmp_path=tmp_path)
    assert out.code == 0, out.output
    with pytest.raises(docker.errors.NotFound):
        client.containers.get(left[0])
    # Every run sweeps what dead runs left, so on a busy engine (xdist's other worker, other
    # contributors' runs) another run may have removed it first; when this one did, it says so.
    if f"container {left[0][:12]}" in out.output:
        assert "left by a killed run" in out.output, out.output


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


def test_two_runs_at_once_keep_to_their_own_containers(tmp_path):
    page = tmp_path / "pause.md"
    page.write_text("<!-- test: timeout=60 -->\n```console\n$ sleep 8; echo awake\nawake\n```\n")
    first = start_run(page, tmp_path)
    time.sleep(3)  # the second run starts (and sweeps stale objects) while the first is mid-page
    second = start_run(page, tmp_path)
    outs = [p.communicate(timeout=180)[0] for p in (first, second)]
    assert [p.returncode for p in (first, second)] == [0, 0], outs
    assert all("1 passed" in o for o in outs)  # neither run removed the other's sandbox


@pytest.fixture
def own_engine(tmp_path):
    """A second, throwaway Docker engine that a test may stop, holding the sandbox image."""
    root = Path("/tmp") / f"hb-engine-{uuid.uuid4().hex[:8]}"  # short: socket paths are limited
    root.mkdir()
    sock = root / "docker.sock"
    # `unshare --net`: a dockerd started with --bridge=none deletes any `docker0` it finds in its
    # network namespace, and in the host's that is the contributor's engine's default bridge.
    with (root / "dockerd.log").open("wb") as log:
        daemon = subprocess.Popen(
            ["unshare", "--net", "dockerd", "-H", f"unix://{sock}", "--data-root", str(root / "data"),
             "--exec-root", str(root / "exec"),
             "--pidfile", str(root / "dockerd.pid"), "--bridge=none", "--iptables=false", "--ip-masq=false"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        for _ in range(300):
            try:
                docker.DockerClient(base_url=f"unix://{sock}", timeout=300)
                break
            except docker.errors.DockerException:  # not up yet
                time.sleep(0.2)
        else:
            pytest.fail("the second engine did not start:\n" + (root / "dockerd.log").read_text()[-2000:])
        image = os.environ.get("HANDBOOK_SANDBOX_IMAGE") or _sandbox_image()
        subprocess.run(f"docker save {image} | docker -H unix://{sock} load -q", shell=True, check=True,
                       stdout=subprocess.DEVNULL)
        yield sock, image, daemon
    finally:
        if daemon.poll() is None:
            daemon.terminate()
            daemon.wait(timeout=60)
        _reap(root)


def _reap(root: Path) -> None:
    """What a killed engine leaves: its shims, their containers' processes, and its mounts.

    Only this engine's: its processes name `root` on their command line, and its containers
    are the ones in its data root; the host engine's containers are never touched.
    """
    for shim in subprocess.run(["pgrep", "-f", str(root)], capture_output=True, text=True).stdout.split():
        if int(shim) != os.getpid():
            subprocess.run(["kill", "-9", shim], check=False)
    ids = [d.name for d in (root / "data" / "containers").glob("*") if len(d.name) == 64]
    for cid in ids:
        cgroups = [*Path("/sys/fs/cgroup").glob(f"*/docker/{cid}"), Path(f"/sys/fs/cgroup/docker/{cid}")]
        for procs in (c / "cgroup.procs" for c in cgroups if (c / "cgroup.procs").exists()):
            for pid in procs.read_text().split():
                subprocess.run(["kill", "-9", pid], check=False)
    mounts = [m.split()[1] for m in Path("/proc/mounts").read_text().splitlines() if str(root) in m.split()[1]]
    for m in sorted(mounts, reverse=True):
        subprocess.run(["umount", "-l", m], check=False)
    subprocess.run(["rm", "-rf", str(root)], check=False)


def _sandbox_image() -> str:
    out = subprocess.run([sys.executable, "-m", "harness.images"], cwd=ROOT, capture_output=True, text=True)
    return out.stdout.split("sandbox image ")[1].split(",")[0]


@pytest.fixture
def bridge_before() -> bool:
    return has_bridge()


def test_the_second_engine_keeps_off_the_hosts_network(bridge_before, own_engine):
    """A dockerd with --bridge=none deletes the `docker0` of the network namespace it runs in."""
    sock, image, daemon = own_engine
    other = docker.DockerClient(base_url=f"unix://{sock}")
    other.containers.run(image, ["true"], network_mode="none", remove=True)
    assert os.readlink(f"/proc/{daemon.pid}/ns/net") != os.readlink("/proc/self/ns/net")
    assert has_bridge() == bridge_before


def _processes(client) -> list[str]:
    """The command lines running in the harness's containers of `client`'s engine."""
    found = []
    for box in client.containers.list(filters={"label": LABEL}):
        try:
            found += [" ".join(p) for p in box.top()["Processes"]]
        except docker.errors.APIError:  # stopped or removed meanwhile
            continue
    return found


def test_the_engine_stopping_mid_run_fails_clearly_and_does_not_hang(own_engine, tmp_path):
    sock, image, daemon = own_engine
    page = tmp_path / "engine-stops.md"
    page.write_text("<!-- test: timeout=120 -->\n```console\n$ sleep 100\n```\n\n"
                    "```console\n$ echo after\nafter\n```\n")
    env = {**os.environ, "DOCKER_HOST": f"unix://{sock}", "HANDBOOK_NETWORK": "none",
           "HANDBOOK_SANDBOX_IMAGE": image}
    cmd = [sys.executable, "-m", "pytest", "-c", str(ROOT / "pytest.ini"), f"--rootdir={ROOT}",
           "-p", "no:cacheprovider", "-q", str(page)]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    other = docker.DockerClient(base_url=f"unix://{sock}")
    # Stop the engine only once the page's shell is inside `sleep 100`: on a busy machine the
    # sandbox can take seconds to get there, and the test is about a block that is running.
    for _ in range(600):
        if any("sleep 100" in args for args in _processes(other)):
            break
        time.sleep(0.2)
    else:
        pytest.fail("the page's shell never reached `sleep 100`")
    began = time.monotonic()
    os.killpg(daemon.pid, signal.SIGKILL)
    out, _ = proc.communicate(timeout=120)
    assert time.monotonic() - began < 100  # it did not wait for the block's timeout
    assert proc.returncode == 1, out
    assert "engine-stops.md:3: command did not finish" in out, out
    assert "the Docker engine stopped answering during this block" in out, out
    assert "engine-stops.md:6: not run: the Docker engine stopped" in out, out
    assert "Traceback" not in out


def test_update_mode_rewrites_python_print_lines(tmp_path):
    page = tmp_path / "prints.md"
    page.write_text("!!! note\n    ```python\n    total = sum(range(5))\n    print(total)\n    #> 11\n"
                    "    print('a')\n    for i in range(2):\n        print(i * 10)\n    #> 0\n    ```\n")
    assert run_pages(page, tmp_path=tmp_path).code == 1
    run_pages(page, tmp_path=tmp_path, extra=["--update-examples"])
    assert page.read_text() == ("!!! note\n    ```python\n    total = sum(range(5))\n    print(total)\n    #> 10\n"
                                "    print('a')\n    #> a\n    for i in range(2):\n        print(i * 10)\n"
                                "    #> 0\n    #> 10\n    ```\n")
    out = run_pages(page, tmp_path=tmp_path)
    assert out.code == 0, out.output
