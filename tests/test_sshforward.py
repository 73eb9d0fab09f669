"""The ssh forward that carries an ssh:// engine: its address rules, its errors, and its life.

A fake `ssh` first on PATH stands in for OpenSSH here (it listens on the -L socket, answers the
SDK's version question and logs its arguments), so these need neither an sshd nor Docker; the
real ssh meets a real sshd in test_remote_engine.py. What matters most is that no forward
outlives the process that opened it, even one killed with SIGKILL: a forward left behind is a
way into someone's engine.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from harness import sshforward
from harness.errors import EngineUnavailable

FAKE_SSH = textwrap.dedent('''\
    #!{python}
    import os, socket, sys, time
    args = sys.argv[1:]
    with open(os.environ["FAKE_SSH_LOG"], "a") as log:
        log.write(f"{{os.getpid()}} {{' '.join(args)}}\\n")
    if os.environ.get("FAKE_SSH_FAIL"):
        sys.stderr.write(os.environ["FAKE_SSH_FAIL"] + "\\n")
        sys.exit(255)
    server = socket.socket(socket.AF_UNIX)
    server.bind(args[args.index("-L") + 1].split(":")[0])
    server.listen()
    while True:  # an engine that answers /version, as the SDK asks first
        conn, _ = server.accept()
        request = b""
        while b"\\r\\n\\r\\n" not in request:
            more = conn.recv(65536)
            if not more:  # the caller only looked whether the socket listens
                break
            request += more
        body = b'{{"ApiVersion": "1.41"}}'
        if request.endswith(b"\\r\\n\\r\\n"):
            conn.sendall(b"HTTP/1.1 200 OK\\r\\nContent-Type: application/json\\r\\nContent-Length: "
                         + str(len(body)).encode() + b"\\r\\nConnection: close\\r\\n\\r\\n" + body)
        conn.close()
    ''')


@pytest.fixture
def fake_ssh(tmp_path, monkeypatch) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    ssh = bin_dir / "ssh"
    ssh.write_text(FAKE_SSH.format(python=sys.executable))
    ssh.chmod(0o755)
    log = tmp_path / "ssh.log"
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_SSH_LOG", str(log))
    return log


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie has ended; only its parent has not read its status yet
    return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"


def wait_gone(pid: int, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not alive(pid)


@pytest.mark.parametrize("url, target", [
    ("ssh://build-server", sshforward.Target("build-server", None, None)),
    ("ssh://me@build-server:2222", sshforward.Target("build-server", "me", 2222)),
    ("ssh://me@127.0.0.1/", sshforward.Target("127.0.0.1", "me", None)),
])
def test_the_clis_ssh_addresses_are_taken(url, target):
    assert sshforward.parse(url) == target


@pytest.mark.parametrize("url, says", [
    ("ssh://me@host/var/run/docker.sock", "has no path, query or password"),
    ("ssh://me:secret@host", "has no path, query or password"),
    ("ssh://host:port", "not an ssh:// address"),
    ("ssh://", "not an ssh:// address"),
])
def test_an_address_the_cli_would_refuse_is_an_error_that_names_it(url, says):
    with pytest.raises(EngineUnavailable, match=says) as e:
        sshforward.parse(url)
    assert url in str(e.value)


def test_a_forward_is_one_ssh_with_batch_mode_and_no_shared_connection(fake_ssh):
    opened = sshforward.forward("ssh://me@build-server:2222")
    try:
        assert opened.docker_host == f"unix://{opened.socket}"
        assert oct(opened.socket.parent.stat().st_mode & 0o777) == "0o700"
        assert sshforward.forward("ssh://me@build-server:2222") is opened  # once per process
        [line] = fake_ssh.read_text().splitlines()
        pid, *args = line.split()
        for option in ("BatchMode=yes", "ExitOnForwardFailure=yes", "ControlMaster=no", "ControlPath=none"):
            assert option in args
        assert args[-5:] == ["-l", "me", "-p", "2222", "build-server"]
        assert f"{opened.socket}:/var/run/docker.sock" in args
    finally:
        sshforward.close_all()
    assert wait_gone(int(pid))
    assert not opened.socket.parent.exists()


def test_ssh_that_cannot_log_in_is_one_line_with_its_reason(fake_ssh, monkeypatch):
    monkeypatch.setenv("FAKE_SSH_FAIL", "me@build-server: Permission denied (publickey).")
    with pytest.raises(EngineUnavailable) as e:
        sshforward.forward("ssh://me@build-server")
    assert str(e.value) == ("The Docker engine at ssh://me@build-server does not answer: ssh could not forward "
                            "its socket (me@build-server: Permission denied (publickey).)")
    folder = Path(fake_ssh.read_text().split("-L ")[1].split(":")[0]).parent
    assert not folder.exists()


def test_the_real_ssh_meeting_a_closed_port_says_so():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(EngineUnavailable, match="Connection refused"):
        sshforward.forward(f"ssh://nobody@127.0.0.1:{port}", timeout=5)


def test_no_ssh_command_says_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(EngineUnavailable, match="needs the `ssh` command"):
        sshforward.forward("ssh://build-server")


OWNER = textwrap.dedent('''\
    import signal, sys, time
    from harness import sshforward
    # before the socket is printed: the test sends SIGINT as soon as it reads it
    signal.signal(signal.SIGINT, lambda *_: print("interrupted", flush=True))
    opened = sshforward.forward("ssh://build-server")
    print(opened.socket, flush=True)
    while True:
        time.sleep(60)
    ''')


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM])
def test_the_forward_ends_with_the_process_that_opened_it(fake_ssh, how):
    root = Path(__file__).resolve().parents[1]
    owner = subprocess.Popen([sys.executable, "-c", OWNER], cwd=root, stdout=subprocess.PIPE, text=True,
                             start_new_session=True)
    try:
        assert owner.stdout is not None
        sock = Path(owner.stdout.readline().strip())
        assert sock.exists()
        ssh_pid = int(fake_ssh.read_text().split()[0])
        # Ctrl-C reaches the harness's process group, not the forward it still needs for its cleanup
        os.killpg(owner.pid, signal.SIGINT)
        assert owner.stdout.readline().strip() == "interrupted"
        assert alive(ssh_pid)
        owner.send_signal(how)
        owner.wait(10)
        assert wait_gone(ssh_pid), f"the forward (pid {ssh_pid}) outlived its owner ({how.name})"
        deadline = time.monotonic() + 5
        while sock.parent.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not sock.parent.exists()
    finally:
        owner.kill()
        owner.wait()


@pytest.mark.parametrize("through", ["DOCKER_HOST", "context"])
def test_an_ssh_engine_is_reached_through_the_forward_by_the_sdk_and_the_cli(fake_ssh, tmp_path, monkeypatch,
                                                                             through):
    from test_engine_context import make_context

    from harness import endpoint

    for name in ("DOCKER_HOST", "DOCKER_CONTEXT", endpoint.VIA):
        # set, then removed: monkeypatch restores only what it saw, and client_from_env sets these
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))
    if through == "context":
        make_context(tmp_path, "gpu-box", "ssh://me@gpu-box")
        monkeypatch.setenv("DOCKER_CONTEXT", "gpu-box")
    else:
        monkeypatch.setenv("DOCKER_HOST", "ssh://me@gpu-box")
    try:
        client = endpoint.client_from_env(5)
        opened = sshforward.forward("ssh://me@gpu-box")
        # the CLI, and the workers this process starts, inherit the forward, not the ssh:// address
        assert os.environ["DOCKER_HOST"] == opened.docker_host
        assert "DOCKER_CONTEXT" not in os.environ
        assert os.environ[endpoint.VIA] == "ssh://me@gpu-box"
        assert client.api.base_url == "http+docker://localhost"  # docker-py's name for a unix socket
        assert endpoint.is_remote(client)  # so no GPU of this machine is offered to it
        # the build folders stay per engine, not per forward
        key = endpoint.engine_key()
        monkeypatch.setenv("DOCKER_HOST", "unix:///elsewhere.sock")
        assert endpoint.engine_key() == key
        assert len(fake_ssh.read_text().splitlines()) == 1
    finally:
        sshforward.close_all()
