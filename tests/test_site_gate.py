"""The publishing gate: no site/ unless every example of every page passed.

The slow tests run `make site` for real, in a temporary copy of the
repository, on one small page (PAGE=docs/index.md): one with an example made
wrong, one with an example skipped for no GPU-related reason. Both must fail,
name the page and line, and leave no site/. The fast tests feed the gate
made-up reports.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from site_hooks import gate, results, stamps  # noqa: E402

GIT = ["git", "-c", "user.name=Gate Test", "-c", "user.email=gate@example.invalid", "-c", "commit.gpgsign=false"]


# ---------------------------------------------------------------- a copy of the repository

def copy_repo(dest: Path) -> Path:
    """The working tree as git sees it (tracked and untracked, not ignored), committed in a fresh repo."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, check=True).stdout.decode().split("\0")
    for rel in filter(None, listed):
        src = ROOT / rel
        if src.is_file() and not src.is_symlink():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    (dest / "build").mkdir()
    if (ROOT / "build" / "cache").is_dir():  # the seed archive of the base images: reuse it
        (dest / "build" / "cache").symlink_to(ROOT / "build" / "cache")
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=dest, check=True)
    subprocess.run([*GIT, "add", "-A"], cwd=dest, check=True)
    subprocess.run([*GIT, "commit", "-q", "-m", "copy"], cwd=dest, check=True)
    return dest


def make_site(repo: Path, page: str) -> subprocess.CompletedProcess:
    (repo / "site").mkdir()
    (repo / "site" / "index.html").write_text("a stale site from an earlier build")
    return subprocess.run(["make", "--no-print-directory", "site", f"PAGE={page}", "WORKERS=1",
                           f"VENV={ROOT / '.venv'}"], cwd=repo, capture_output=True, text=True, timeout=900,
                          env={**os.environ, "HANDBOOK_GPU": "0"})


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


@pytest.mark.docker
def test_a_wrong_example_stops_make_site_naming_page_and_line(tmp_path):
    repo = copy_repo(tmp_path / "repo")
    page = repo / "docs" / "index.md"
    text = page.read_text()
    assert "$ python3 -c 'print(6 * 7)'\n42\n" in text
    page.write_text(text.replace("$ python3 -c 'print(6 * 7)'\n42\n", "$ python3 -c 'print(6 * 7)'\n43\n"))
    line = line_of(text, "$ python3 -c 'print(6 * 7)'")

    proc = make_site(repo, "docs/index.md")
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out
    assert f"docs/index.md:{line}: output differs from the page" in out, out  # the harness's failure
    assert re.search(rf"^  docs/index\.md: 1 of 2 examples verified; 1 failed: line {line}: "
                     r"output differs from the page$", out, re.M), out  # the gate's refusal, one line
    assert "make site: refusing to build the site" in out and "no site/ was built" in out
    assert not (repo / "site").exists(), "a stale site/ survived a failed make site"
    assert not (repo / "build" / "site.tmp").exists() and not (repo / "build" / "site.json").exists()


@pytest.mark.docker
def test_a_skipped_example_stops_make_site_with_its_reason(tmp_path):
    repo = copy_repo(tmp_path / "repo")
    page = repo / "docs" / "index.md"
    text = page.read_text()
    fence = "```console\n$ whoami\n"
    assert fence in text
    page.write_text(text.replace(fence, '<!-- test: skip="needs the licence server" -->\n' + fence))
    line = line_of(text, fence) + 1

    proc = make_site(repo, "docs/index.md")
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out
    assert "1 passed, 1 skipped" in out, out  # the tests themselves pass...
    assert (f"docs/index.md: 1 of 2 examples verified; 1 skipped: line {line}: needs the licence server"
            in out), out  # ...but a skip is not a verification
    assert re.search(r"docs/git\.md: not verified in this run \(0 of \d+ examples ran\)", out), out
    assert not (repo / "site").exists()

    # the MkDocs hook refuses on its own too, whoever calls mkdocs with the gate on
    build = subprocess.run([str(ROOT / ".venv" / "bin" / "mkdocs"), "build", "--strict", "-d",
                            str(tmp_path / "out")], cwd=repo, capture_output=True, text=True, timeout=300,
                           env={**os.environ, "HANDBOOK_SITE_GATE": "1", "NO_MKDOCS_2_WARNING": "1"})
    assert build.returncode != 0
    assert "refusing to build the site" in build.stdout + build.stderr
    assert "docs/index.md: 1 of 2 examples verified; 1 skipped" in build.stdout + build.stderr


