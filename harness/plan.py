"""Decide, from the whole page, what its blocks need before any of them runs.

Some facts are only visible page-wide: whether the page uses Docker (so its
sandbox needs an engine of its own), and whether the page builds each
Dockerfile it shows or the harness has to build it so that no Dockerfile on
the site goes unbuilt.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from .console import split_console
from .fences import Block

DOCKER_WORD = re.compile(r"(?:^|[\s;&|(`$])(?:sudo\s+)?(?:docker|docker-compose)(?:\s|$)", re.M)
BUILDS = re.compile(r"\b(?:docker\s+(?:image\s+)?build|docker\s+compose\s+(?:build|up)|docker-compose\s+(?:build|up))\b")
TARGET = re.compile(r"^(?P<names>[A-Za-z0-9_./%$(){}-][^:=#\t]*?)\s*::?(?!=)(?P<rest>.*)$")


def is_dockerfile(title: str) -> bool:
    name = PurePosixPath(title).name
    return name == "Dockerfile" or name.endswith(".Dockerfile") or name.startswith("Dockerfile.")


def is_makefile(title: str) -> bool:
    name = PurePosixPath(title).name
    return name in ("Makefile", "makefile", "GNUmakefile") or name.endswith(".mk")


def make_targets(body: str) -> list[str]:
    """Explicit targets of a Makefile, as `make -n` can check them."""
    targets: list[str] = []
    for line in body.split("\n"):
        if line.startswith(("\t", " ", "#")) or not line.strip():
            continue
        m = TARGET.match(line)
        if not m:
            continue
        for name in m["names"].split():
            if name.startswith(".") or "%" in name or "$" in name or name in targets:
                continue
            targets.append(name)
    return targets


@dataclass
class Plan:
    blocks: list[Block]
    engine: bool = False
    harness_builds: set[int] = field(default_factory=set)  # starts of Dockerfile blocks the page never builds
    commands: dict[int, list] = field(default_factory=dict)  # console block start -> its commands
    teardown: list[Block] = field(default_factory=list)


def plan_page(blocks: list[Block], path: str) -> Plan:
    plan = Plan(blocks=[b for b in blocks if not b.options.get("teardown")])
    plan.teardown = [b for b in blocks if b.options.get("teardown")]
    for i, b in enumerate(plan.blocks):
        if b.kind == "console":
            plan.commands[b.start] = split_console(b.body, b.body_lines, path, b.line)
        if b.kind != "display" and DOCKER_WORD.search(b.body):
            plan.engine = True
        if b.kind == "file":
            title = str(PurePosixPath(b.title))
            if is_dockerfile(title):
                plan.engine = True
                if not _built_later(plan.blocks, i, title):
                    plan.harness_builds.add(b.start)
    return plan


def _built_later(blocks: list[Block], index: int, title: str) -> bool:
    for later in blocks[index + 1:]:
        if later.kind == "file" and later.title == title:
            return False  # replaced before anything built it
        if later.kind in ("console", "bash") and BUILDS.search(later.body):
            return True
    return False
