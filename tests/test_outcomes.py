"""Outcomes are data: rendered once, recorded as they are, redacted everywhere, edits applied in place.

No Docker: these build outcomes by hand, as runners do, and check what each
consumer gets from them.
"""
from __future__ import annotations

import json
from pathlib import Path

from harness import record, report, updates
from harness.outcome import FAILED, PASSED, SKIPPED, Edit, Outcome, Problem, Reason, plain, skipped


def test_a_passed_outcome_renders_as_nothing_and_records_as_passed(tmp_path: Path) -> None:
    out = Outcome(seconds=1.5)
    assert report.render(out, "docs/x.md", 3) == ""
    rec = record.block_record("docs/x.md", 3, "console", out)
    assert rec["status"] == PASSED and rec["reason"] == "" and rec["seconds"] == 1.5 and rec["problem_line"] == 0


def test_the_first_problem_decides_the_reason_and_every_problem_is_rendered() -> None:
    out = Outcome()
    out.add(Problem(7, "output differs from the page", Reason.OUTPUT, command="ls", expected=("a",),
                    actual=("b",)))
    out.add(Problem(9, "unexpected exit status", Reason.EXIT, command="false", status=1, expected_status=0))
    assert out.status == FAILED and out.reason == Reason.OUTPUT and out.line == 7
    text = report.render(out, "docs/x.md")
    assert text.startswith("docs/x.md:7: output differs from the page\n  $ ls")
    assert "-a\n    +b" in text
    assert "docs/x.md:9: unexpected exit status" in text and "exit status: 1 (expected 0)" in text


def test_notes_follow_the_problems_indented() -> None:
    out = plain(4, "not run: the setup block at line 2 failed", Reason.SETUP)
    out.notes.append("note: an earlier block on this page failed, at line 2")
    assert report.render(out, "p.md") == ("p.md:4: not run: the setup block at line 2 failed\n"
                                          "  note: an earlier block on this page failed, at line 2")


def test_a_skip_renders_with_the_blocks_line_and_keeps_its_reason_code() -> None:
    out = skipped("GPU block skipped: no NVIDIA GPU here", Reason.GPU_UNAVAILABLE)
    assert out.status == SKIPPED
    assert report.render(out, "docs/docker.md", 40) == "docs/docker.md:40: GPU block skipped: no NVIDIA GPU here"
    rec = record.block_record("docs/docker.md", 40, "console", out)
    assert rec["reason"] == "gpu-unavailable" and rec["summary"] == "GPU block skipped: no NVIDIA GPU here"


def test_redaction_reaches_every_piece_of_text() -> None:
    secret = "s3cr3t-token"
    out = Outcome().add(Problem(3, f"saw {secret}", Reason.OUTPUT, command=f"echo {secret}",
                                expected=("x",), actual=(secret,), output=f"{secret}\n", note=f"n {secret}"))
    out.notes.append(f"also {secret}")
    hidden = out.mapped(lambda t: t.replace(secret, "[secret TOKEN]"))
    rec = record.block_record("p.md", 3, "console", hidden)
    assert secret not in json.dumps(rec) and "[secret TOKEN]" in rec["message"]
    assert secret in report.render(out, "p.md")  # the original is untouched: mapping makes a copy


def test_merge_keeps_problems_edits_and_time() -> None:
    a = Outcome(seconds=1.0, edits=[Edit(3, 3, ("x",))])
    b = plain(5, "broken", Reason.PAGE)
    b.seconds, b.edits = 2.0, [Edit(8, 9, ("y", "z"))]
    a.merge(b)
    assert a.status == FAILED and a.seconds == 3.0 and [e.first for e in a.edits] == [3, 8]


def test_edits_are_applied_bottom_up_so_line_numbers_stay_valid(tmp_path: Path) -> None:
    page = tmp_path / "p.md"
    page.write_text("a\nold1\nb\nold2\nold3\nc\n")
    updates.apply(page, [Edit(2, 2, ("new1", "new1b")), Edit(4, 5, ("new2",), indent="  "),
                         Edit(7, 6, ("added",))])
    assert page.read_text() == "a\nnew1\nnew1b\nb\n  new2\nc\nadded\n"


def test_an_empty_edit_line_gets_no_indent(tmp_path: Path) -> None:
    page = tmp_path / "p.md"
    page.write_text("- item\n\n  ```console\n  $ x\n  old\n  ```\n")
    updates.apply(page, [Edit(5, 5, ("one", "", "two"), indent="  ")])
    assert page.read_text() == "- item\n\n  ```console\n  $ x\n  one\n\n  two\n  ```\n"


def test_the_results_file_merges_every_workers_part_in_page_order(tmp_path: Path) -> None:
    results = tmp_path / "build" / "results.json"
    record.start(results)
    w1, w2 = record.Writer(results, "gw0"), record.Writer(results, "gw1")
    w2.write(record.block_record("docs/b.md", 5, "console", Outcome()))
    w1.write(record.block_record("docs/a.md", 9, "python", plain(10, "boom", Reason.PYTHON)))
    w1.write(record.block_record("docs/a.md", 3, "file", Outcome()))
    w1.write(record.block_record("docs/a.md", 0, "page", Outcome(), timings={"total": 2.0}))
    data = record.merge(results, {"image": "img", "exit_status": 1})
    assert [(b["page"], b["line"]) for b in data["blocks"]] == [("docs/a.md", 3), ("docs/a.md", 9), ("docs/b.md", 5)]
    assert data["pages"][0]["timings"] == {"total": 2.0}
    assert data["run"]["image"] == "img" and data["run"]["finished"]
    assert json.loads(results.read_text()) == data
    assert not record.parts_dir(results).exists()
    record.start(results)  # the next run starts with neither the file nor stale parts
    assert not results.exists()
