"""Run a page through the harness in a separate pytest, as a contributor would."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGES = Path(__file__).resolve().parent / "pages"


@dataclass
class Outcome:
    code: int
    output: str
    junit: Path
    results: Path  # the run's results file (build/results.json for make test-docs)

    def records(self) -> list[dict]:
        """Every block's record, then every page's end."""
        data = json.loads(self.results.read_text())
        return data["blocks"] + data["pages"]


def run_pages(*pages: str | Path, tmp_path: Path, extra=(), env=None, timeout=600, unset=()) -> Outcome:
    """Run the pages; `env` adds to this process's environment, `unset` names variables to leave out."""
    junit = tmp_path / "junit.xml"
    results = tmp_path / "results.json"
    cmd = [sys.executable, "-m", "pytest", "-c", str(ROOT / "pytest.ini"), f"--rootdir={ROOT}",
           "-p", "no:cacheprovider", "-p", "no:hypothesispytest", "--assert=plain", "-q", f"--junitxml={junit}",
           f"--results={results}", *map(str, pages), *extra]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                          env={k: v for k, v in {**os.environ, **(env or {})}.items() if k not in unset})
    return Outcome(proc.returncode, proc.stdout + proc.stderr, junit, results)
