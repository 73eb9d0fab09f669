"""Shards: every page in exactly one shard, balanced by recorded durations, and a site built
from shard results only when together they are one run of the whole handbook."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from pagerun import PAGES, ROOT, run_pages

sys.path.insert(0, str(ROOT))

from harness import shards
from site_hooks import results
from site_hooks import shards as merging

SECONDS = {"docs/docker.md": 82.6, "docs/python-dependencies.md": 68.8, "docs/onboarding.md": 35.8,
           "docs/programming-tools.md": 34.6, "docs/git.md": 28.3, "docs/contributing.md": 13.1,
           "docs/command-line.md": 7.2, "docs/notebooks/timing.ipynb": 5.5, "docs/whats-next.md": 1.9,
           "docs/index.md": 0.8}


@pytest.mark.parametrize("count", [1, 2, 3, 4])
def test_the_split_is_disjoint_covers_every_page_and_is_the_same_every_time(count):
    split = shards.split(SECONDS, count)
    assert len(split) == count
    placed = [p for shard in split for p in shard]
    assert sorted(placed) == sorted(SECONDS)  # every page once
    assert shards.split(dict(reversed(list(SECONDS.items()))), count) == split  # order of the input is no matter


def test_two_shards_are_balanced():
    split = shards.split(SECONDS, 2)
    assert shards.balance(split, SECONDS) <= 1.3
    assert "docs/docker.md" not in split[1] or "docs/python-dependencies.md" not in split[1]


def test_the_committed_durations_cover_the_handbook_and_unknown_pages_get_an_estimate():
    known = shards.load_durations()
    assert known, "test-durations.json is missing or empty: make durations"
    assert shards.estimate(4) > shards.estimate(1) > 0
    with pytest.raises(ValueError, match="K/N"):
        shards.parse_spec("3/2")
    assert shards.parse_spec("2/3") == (2, 3)


def test_durations_are_read_from_a_results_file():
    data = {"pages": [{"page": "docs/a.md", "kind": "page", "timings": {"total": 12.34}}],
            "blocks": [{"page": "docs/n.ipynb", "kind": "notebook", "seconds": 1, "timings": {"total": 5.0}}]}
    assert shards.durations_from(data) == {"docs/a.md": 12.3, "docs/n.ipynb": 5.0}


# ---------------------------------------------------------------- merging shard results

PAGES3 = ["docs/a.md", "docs/b.md", "docs/c.md"]


def shard_file(folder: Path, index: int, pages: list[str], commit="c1", image="sha256:i1", seed="seed-1.tar",
               shard=True) -> Path:
    run = {"finished": f"2026-12-02T10:0{index}:00+00:00", "image": "handbook-sandbox:x", "image_id": image,
           "machine": "Debian", "commit": commit, "dirty": False, "exit_status": 0, "args": ["docs"], "seed": seed}
    if shard:
        run["shard"] = {"index": index, "count": 2, "pages": pages}
    data = {"version": 1, "run": run,
            "blocks": [{"page": p, "line": 3, "kind": "console", "status": "passed"} for p in pages],
            "pages": [{"page": p, "line": 0, "kind": "page", "status": "passed"} for p in pages]}
    out = folder / f"{index}-of-2"
    out.mkdir(parents=True)
    (out / "results.json").write_text(json.dumps(data))
    return out


def test_a_good_set_of_shards_merges_into_one_run(tmp_path):
    one = shard_file(tmp_path, 1, ["docs/a.md", "docs/c.md"])
    two = shard_file(tmp_path, 2, ["docs/b.md"])
    data = merging.merge([one, two], PAGES3, "c1")
    assert [b["page"] for b in data["blocks"]] == PAGES3
    assert data["run"]["commit"] == "c1" and data["run"]["image_id"] == "sha256:i1"
    assert data["run"]["finished"] == "2026-12-02T10:02:00+00:00"
    assert len(data["run"]["shards"]) == 2


@pytest.mark.parametrize(("second", "wanted"), [
    ({"pages": ["docs/c.md"]}, "docs/b.md: in no shard"),
    ({"pages": ["docs/a.md", "docs/b.md"]}, "docs/a.md: in 2 shards"),
    ({"pages": ["docs/b.md"], "commit": "c2"}, "two commits: c1 in shard 1-of-2"),
    ({"pages": ["docs/b.md"], "image": "sha256:i2"}, "two sandbox images"),
    ({"pages": ["docs/b.md"], "seed": "seed-2.tar"}, "two seed images"),
    ({"pages": ["docs/b.md", "docs/gone.md"]}, "docs/gone.md: in shard 2-of-2"),
    ({"pages": ["docs/b.md"], "shard": False}, "is not a shard's results"),
])
def test_the_merge_refuses_shards_that_are_not_one_run_and_says_what_is_wrong(tmp_path, second, wanted):
    one = shard_file(tmp_path, 1, ["docs/a.md", "docs/c.md"])
    two = shard_file(tmp_path, 2, **second)
    with pytest.raises(merging.Refused, match=wanted.replace("(", r"\(")):
        merging.merge([one, two], PAGES3, "c1")


def test_the_merge_refuses_shards_of_another_commit_than_the_checkout(tmp_path):
    one = shard_file(tmp_path, 1, ["docs/a.md", "docs/c.md"])
    two = shard_file(tmp_path, 2, ["docs/b.md"])
    with pytest.raises(merging.Refused, match="ran at commit c1, this checkout is at c9"):
        merging.merge([one, two], PAGES3, "c9")


def test_a_missing_shard_folder_is_named(tmp_path):
    with pytest.raises(merging.Refused, match=r"2-of-2 cannot be read as a shard.s results"):
        merging.merge([shard_file(tmp_path, 1, PAGES3), tmp_path / "2-of-2"], PAGES3, "c1")


def test_make_site_results_merges_a_good_set_and_refuses_a_bad_one_naming_why(tmp_path, capsys):
    root = tmp_path / "repo"
    for name in ("a", "b", "c"):
        (root / "docs").mkdir(parents=True, exist_ok=True)
        (root / "docs" / f"{name}.md").write_text(f"# {name}\n")
    one = shard_file(tmp_path / "shards", 1, ["docs/a.md", "docs/c.md"])
    out = root / "build" / "results.json"
    assert merging.main([str(one), "--out", str(out)], root=root) == 1
    assert "docs/b.md: in no shard" in capsys.readouterr().err
    assert not out.exists()
    two = shard_file(tmp_path / "shards", 2, ["docs/b.md"])
    assert merging.main([str(one), str(two), "--out", str(out)], root=root) == 0
    assert {b["page"] for b in json.loads(out.read_text())["blocks"]} == set(PAGES3)
    assert merging.main([str(tmp_path / "none" / "*"), "--out", str(out)], root=root) == 1
    assert "matches no shard's results" in capsys.readouterr().err


# ---------------------------------------------------------------- two real shards

@pytest.mark.docker
def test_two_real_shards_merge_into_a_run_the_gate_accepts(tmp_path):
    folder = PAGES / "shards"
    pages = sorted(folder.glob("*.md"))
    names = [p.relative_to(ROOT).as_posix() for p in pages]
    outs = []
    for index in (1, 2):
        out = tmp_path / f"{index}-of-2"
        out.mkdir()
        done = run_pages(*pages, tmp_path=out, extra=["-n", "2", "--dist", "loadfile", "--shard", f"{index}/2"])
        assert done.code == 0, done.output
        outs.append(out)
    given = [json.loads((o / "results.json").read_text())["run"]["shard"]["pages"] for o in outs]
    assert sorted(given[0] + given[1]) == names and all(given)
    ran = [{r["page"] for r in run_records(o)} for o in outs]
    assert ran == [set(g) for g in given]  # each shard ran its own pages, and only those

    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    merged = tmp_path / "results.json"
    merged.write_text(json.dumps(merging.merge(outs, names, head)))
    run, found = results.collect(pages, report=merged)
    assert results.refusals(run, found) == [], [r.summary() for r in found]
    assert all(r.state == results.VERIFIED for r in found)

    with pytest.raises(merging.Refused, match="in no shard"):  # one shard alone is not the handbook
        merging.merge(outs[:1], names, head)


def run_records(folder: Path) -> list[dict]:
    data = json.loads((folder / "results.json").read_text())
    return data["blocks"] + data["pages"]
