"""The publishing gate, as `make site` and `make publish` use it.

  python -m site_hooks.gate check [--tests-exit N]
      Page by page, what the last test run verified; exits 1 (nothing is
      built) unless every page was verified. N is the exit status of the
      test run that `make site` just made.
  python -m site_hooks.gate mark DIR
      Record, beside the freshly built site, which commit and which working
      tree it was built from (build/site.json).
  python -m site_hooks.gate publish-check
      Exit 1 unless site/ was built by `make site` from exactly this working
      tree, at a commit with no uncommitted changes.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from harness.errors import HarnessError, SiteError

from . import results

ROOT = results.ROOT
MARK = Path("build/site.json")
SITE = Path("site")
STATE_WORD = {results.VERIFIED: "verified", results.NO_EXAMPLES: "no examples",
              results.NOT_RUN: "NOT RUN", results.UNVERIFIED: "NOT VERIFIED"}


def _say(message: str, stream=None) -> None:
    print(message, file=stream or sys.stdout, flush=True)


def check(tests_exit: int | None, root: Path = ROOT) -> int:
    run, found = results.collect(results.pages_in(root / "docs"), root=root)
    when = run.finished.strftime("%Y-%m-%d %H:%M %Z") if run.finished else "unknown time"
    _say(f"make site: what the test run verified ({results._rel(run.report)}, finished {when}):")
    width = max((len(r.path) for r in found), default=0)
    for r in found:
        _say(f"  {STATE_WORD[r.state]:<13} {r.path:<{width}}  {r.summary()}")
    refused = results.refusals(run, found)
    if tests_exit not in (None, 0) and not refused:
        refused.append(f"the test run exited with status {tests_exit}")
    if refused:
        _say(f"make site: refusing to build the site; not verified ({len(refused)}):", sys.stderr)
        for reason in refused:
            _say(f"  {reason}", sys.stderr)
        _say("make site: no site/ was built. Fix the pages (or run them all: a PAGE= or K= run "
             "verifies only part of the handbook) and run make site again.", sys.stderr)
        return 1
    total = sum(r.total for r in found)
    passed = sum(r.passed for r in found)
    _say(f"make site: {passed} of {total} examples verified on {len(found)} pages; building the site")
    return 0


# ---------------------------------------------------------------- the working tree

def _git(*args: str, root: Path = ROOT, env: dict | None = None) -> str:
    proc = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=120)
    if proc.returncode != 0:
        raise SiteError(f"git {' '.join(args)}: {proc.stderr.strip()}")
    return proc.stdout.strip()


def tree_hash(root: Path = ROOT) -> str:
    """The git tree of the working tree as it is: tracked and untracked files, ignored ones left out."""
    with tempfile.TemporaryDirectory() as tmp:
        env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
        _git("read-tree", "HEAD", root=root, env=env)
        _git("add", "--all", ".", root=root, env=env)
        return _git("write-tree", root=root, env=env)


def mark(site_dir: Path, root: Path = ROOT) -> int:
    commit = _git("rev-parse", "HEAD", root=root)
    info = {
        "built": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "commit": commit,
        "tree": tree_hash(root),
        "commit_tree": _git("rev-parse", "HEAD^{tree}", root=root),
        "site": str(SITE),
        "built_into": str(site_dir),
    }
    target = root / MARK
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(info, indent=2) + "\n")
    return 0


def publish_check(root: Path = ROOT) -> int:
    def refuse(why: str) -> int:
        _say(f"make publish: refusing to publish: {why}", sys.stderr)
        return 1

    target = root / MARK
    if not (root / SITE / "index.html").is_file() or not target.is_file():
        return refuse("no site/ built by make site here; run make site first")
    try:
        info = json.loads(target.read_text())
    except ValueError as e:
        return refuse(f"{MARK} cannot be read ({e}); run make site again")
    now = tree_hash(root)
    if info.get("tree") != now:
        return refuse(f"the working tree changed since make site built site/ (tree {info.get('tree', '?')[:12]}"
                      f", now {now[:12]}); run make site again")
    head = _git("rev-parse", "HEAD", root=root)
    if info.get("commit") != head:
        return refuse(f"HEAD moved since make site (built at {info.get('commit', '?')[:12]}, now {head[:12]}); "
                      "run make site again")
    if info.get("tree") != info.get("commit_tree"):
        return refuse("site/ was built from uncommitted changes, which its stamps cannot cite; "
                      "commit them and run make site again")
    _say(f"make publish: site/ was built by make site from commit {head[:12]} and this very tree")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m site_hooks.gate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p_check = sub.add_parser("check")
    p_check.add_argument("--tests-exit", type=int, default=None)
    p_mark = sub.add_parser("mark")
    p_mark.add_argument("site_dir", type=Path)
    sub.add_parser("publish-check")
    args = parser.parse_args(argv)
    try:
        if args.command == "check":
            return check(args.tests_exit)
        if args.command == "mark":
            return mark(args.site_dir)
        return publish_check()
    except HarnessError as e:
        _say(f"site_hooks.gate: {e}", sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
