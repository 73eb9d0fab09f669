"""A page's Python blocks: one persistent interpreter in the sandbox, and `#>` checks.

State persists across the page's Python blocks, as in a notebook, so the
interpreter is started once, at the first block, with the `python3` and the
directory and environment that the page's shell has at that point (an
activated virtual environment included).
"""
from __future__ import annotations

import ast
import json
import struct
import subprocess
from dataclasses import dataclass

from . import interrupts
from .engine import docker_cli
from .errors import PythonGone

PRINT_MARK = "#>"


class PyRunner:
    def __init__(self, container_id: str, python: str, cwd: str, env: dict[str, str]):
        env_args = [x for k, v in env.items() for x in ("-e", f"{k}={v}")]
        self.proc = subprocess.Popen(
            [docker_cli(), "exec", "-i", "-u", "reader", "-w", cwd, *env_args, container_id,
             python, "-u", "/opt/hb/pyrunner.py"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )

    def run(self, code: str, filename: str, timeout: float) -> dict:
        data = json.dumps({"code": code, "filename": filename}).encode()
        answer: dict = {}
        stdin, stdout, stderr = self.proc.stdin, self.proc.stdout, self.proc.stderr
        assert stdin and stdout and stderr  # Popen was given PIPE for all three

        def talk():
            try:
                stdin.write(struct.pack(">I", len(data)) + data)
                stdin.flush()
                head = stdout.read(4)
                if len(head) == 4:
                    answer.update(json.loads(stdout.read(struct.unpack(">I", head)[0])))
            except (BrokenPipeError, OSError, ValueError):
                pass

        t = interrupts.background(talk, "python-block")
        t.join(timeout)
        if t.is_alive():
            self.close()
            raise TimeoutError
        if not answer:
            err = stderr.read().decode("utf-8", "replace") if self.proc.poll() is not None else ""
            raise PythonGone(f"the page's Python process ended: {err[-800:]}")
        return answer

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)


@dataclass
class PrintCheck:
    statement_line: int  # 1-based line (in the block) of the statement's last line
    expected: list[str]
    expected_lines: list[int]  # 1-based block lines of the `#>` lines


def print_checks(code: str) -> tuple[dict[int, int], list[PrintCheck]]:
    """Map each line to its top-level statement's end line, and read the `#>` groups."""
    tree = ast.parse(code)
    owner: dict[int, int] = {}
    for stmt in tree.body:
        for line in range(stmt.lineno, (stmt.end_lineno or stmt.lineno) + 1):
            owner[line] = stmt.end_lineno or stmt.lineno
    lines = code.split("\n")
    checks: list[PrintCheck] = []
    for i, text in enumerate(lines, start=1):
        stripped = text.strip()
        if not stripped.startswith(PRINT_MARK):
            continue
        value = stripped[len(PRINT_MARK):]
        value = value[1:] if value.startswith(" ") else value
        if checks and checks[-1].expected_lines[-1] == i - 1:
            checks[-1].expected.append(value)
            checks[-1].expected_lines.append(i)
            continue
        # the statement this group follows: the nearest code line above it
        k = i - 1
        while k > 0 and (not lines[k - 1].strip() or lines[k - 1].strip().startswith("#")):
            k -= 1
        checks.append(PrintCheck(owner.get(k, k), [value], [i]))
    return owner, checks
