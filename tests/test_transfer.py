"""Without a Docker engine: the sandbox asks for no host paths, and what the harness sends
through the API instead is what the containers need (tests/test_remote_engine.py runs it all
against a real remote engine)."""
from __future__ import annotations

import io
import tarfile
import threading
from types import SimpleNamespace

import docker.errors
import pytest

from harness import gpu, sandbox, transfer


class FakeContainer:
    def __init__(self, log: list, kwargs: dict):
        self.id = f"c{len(log):063d}"
        self.kwargs = kwargs
        self.log = log
        self.archives: list[tuple[str, bytes]] = []

    def put_archive(self, path: str, data) -> bool:
        self.log.append(("put_archive", self.id, path))
        self.archives.append((path, data if isinstance(data, bytes) else b"".join(data)))
        return True

    def start(self) -> None:
        self.log.append(("start", self.id))

    def exec_run(self, argv, user="root", detach=False):
        self.log.append(("exec", self.id, argv))
        return SimpleNamespace(exit_code=0, output=b"")

    def remove(self, **kwargs) -> None:
        self.log.append(("remove", self.id))


class FakeClient:
    """Just what Sandbox.start and transfer.seed_volume call, on an engine over TCP."""

    def __init__(self, refuse_cap_drop: bool = False):
        self.log: list = []
        self.made: list[FakeContainer] = []
        self.volumes_made: list[str] = []
        self.refuse_cap_drop = refuse_cap_drop
        self.api = SimpleNamespace(base_url="http://127.0.0.1:2375", inspect_volume=self._inspect_volume,
                                   remove_volume=lambda name, force: None, stats=self._stats)
        self.containers = SimpleNamespace(create=self._create)
        self.volumes = SimpleNamespace(create=self._create_volume)

    def _inspect_volume(self, name: str) -> dict:
        if name not in self.volumes_made:
            raise docker.errors.NotFound(name)
        return {"Name": name}

    def _create_volume(self, name: str | None = None, labels=None):
        name = name or f"v{len(self.volumes_made)}"
        self.volumes_made.append(name)
        return SimpleNamespace(name=name)

    def _create(self, image, command, **kwargs) -> FakeContainer:
        if self.refuse_cap_drop and "SYS_RESOURCE" in (kwargs.get("cap_drop") or []):
            raise docker.errors.APIError("invalid CapDrop: capability not supported by your kernel or not "
                                         'available in the current environment: "CAP_SYS_RESOURCE"')
        box = FakeContainer(self.log, kwargs)
        self.made.append(box)
        return box

    def _stats(self, cid, stream, one_shot):
        return {"pids_stats": {"current": 7}}


@pytest.fixture
def offline(monkeypatch):
    monkeypatch.setattr(sandbox, "NO_NETWORK", True)  # no run network to fake
    monkeypatch.setenv("HANDBOOK_RUN_ID", "transfer-test")
    monkeypatch.setenv("HANDBOOK_RUN_PID", "1")
    transfer._filled.clear()


def test_a_sandbox_with_an_engine_mounts_no_host_path(offline, tmp_path):
    seed = tmp_path / "seed-0123456789abcdef.tar"
    seed.write_bytes(b"images" * 1000)
    client = FakeClient()
    box = sandbox.Sandbox(client, "handbook-sandbox:x", "docs/page.md", engine=True, seed=seed)  # type: ignore[arg-type]
    box.start()
    page_box = client.made[-1]
    mounts = page_box.kwargs["volumes"]
    assert not [m for m in mounts if m.startswith("/")], mounts  # volume names only
    assert mounts[transfer.seed_volume_name(seed)] == {"bind": transfer.SEED_DIR, "mode": "ro"}
    # the helpers went in before the container started, and before the engine script ran
    steps = [s[0] for s in client.log if s[1] == page_box.id]
    assert steps[:3] == ["put_archive", "start", "exec"]
    # the seed went into its volume through a container that was never started
    filler = client.made[0]
    assert filler is not page_box and ("start", filler.id) not in client.log
    (path, data), = filler.archives
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        assert (path, tar.getnames()) == (transfer.SEED_DIR, [transfer.SEED_FILE])
        assert tar.extractfile(transfer.SEED_FILE).read() == seed.read_bytes()  # type: ignore[union-attr]


def test_the_seed_is_copied_once_per_run(offline, tmp_path):
    seed = tmp_path / "seed-aa.tar"
    seed.write_bytes(b"x")
    client = FakeClient()
    names = {transfer.seed_volume(client, seed, "img") for _ in range(3)}  # type: ignore[arg-type]
    transfer._filled.clear()  # as another worker of the run: it finds the volume there
    names.add(transfer.seed_volume(client, seed, "img"))  # type: ignore[arg-type]
    assert names == {"handbook-seed-transfer-test-aa"}
    assert len(client.made) == 1


def test_the_helpers_arrive_as_root_owned_files_under_opt_hb():
    with tarfile.open(fileobj=io.BytesIO(transfer.helpers_archive())) as tar:
        members = {m.name: m for m in tar.getmembers()}
    expected = {f"opt/hb/{p.name}" for p in transfer.HELPERS_DIR.iterdir()} | {"opt/hb"}
    assert set(members) == expected
    assert {"opt/hb/start-engine.sh", "opt/hb/pyrunner.py"} <= set(members)
    assert all(m.uid == 0 and not m.mode & 0o022 for m in members.values())


