"""Decide, from the whole page, what its blocks need before any of them runs.

Some facts are only visible page-wide: whether the page uses Docker (so its
sandbox needs an engine of its own), and whether the page builds each
Dockerfile it shows or the harness has to build it so that no Dockerfile on
the site goes unbuilt.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from .console import DEFAULT_PROMPT, prompt_pattern, split_console
from .errors import PageError
from .fences import Block
from .pyblocks import PrintCheck, print_checks

# `docker version`, `docker compose version`, `docker buildx version`, `docker --version`, with options
# but nothing the shell would read (no `;`, `|`, `$(...)`, redirection): a Docker page's first blocks
VERSION_ONLY = re.compile(r"docker(?: (?:buildx|compose))? version(?: [^;&|$`<>()\\\n]*)?|docker --version")
DOCKER_WORD = re.compile(r"(?:^|[\s;&|(`$])(?:sudo\s+)?(?:docker|docker-compose)(?:\s|$)", re.M)
BUILDS = re.compile(r"\b(?:docker\s+(?:image\s+)?build|docker\s+compose\s+(?:build|up)"
                    r"|docker-compose\s+(?:build|up))\b")
# `make` where a command starts (not `apt install make`): the page runs make here
RUNS_MAKE = re.compile(r"(?:^|[;&|(`]|\$\()\s*(?:sudo\s+)?(?:\w+=\S*\s+)*make(?:\s|$)", re.M)
GPUS_FLAG = re.compile(r"\s--gpus(?:[\s=]|$)")  # `docker run --gpus`: needs the toolkit in the engine
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


FROM = re.compile(r"^\s*FROM\s+(?:--\S+\s+)*(?P<image>\S+)", re.M | re.I)


@dataclass
class Plan:
    blocks: list[Block]
    engine: bool = False
    images: set[str] = field(default_factory=set)  # base images the page's engine must start with
    harness_builds: set[int] = field(default_factory=set)  # starts of Dockerfile blocks the page never builds
    commands: dict[int, list] = field(default_factory=dict)  # console block start -> its commands
    teardown: list[Block] = field(default_factory=list)
    options: dict = field(default_factory=dict)  # the page's own options (`<!-- test-page: ... -->`)
    gpu_engine: bool = False  # GPU blocks drive the page's own engine: its sandbox gets the GPU
    typed: dict[int, str] = field(default_factory=dict)  # console/bash block start -> what the reader types
    # python block start -> (line -> its top-level statement's last line, the block's `#>` groups)
    prints: dict[int, tuple[dict[int, int], list[PrintCheck]]] = field(default_factory=dict)
    # starts of blocks (teardown included) that may talk to the page's engine: only these wait for it
    engine_blocks: set[int] = field(default_factory=set)
    # of those, blocks that only ask for versions: they wait for the engine, not for its base images
    version_blocks: set[int] = field(default_factory=set)


def plan_page(blocks: list[Block], path: str, options: dict | None = None) -> Plan:
    plan = Plan(blocks=[b for b in blocks if not b.options.get("teardown")], options=dict(options or {}))
    plan.teardown = [b for b in blocks if b.options.get("teardown")]
    typed = plan.typed  # what the reader types in each console/bash block: commands, not their output
    for b in plan.blocks:
        if "skip" in b.options:
            continue  # never run, so never parsed as a session: a lesson's lone illustrative `$` is fine
        if b.kind == "console":
            prompt = b.options.get("prompt", plan.options.get("prompt", DEFAULT_PROMPT))
            plan.commands[b.start] = split_console(b.body, b.body_lines, path, b.line, prompt)
            typed[b.start] = "\n".join(c.text for c in plan.commands[b.start])
        elif b.kind == "bash":
            typed[b.start] = b.body
            prompt = b.options.get("prompt", plan.options.get("prompt", DEFAULT_PROMPT))
            if b.output is not None and _prompted(b.body, prompt):
                plan.commands[b.start] = _session(b, b.output, path, prompt)
                typed[b.start] = "\n".join(c.text for c in plan.commands[b.start])
            elif b.output is None and _prompted(b.body, prompt, command=True):
                # typed commands with no output fence: run as typed, like a console block
                # (run as a script, each `$` would be "command not found")
                plan.commands[b.start] = split_console(b.body, b.body_lines, path, b.line, prompt, pasted=True)
                typed[b.start] = "\n".join(c.text for c in plan.commands[b.start])
        elif b.kind == "python":
            plan.prints[b.start] = _print_checks(b, path)
    commands = "\n".join(typed.values())
    for i, b in enumerate(plan.blocks):
        if b.start in typed and DOCKER_WORD.search(typed[b.start]):
            plan.engine = True
            if b.options.get("gpu") and not GPUS_FLAG.search(typed[b.start]):
                plan.gpu_engine = True
        if b.kind == "file":
            title = str(PurePosixPath(b.attrs["title"]))
            if is_dockerfile(title):
                plan.engine = True
                plan.images.update(m["image"] for m in FROM.finditer(b.body))
                if not _built_later(plan.blocks, i, title):
                    plan.harness_builds.add(b.start)
            elif DOCKER_WORD.search(b.body) and _runs(title, b.body, commands):
                plan.engine = True  # a Makefile or script of the page's that calls docker, and is run
    files = _page_files(plan)
    if any(DOCKER_WORD.search(body) and _runs(name, body, commands) for name, body in files.items()):
        plan.engine = True  # a data file (`files=`) that calls docker, and is run
    if plan.engine:
        plan.engine_blocks = _engine_blocks(plan, typed, files)
        plan.version_blocks = {b.start for b in plan.blocks if b.start in plan.engine_blocks
                               and b.start in plan.commands and plan.commands[b.start]
                               and all(VERSION_ONLY.fullmatch(c.text) for c in plan.commands[b.start])}
    return plan


def _page_files(plan: Plan) -> dict[str, str]:
    """The files the page gives the reader, by name: its file blocks and its data files (`files=`)."""
    files: dict[str, str] = {PurePosixPath(b.attrs["title"]).name: b.body
                             for b in plan.blocks + plan.teardown if b.kind == "file" and b.attrs.get("title")}
    for entry in plan.options.get("files", ()):
        # (name, file here) once the loader resolved them against the page's folder; a bare name else
        name, source = entry if isinstance(entry, tuple) else (entry, None)
        try:
            files[PurePosixPath(name).name] = Path(source).read_text(encoding="utf-8", errors="replace")
        except (OSError, TypeError):
            files[PurePosixPath(name).name] = "docker"  # not read: assume the worst
    return files


def _engine_blocks(plan: Plan, typed: dict[int, str], files: dict[str, str]) -> set[int]:
    """The blocks that may talk to the page's engine, so must wait until it answers.

    Erring towards waiting: a block is engine-free only when neither it nor any file of the
    page it names mentions docker in any way, and it runs no make (a recipe may call docker).
    A block wrongly called engine-free would fail with "Cannot connect to the Docker daemon".
    """
    dockerish = {name for name, body in files.items() if "docker" in body.lower()}
    found = set()
    for b in plan.blocks + plan.teardown:
        text = typed.get(b.start, b.body)
        if b.kind == "file":
            # a Makefile's parse check expands its variables: `$(shell docker ...)` runs then
            if b.start in plan.harness_builds or (is_makefile(b.attrs.get("title", "")) and "docker" in text.lower()):
                found.add(b.start)
            continue
        if ("docker" in text.lower() or RUNS_MAKE.search(text)
                or any(name in text for name in dockerish)):
            found.add(b.start)
    return found


def _print_checks(block: Block, path: str) -> tuple[dict[int, int], list[PrintCheck]]:
    """A Python block's `#>` groups, read before anything runs; code that does not parse is a page error
    (unless the block says it raises SyntaxError: then it has no groups to read)."""
    try:
        return print_checks(block.body)
    except SyntaxError as e:
        if block.options.get("raises") == "SyntaxError":
            return {}, []
        raise PageError(path, block.line + (e.lineno or 1), f"Python syntax error: {e.msg}") from None


def _prompted(body: str, prompt: str, command: bool = False) -> bool:
    """Whether a script block is written as typed commands (`$ ls`), as lessons often do.

    With `command`, the first prompt must carry a command: a lone `$` that only shows what a
    prompt looks like stays a script, and fails as one, in its own block.
    """
    first = next((line for line in body.split("\n") if line.strip()), "")
    m = prompt_pattern(prompt).match(first)
    return bool(m and (not command or (m["cmd"] or "").strip()))


def _session(block: Block, output: Block, path: str, prompt: str) -> list:
    """The commands of a bash block with `$ ` prompts whose output is in the fence after it."""
    commands = split_console(block.body, block.body_lines, path, block.line, prompt, pasted=True)
    for cmd in commands:
        shown = [(text, line) for text, line in zip(cmd.expected, cmd.expected_lines, strict=True) if text.strip()]
        if shown:
            text, line = shown[0]
            raise PageError(path, line, f"{text.strip()!r} is not a command: this block's output "
                            f"belongs in the ```{output.lang} fence after it (line {output.line})")
    return commands


def _runs(title: str, body: str, commands: str) -> bool:
    """Whether the page's commands run the docker parts of this file.

    For a Makefile: a `make` (not `make -n`) of a target whose recipe calls docker, or of the
    default goal when that is one. For a script: its name in a command.
    """
    if not is_makefile(title):
        return PurePosixPath(title).name in commands
    recipes = _recipes(body)
    dockerish = {t for t, recipe in recipes.items() if DOCKER_WORD.search(recipe)}
    default = next(iter(recipes), None)
    for m in re.finditer(r"(?:^|[\s;&|(])make((?:[ \t]+[^\s;&|]+)*)", commands, re.M):
        words = m[1].split()
        if "-n" in words or "--dry-run" in words or "--just-print" in words:
            continue
        goals = [w for w in words if not w.startswith("-") and "=" not in w]
        if any(g in dockerish for g in goals) or (not goals and default in dockerish):
            return True
    return False


def _recipes(body: str) -> dict[str, str]:
    recipes: dict[str, str] = {}
    current: list[str] = []
    for line in body.split("\n"):
        if line.startswith("\t"):
            for t in current:
                recipes[t] += line + "\n"
            continue
        m = TARGET.match(line) if line.strip() and not line.startswith("#") else None
        if m:
            current = [t for t in m["names"].split() if not t.startswith(".")]
            for t in current:
                recipes.setdefault(t, "")
    return recipes


def images_used(plan: Plan, known: list[str]) -> list[str]:
    """The known base images this page builds from or names in a command."""
    text = "\n".join(b.body for b in plan.blocks if b.kind in ("console", "bash", "file"))
    return sorted({name for name in known if name in plan.images or name in text})


def _built_later(blocks: list[Block], index: int, title: str) -> bool:
    for later in blocks[index + 1:]:
        if later.kind == "file" and later.title == title:
            return False  # replaced before anything built it
        if later.kind in ("console", "bash") and BUILDS.search(later.body):
            return True
    return False