def test_a_broken_anchor_fails_the_strict_build(tmp_path):
    repo = copy_repo(tmp_path / "repo")
    page = repo / "docs" / "whats-next.md"
    text = page.read_text()
    assert "[Git](git.md)" in text
    page.write_text(text.replace("[Git](git.md)", "[Git](git.md#no-such-heading)", 1))
    build = subprocess.run([str(ROOT / ".venv" / "bin" / "mkdocs"), "build", "--strict", "-d",
                            str(tmp_path / "out")], cwd=repo, capture_output=True, text=True, timeout=300,
                           env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert build.returncode != 0
    assert "#no-such-heading" in build.stdout + build.stderr


# ---------------------------------------------------------------- made-up reports

def make_root(tmp_path: Path, pages: dict[str, str]) -> Path:
    root = tmp_path / "root"
    for rel, content in pages.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(textwrap.dedent(content))
    (root / "snippets").mkdir(exist_ok=True)
    return root


def write_report(root: Path, cases: list[tuple[str, int, str]], exit_status: int = 0) -> None:
    """cases: (page, block line, outcome) with outcome 'pass', 'fail:LINE:WORDS', 'skip:REASON:WORDS',
    or 'end-fail:WORDS' (the page's end failed); written as the harness writes build/results.json."""
    blocks, pages = [], []
    for page, line, outcome in cases:
        kind, _, rest = outcome.partition(":")
        record = {"page": page, "line": line, "kind": "console", "status": "passed", "reason": "",
                  "seconds": 0.1, "problem_line": 0, "summary": "", "message": ""}
        if kind == "fail":
            where, _, words = rest.partition(":")
            record.update(status="failed", reason="output-differs", problem_line=int(where), summary=words)
        elif kind == "skip":
            reason, _, words = rest.partition(":")
            record.update(status="skipped", reason=reason, summary=words)
        elif kind == "end-fail":
            record.update(kind="page", status="failed", reason="sandbox", summary=rest)
        (pages if record["kind"] == "page" else blocks).append(record)
    (root / "build").mkdir(exist_ok=True)
    (root / "build" / "results.json").write_text(json.dumps({"version": 1, "blocks": blocks, "pages": pages, "run": {
        "finished": "2026-11-26T10:46:13+00:00",
        "image": "handbook-sandbox:537364c0d612", "image_id": "sha256:" + "8f2a88ae7851" * 5 + "abcd",
        "commit": "9342ea4af88bfd7e4ad2255362dedc59b50b7252", "dirty": False, "exit_status": exit_status}}))


PAGE = """\
    # A page

    ```console
    $ echo one
    one
    ```

    <!-- test: gpu -->
    ```console
    $ nvidia-smi -L
    GPU 0: ...
    ```
    """
PROSE = "# Only words\n\nNothing runs here.\n\n```text\nshown, not run\n```\n"


def test_gpu_skips_are_allowed_other_problems_are_not(tmp_path, capsys):
    root = make_root(tmp_path, {"docs/a.md": PAGE, "docs/prose.md": PROSE})
    assert results.example_lines(root / "docs" / "a.md", root) == [3, 9]
    write_report(root, [("docs/a.md", 3, "pass"),
                        ("docs/a.md", 9, "skip:gpu-unavailable:GPU block skipped: no NVIDIA GPU")])
    assert gate.check(0, root) == 0
    out = capsys.readouterr().out
    assert "docs/a.md" in out and "1 skipped for want of a GPU (no NVIDIA GPU)" in out
    assert "no examples to run" in out  # prose.md

    run, found = results.collect(results.pages_in(root / "docs"), root=root)
    page = next(r for r in found if r.path == "docs/a.md")
    html = stamps.page_stamp(page, run, "https://github.com/example/handbook")
    assert 'data-state="verified"' in html and "1 GPU example skipped for want of a GPU" in html
    assert "handbook-sandbox:537364c0d612" in html and "8f2a88ae7851" in html and "9342ea4af8" in html
    prose = next(r for r in found if r.path == "docs/prose.md")
    assert "This page has no examples to run" in stamps.page_stamp(prose, run)
    home = stamps.home_stamp(found, run)
    assert 'data-total="2"' in home and "Verified: 1 of 2 examples on 1 page ran and passed" in home


@pytest.mark.parametrize("cases, expected", [
    ([("docs/a.md", 3, "fail:4:output differs from the page"), ("docs/a.md", 9, "pass")],
     "docs/a.md: 1 of 2 examples verified; 1 failed: line 4: output differs from the page"),
    ([("docs/a.md", 3, "skip:skip-option:skipped: flaky mirror"), ("docs/a.md", 9, "pass")],
     "docs/a.md: 1 of 2 examples verified; 1 skipped: line 3: flaky mirror"),
    ([("docs/a.md", 3, "pass")],  # a K= run: one block of two
     "docs/a.md: 1 of 2 examples verified; 1 did not run"),
    ([("docs/a.md", 3, "pass"), ("docs/a.md", 5, "pass")],  # the page moved since
     "docs/a.md: 2 of 2 examples verified; the page changed since the test run"),
    ([("docs/a.md", 3, "pass"), ("docs/a.md", 9, "pass"), ("docs/a.md", 0, "end-fail:teardown failed")],
     "docs/a.md: 2 of 3 examples verified; 1 failed: teardown failed"),
    ([], "docs/a.md: not verified in this run (0 of 2 examples ran)"),
], ids=["failure", "skip", "partial-run", "stale", "page-end", "not-run"])
def test_the_gate_refuses_what_was_not_verified(tmp_path, capsys, cases, expected):
    root = make_root(tmp_path, {"docs/a.md": PAGE})
    write_report(root, cases, exit_status=1 if any("fail" in c[2] for c in cases) else 0)
    assert gate.check(0, root) == 1
    captured = capsys.readouterr()
    assert expected in captured.out + captured.err, captured
    assert "refusing to build the site" in captured.err
    run, found = results.collect(results.pages_in(root / "docs"), root=root)
    html = stamps.page_stamp(found[0], run)
    assert 'data-state="verified"' not in html and "Verified:" not in html


def test_no_report_no_site(tmp_path, capsys):
    root = make_root(tmp_path, {"docs/a.md": PAGE})
    assert gate.check(2, root) == 1
    assert "no test run found" in capsys.readouterr().err


def test_a_notebook_is_verified_only_with_its_executed_copy(tmp_path):
    nb = {"cells": [{"cell_type": "code", "source": ["print(1)"], "outputs": [], "execution_count": None,
                     "metadata": {}}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    root = make_root(tmp_path, {"docs/nb/t.ipynb": json.dumps(nb)})
    write_report(root, [("docs/nb/t.ipynb", 0, "pass")])
    pages = results.pages_in(root / "docs")
    assert results.collect(pages, root=root)[1][0].stale == "the run left no executed copy of the notebook"
    executed = root / "build" / "notebooks" / "docs" / "nb" / "t.ipynb"
    executed.parent.mkdir(parents=True)
    ran = json.loads(json.dumps(nb))
    ran["cells"][0]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ["1\n"]}]
    executed.write_text(json.dumps(ran))
    assert results.collect(pages, root=root)[1][0].state == results.VERIFIED
    ran["cells"][0]["source"] = ["print(2)"]
    executed.write_text(json.dumps(ran))
    assert results.collect(pages, root=root)[1][0].stale == "the notebook changed since the test run"


def test_publish_only_the_tree_make_site_built(tmp_path, capsys):
    root = tmp_path / "repo"
    (root / "docs").mkdir(parents=True)
    (root / "docs" / "index.md").write_text("# Home\n")
    (root / ".gitignore").write_text("site/\nbuild/\n")
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    subprocess.run([*GIT, "add", "-A"], cwd=root, check=True)
    subprocess.run([*GIT, "commit", "-q", "-m", "one"], cwd=root, check=True)
    assert gate.publish_check(root) == 1
    assert "run make site first" in capsys.readouterr().err

    (root / "site").mkdir()
    (root / "site" / "index.html").write_text("<h1>Home</h1>")
    gate.mark(root / "site", root)
    assert gate.publish_check(root) == 0

    (root / "docs" / "new.md").write_text("# New, not built\n")  # even an untracked page counts
    assert gate.publish_check(root) == 1
    assert "the working tree changed since make site" in capsys.readouterr().err

    gate.mark(root / "site", root)  # built from uncommitted changes: the stamps could not cite them
    assert gate.publish_check(root) == 1
    assert "uncommitted changes" in capsys.readouterr().err

    subprocess.run([*GIT, "add", "-A"], cwd=root, check=True)
    subprocess.run([*GIT, "commit", "-q", "-m", "two"], cwd=root, check=True)
    assert gate.publish_check(root) == 1  # HEAD moved: make site again
    gate.mark(root / "site", root)
    assert gate.publish_check(root) == 0


def test_the_stamp_names_the_readers_machine_the_run_used(tmp_path):
    from site_hooks.stamps import run_line

    run = results.Run(report=tmp_path / "r.xml", found=True, image="handbook-sandbox:1", image_id="sha256:ab",
                      machine="Debian GNU/Linux 13 (trixie), Python 3.13.5, Docker 26.1.5")
    line = run_line(run)
    assert "throwaway containers of Debian GNU/Linux 13 (trixie), Python 3.13.5, Docker 26.1.5: " in line
    assert "<code>handbook-sandbox:1</code>" in line
    assert "Debian" not in run_line(results.Run(report=tmp_path / "r.xml", found=True, image="x", image_id="y"))