@pytest.mark.parametrize("size", [0, 1, 511, 512, 513, 3 * 2**20 + 7])
def test_a_streamed_file_is_a_valid_tar(tmp_path, size):
    source = tmp_path / "big"
    source.write_bytes(bytes(range(256)) * (size // 256) + bytes(size % 256))
    data = b"".join(transfer.file_as_tar(source, "seed.tar", chunk=4096))
    assert len(data) % tarfile.BLOCKSIZE == 0
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        assert tar.getnames() == ["seed.tar"]
        assert tar.extractfile("seed.tar").read() == source.read_bytes()  # type: ignore[union-attr]


def test_an_engine_without_cap_sys_resource_gets_no_request_to_drop_it(offline):
    client = FakeClient(refuse_cap_drop=True)
    box = sandbox.Sandbox(client, "img", "docs/page.md", engine=True)  # type: ignore[arg-type]
    box.start()
    assert client.made[-1].kwargs["cap_drop"] is None
    assert client.made[-1].kwargs["cap_add"] == ["ALL"]


def test_other_refusals_are_not_retried(offline):
    client = FakeClient()

    def refuse(image, command, **kwargs):
        raise docker.errors.APIError("no such image")

    client.containers.create = refuse
    with pytest.raises(docker.errors.APIError, match="no such image"):
        sandbox.Sandbox(client, "img", "docs/page.md", engine=True).start()  # type: ignore[arg-type]


def test_processes_are_counted_by_the_engine_when_its_cgroups_are_elsewhere(offline):
    client = FakeClient()
    box = sandbox.Sandbox(client, "img", "docs/page.md")  # type: ignore[arg-type]
    box.start()
    from harness.limits import process_count

    assert process_count(box) == 7


def test_a_remote_engine_is_not_offered_this_machines_gpu(monkeypatch):
    monkeypatch.delenv("HANDBOOK_GPU", raising=False)
    client = SimpleNamespace(api=SimpleNamespace(base_url="http://127.0.0.1:2375"), info=lambda: {"Runtimes": {}})
    access = gpu.probe(client)
    assert not access.usable and "remote" in access.reason
    client.info = lambda: {"Runtimes": {"nvidia": {}, "runc": {}}}
    access = gpu.probe(client)
    assert access.usable and access.how == "toolkit" and "device_requests" in access.create


def test_a_local_socket_is_not_remote():
    from harness.endpoint import is_remote

    assert not is_remote(SimpleNamespace(api=SimpleNamespace(base_url="http+docker://localhost")))  # type: ignore[arg-type]
    assert is_remote(SimpleNamespace(api=SimpleNamespace(base_url="https://build.example:2376")))  # type: ignore[arg-type]


def test_provisioning_another_engine_does_not_wait_for_this_ones(tmp_path, monkeypatch):
    """Building the images on a remote engine takes minutes: runs on the local one must not queue."""
    import fcntl
    import threading

    from harness import imagecache as images

    monkeypatch.setattr(images, "CACHE_DIR", tmp_path)
    monkeypatch.delenv("DOCKER_CONTEXT", raising=False)
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    with (tmp_path / ".provision.lock").open("w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # the local engine's provisioning, in progress
        monkeypatch.setenv("DOCKER_HOST", "tcp://127.0.0.1:2375")
        done = threading.Event()
        worker = threading.Thread(target=images.serialized(done.set), daemon=True)
        worker.start()
        finished = done.wait(timeout=10)
    worker.join(timeout=10)  # released above: it ends either way
    assert finished, "provisioning for DOCKER_HOST waited for the local engine's lock"


def test_a_file_written_for_the_reader_is_the_readers_with_its_new_folders():
    import io
    import tarfile

    data = transfer.file_archive("/home/reader/a/b/notes.txt", b"hi\n", 0o600, 1000, home="/home/reader",
                                 home_uid=1000)
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        members = {m.name: m for m in tar.getmembers()}
        assert list(members) == ["home/reader/a", "home/reader/a/b", "home/reader/a/b/notes.txt"]
        assert all(m.uid == 1000 for m in members.values())
        note = members["home/reader/a/b/notes.txt"]
        assert note.mode == 0o600 and tar.extractfile(note).read() == b"hi\n"
    root_file = transfer.file_archive("/var/tmp/hb/block-1.sh", b"", 0o644, 0, home="/home/reader", home_uid=1000)
    with tarfile.open(fileobj=io.BytesIO(root_file)) as tar:
        assert [(m.name, m.uid) for m in tar.getmembers()] == [("var/tmp/hb/block-1.sh", 0)]


def test_the_disk_is_measured_beside_the_page_at_most_every_few_seconds_and_always_at_its_end(monkeypatch):
    from harness.sandbox import DISK_CHECK_SECONDS, Sandbox

    box = Sandbox(None, "img", "p.md")  # type: ignore[arg-type]
    calls = []
    release = threading.Event()

    def used():
        calls.append(1)
        release.wait(10)  # a measurement that takes its time
        return (5 * 2**30, 0)

    monkeypatch.setattr(box, "disk_used", used)
    assert box.over_disk(now=100.0) == ""  # measuring started; the block after it does not wait
    assert box.disk_bound.measuring()
    release.set()
    box.disk_bound.wait()
    assert "disk bound" in box.over_disk(now=100.0 + DISK_CHECK_SECONDS / 2)  # its verdict, no new measurement
    assert len(calls) == 1
    box.over_disk(now=100.0 + DISK_CHECK_SECONDS)  # due again
    box.disk_bound.wait()
    assert len(calls) == 2
    assert "disk bound" in box.over_disk(now=100.0 + DISK_CHECK_SECONDS + 0.1, force=True)  # the end waits for it
    assert len(calls) == 3
