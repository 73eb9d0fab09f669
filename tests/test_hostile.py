"""Hostile and broken examples fail their own block, within limits, and touch nothing else."""
import hashlib
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import docker
import pytest
from pagerun import PAGES, ROOT, run_pages

pytestmark = pytest.mark.docker

HOSTILE = PAGES / "hostile"

# page -> phrases its failure must contain (each names page and line first)
EXPECTED = {
    "fork-bomb.md": ["fork-bomb.md:4: the block left", "a fork bomb or a runaway loop; the page's sandbox was stopped",
                     "fork-bomb.md:9: not run: the sandbox filled up with processes"],
    "memory-hog.md": ["memory-hog.md:5: unexpected exit status",
                      "137 (128+9: probably killed by signal 9, SIGKILL; the sandbox's memory limit"],
    "busy-loop.md": ["busy-loop.md:5: command did not finish", "timed out"],
    "huge-output.md": ["huge-output.md:5: command did not finish", "output too large: cut off after 4 MiB"],
    "not-utf8-output.md": ["not-utf8-output.md:4: output differs", "+caf\ufffd \ufffd\ufffd"],
    "rm-root.md": ["rm-root.md:17: unexpected exit status", "127 (command not found)"],
    "network-not-opted.md": ["network-not-opted.md:5: unexpected exit status",
                             "Could not resolve host: pypi.org", "this block has no network"],
    "exit-shell.md": ["exit-shell.md:4: command did not finish", "the page's shell exited",
                      "exit-shell.md:7: not run: the page's shell is gone"],
    "exec-shell.md": ["exec-shell.md:4: command did not finish", "exec-shell.md:7: not run: the page's shell is gone"],
    "disk-fill.md": ["disk-fill.md:6: command did not finish",
                     "a file would have grown past the page's 4.0 GiB disk bound",
                     "disk-fill.md:12: command did not finish",
                     "the page wrote more than its 4.0 GiB disk bound",
                     "disk-fill.md:15: not run: the page wrote more than its disk bound"],
    "waits-for-input.md": ["waits-for-input.md:5: command did not finish",
                           "waiting for input from the terminal: the page's shell itself",
                           "waits-for-input.md:10: command did not finish",
                           "waiting for input from the terminal: python3"],
}


TARGETS = [ROOT / "README.md", Path("/var/run/docker.sock")]  # what rm-root.md aims at on the host


def digest(paths) -> dict:
    return {str(p): (hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else p.stat().st_mode)
            for p in paths}


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    before = digest(TARGETS)
    pages = [*sorted(HOSTILE.glob("*.md")), PAGES / "all-pass.md"]
    began = time.monotonic()
    out = run_pages(*pages, tmp_path=tmp_path_factory.mktemp("hostile"), extra=["-n", "2", "--dist", "loadfile"])
    return out, time.monotonic() - began, before


@pytest.mark.parametrize("page", sorted(EXPECTED))
def test_hostile_page_fails_its_own_block_clearly(hostile_run, page):
    out = hostile_run[0].output
    for phrase in EXPECTED[page]:
        assert f"tests/pages/hostile/{phrase}" in out or phrase in out, f"{phrase!r} missing:\n{out[-3000:]}"


def test_the_run_goes_on_and_the_good_pages_pass(hostile_run):
    out, seconds, _ = hostile_run
    cases = ET.parse(out.junit).getroot().iter("testcase")
    passed = {c.get("classname") for c in cases if not list(c)}
    assert "tests.pages.all-pass.md" in passed
    assert "tests.pages.hostile.background-forever.md" in passed  # never-ending background jobs are fine
    assert seconds < 600


def test_the_host_is_untouched(hostile_run):
    _, _, before = hostile_run
    assert digest(TARGETS) == before
    assert not (Path.home() / ".docker-sock-test").exists()
    assert docker.from_env().ping()  # the engine's socket still answers
