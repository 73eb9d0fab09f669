"""Pages outside the repository run and are reported like pages inside it.

Contributors run the harness on pages anywhere on their machine (a lesson they are
converting, a draft in /tmp). Each page's test ids must name it, so that two pages
never collide, and a folder of such pages must be recognised as pages to run.
"""
import xml.etree.ElementTree as ET

import pytest
from pagerun import run_pages

pytestmark = pytest.mark.docker


def _two_pages(folder):
    folder.mkdir()
    # both blocks open on line 3: the same Sybil id if the ids did not name the page
    (folder / "a.md").write_text("# A\n\n```console\n$ echo a\na\n```\n")
    (folder / "b.md").write_text("# B\n\n```console\n$ echo b\nnot b\n```\n")
    return folder


def test_two_pages_outside_the_repo_both_run_and_are_both_reported(tmp_path):
    pages = _two_pages(tmp_path / "lesson")
    out = run_pages(pages / "a.md", pages / "b.md", tmp_path=tmp_path, extra=["-n", "2", "--dist", "loadfile"])
    assert out.code == 1, out.output
    assert "1 failed, 1 passed" in out.output, out.output
    assert f"{pages / 'b.md'}:4: output differs from the page" in out.output, out.output
    cases = ET.parse(out.junit).getroot().iter("testcase")
    classnames = sorted(case.get("classname") for case in cases)
    assert len(classnames) == 2 and all(classnames), classnames
    assert classnames[0] != classnames[1]
    assert "a.md" in classnames[0] and "b.md" in classnames[1], classnames


def test_a_folder_outside_the_repo_runs_its_pages(tmp_path):
    pages = _two_pages(tmp_path / "lesson")
    out = run_pages(str(pages) + "/", tmp_path=tmp_path)
    assert out.code == 1, out.output
    assert "1 failed, 1 passed" in out.output, out.output
    assert "has no attribute" not in out.output, out.output
    assert f"{pages / 'b.md'}:4: output differs from the page" in out.output, out.output
