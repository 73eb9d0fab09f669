"""Reach an ssh:// Docker engine through this machine's own OpenSSH.

The Docker CLI reaches `ssh://user@host` by running `ssh host docker system dial-stdio` for
each connection. The Python SDK can do that only through paramiko, and its transport broke
exec streams here ("Broken pipe", one fresh-clone run in five). So the harness asks `ssh` to
forward a local unix socket to the engine's socket (`ssh -N -L`), and points the SDK and the
CLI at that socket. The user's keys, agent, known hosts and ~/.ssh/config apply as they do
for `ssh` itself; `BatchMode` makes a missing key an error, not a password prompt.

The local socket sits in a folder only this user may open: whoever can use an engine's socket
is root on that engine's machine. The forward ends when the process that opened it ends, by
any means: a small shell holds it, and stops it and removes its folder when the harness's end
of a pipe closes. It runs in a session of its own, so Ctrl-C stops the harness but not the
forward that the harness still needs to remove its containers.
"""
from __future__ import annotations

import atexit
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from .errors import EngineUnavailable

REMOTE_SOCKET = "/var/run/docker.sock"  # the engine's socket on the far machine
CONNECT_TIMEOUT = 20  # seconds for ssh to log in and open the forward

# ssh stays in the foreground of this shell; the reader in the background stops it, and removes
# the forward's folder, when the harness's end of stdin closes, which is also what happens when
# the harness is killed. The reader takes stdin as fd 3: sh gives a background job /dev/null.
_HOLDER = ('folder=$1; shift\nexec 3<&0\nssh "$@" </dev/null & pid=$!\n'
           '{ read -r _ <&3; kill "$pid" 2>/dev/null; rm -rf -- "$folder"; } &\nexec 3<&-\nwait "$pid"\n')


@dataclass(frozen=True)
class Target:
    """Where an ssh:// URL points: ssh's destination and options."""
    host: str
    user: str | None
    port: int | None

    def ssh_args(self) -> list[str]:
        return [*(["-l", self.user] if self.user else []), *(["-p", str(self.port)] if self.port else []),
                self.host]


def parse(url: str) -> Target:
    """`ssh://[user@]host[:port]`, as the Docker CLI takes it: no path, no query."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as e:
        raise EngineUnavailable(f"{url}: not an ssh:// address ({e})") from None
    if parts.scheme != "ssh" or not parts.hostname:
        raise EngineUnavailable(f"{url}: not an ssh:// address; the form is ssh://[user@]host[:port]")
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.password:
        raise EngineUnavailable(f"{url}: an ssh:// engine address has no path, query or password "
                                "(ssh://[user@]host[:port]); the engine's socket there is "
                                f"{REMOTE_SOCKET}")
    return Target(parts.hostname, parts.username, port)


@dataclass
class Forward:
    url: str
    socket: Path
    holder: subprocess.Popen[bytes]

    @property
    def docker_host(self) -> str:
        return f"unix://{self.socket}"

    def close(self) -> None:
        if self.holder.poll() is None:
            assert self.holder.stdin is not None
            self.holder.stdin.close()  # the holder stops ssh
            try:
                self.holder.wait(10)
            except subprocess.TimeoutExpired:
                self.holder.kill()
        shutil.rmtree(self.socket.parent, ignore_errors=True)


_OPEN: dict[str, Forward] = {}


def forward(url: str, timeout: float = CONNECT_TIMEOUT) -> Forward:
    """A forward of a local socket to the engine at `url`, opened once per process."""
    if url in _OPEN and _OPEN[url].holder.poll() is None:
        return _OPEN[url]
    target = parse(url)
    ssh = shutil.which("ssh")
    if ssh is None:
        raise EngineUnavailable(f"{url}: reaching an ssh:// engine needs the `ssh` command "
                                "(Debian: apt-get install openssh-client)")
    folder = Path(tempfile.mkdtemp(prefix="handbook-ssh-"))  # mode 0700
    sock, log = folder / "docker.sock", folder / "ssh.log"
    args = ["-N", "-T", "-o", "BatchMode=yes", "-o", "ExitOnForwardFailure=yes",
            "-o", f"ConnectTimeout={int(timeout)}", "-o", "ServerAliveInterval=15",
            # a ControlMaster of the user's would carry the forward and outlive us
            "-o", "ControlMaster=no", "-o", "ControlPath=none",
            "-L", f"{sock}:{REMOTE_SOCKET}", *target.ssh_args()]
    with log.open("wb") as err:
        holder = subprocess.Popen(["sh", "-c", _HOLDER, "sh", str(folder), *args], stdin=subprocess.PIPE,
                                  stdout=subprocess.DEVNULL, stderr=err, start_new_session=True)
    opened = Forward(url, sock, holder)
    deadline = time.monotonic() + timeout + 5
    while not _answers(sock):
        if holder.poll() is not None or time.monotonic() > deadline:
            why = log.read_text(errors="replace").strip().splitlines()
            opened.close()
            raise EngineUnavailable(f"The Docker engine at {url} does not answer: ssh could not forward "
                                    f"its socket ({why[-1] if why else 'no reply within ' + str(int(timeout)) + ' s'})")
        time.sleep(0.05)
    _OPEN[url] = opened
    return opened


def _answers(path: Path) -> bool:
    """Whether ssh listens on the local socket: it does once it has logged in and set up the
    forward. Whether the engine answers at the far end is the caller's ping."""
    if not path.exists():
        return False
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        try:
            s.connect(str(path))
            return True
        except OSError:
            return False


@atexit.register
def close_all() -> None:
    for opened in _OPEN.values():
        opened.close()
    _OPEN.clear()
