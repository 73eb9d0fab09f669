"""Run one block in its page's sandbox and say what went wrong, if anything.

Evaluators return an error string (empty when the block passed), as Sybil
expects; the Page object holds what a page's blocks share: the sandbox, its
shell, its Python process, the files written so far, and pending updates.
"""
from __future__ import annotations

import dataclasses
import json
import os
import re
import shlex
import signal
import time
from pathlib import Path, PurePosixPath

import docker
import pytest

from . import cdi, gpu, report
from .console import DEFAULT_PROMPT, prompt_pattern
from .engine import EngineUnavailable
from .matching import matches, normalize, normalize_expected, updated
from .options import NONZERO, status_ok
from .plan import DOCKER_WORD, GPUS_FLAG, RUNS_MAKE, Plan, images_used, is_dockerfile, is_makefile, make_targets
from .pyblocks import PrintCheck, PyRunner, PythonGone, print_checks
from .sandbox import DEFAULT_DISK, DISK_CHECK_SECONDS, EngineStopped, NetworkUnavailable, Sandbox, gib
from .shell import ShellGone

DEFAULT_TIMEOUT = float(os.environ.get("HANDBOOK_BLOCK_TIMEOUT", "60"))
SCRIPTS_DIR = "/var/tmp/hb"


class SandboxFailed(RuntimeError):
    pass


class Settings:
    """What a run shares between pages: set once by the pytest plugin."""

    client: docker.DockerClient | None = None
    image: str = ""
    seed: Path | None = None
    update: bool = False
    root: Path = Path.cwd()
    timings_dir: str = os.environ.get("HANDBOOK_TIMINGS", "")

    @classmethod
    def engine(cls) -> docker.DockerClient:
        """The run's engine; pages run only after the plugin (or bench) has found one."""
        if cls.client is None:
            raise EngineUnavailable("no Docker engine was set up for this run")
        return cls.client


def page_name(path: str | Path) -> str:
    """How reports name a page: relative to the repository when it is inside it."""
    try:
        return str(Path(path).resolve().relative_to(Settings.root))
    except ValueError:
        return str(path)


class Page:
    def __init__(self, path: str, plan: Plan):
        self.path = path
        self.name = page_name(path)
        self.plan = plan
        self.sandbox: Sandbox | None = None
        self.python: PyRunner | None = None
        self.written: dict[str, tuple[str, int]] = {}  # path in the sandbox -> (content, line)
        self.updates: list[tuple[int, int, list[str], str]] = []  # first line, last line, new lines, indent
        self.shell_gone: str | None = None
        self.broken: str | None = None  # why the sandbox could not start
        self.counter = 0
        self.began: float | None = None
        self.examples_seconds = 0.0  # time spent running the page's own content in the sandbox
        self.secrets: dict[str, str] = {}  # value -> name, for values blocks declared with `secrets=`
        self.gpu_page: Page | None = None  # the page's GPU blocks share a CUDA container of their own
        self.first_failure: int | None = None  # line of the page's first failing block
        self.failed_setup: int | None = None  # line of a setup block that failed: the page stops there
        # Makefiles shown whose targets' dry run waits until the page first runs make (or ends):
        # path in the sandbox -> (block, directory, file name)
        self.make_checks: dict[str, tuple] = {}
        self.gpu_in_sandbox = False  # the page's sandbox holds the GPU, for its own engine (CDI)

    # -- the sandbox -----------------------------------------------------------
    def box(self) -> Sandbox:
        if self.broken:
            raise SandboxFailed(f"not run: {self.broken}")
        if self.sandbox is None:
            access = gpu.probe(Settings.engine()) if self.plan.gpu_engine else None
            create = access.create if access is not None and access.usable else None
            given = create is not None
            box = Sandbox(Settings.engine(), Settings.image, self.name, engine=self.plan.engine,
                          disk=self.plan.options.get("disk", DEFAULT_DISK),
                          seed=self._seed() if self.plan.engine else None,
                          create=create, before_engine=_write_cdi_spec if given else None)
            self.gpu_in_sandbox = given
            try:
                box.start()
                box.copy_in(self.plan.options.get("files", ()))
            except Exception as e:
                box.remove()
                self.broken = f"the page's sandbox did not start: {e}"
                raise SandboxFailed(self.broken) from e
            self.sandbox = box
        return self.sandbox

    def sh(self):
        if self.shell_gone:
            raise ShellGone(f"not run: the page's shell is gone ({self.shell_gone})")
        return self.box().shell()

    def _seed(self) -> Path | None:
        """Seed the page's engine with just the base images it uses: loading is most of its start."""
        from .images import BASES, seed_archive

        names = images_used(self.plan, list(BASES))
        if not names:
            return None
        if Settings.seed and sorted(BASES) == names:
            return Settings.seed
        return seed_archive(names)

    def finish(self) -> list[str]:
        """Checks left for the page's end, teardown blocks, then remove everything; returns failures."""
        problems = []
        try:
            if self.sandbox is not None and not self.shell_gone and self.make_checks:
                problem = _pending_make_checks(self, "at the end of the page, which never runs make")
                if problem:
                    problems.append(self.redact(problem))
            if self.sandbox is not None and not self.shell_gone:
                for block in self.plan.teardown:
                    problem = run_block(self, block)  # redacted already
                    if problem:
                        problems.append(problem)
        finally:
            if self.gpu_page:
                self.gpu_page.finish()
            if self.python:
                self.python.close()
            removing = time.monotonic()
            if self.sandbox:
                self.sandbox.remove()
            if Settings.update and self.updates:
                apply_updates(self.path, self.updates)
            self._write_timings(time.monotonic() - removing)
        return problems

    def _write_timings(self, removal: float) -> None:
        if self.began is not None:
            write_timings(self.name, self.began, self.sandbox.timings if self.sandbox else {}, removal,
                          self.examples_seconds)

    def redact(self, text: str) -> str:
        # longest first, so that a secret containing another is hidden whole
        for value in sorted(self.secrets, key=len, reverse=True):
            text = text.replace(value, f"[secret {self.secrets[value]}]")
        return text

    def where(self, line: int) -> str:
        return f"{self.name}:{line}"


def write_timings(name: str, began: float, box: dict, removal: float, examples: float) -> None:
    """Where a page's time went, for `make bench` (only when HANDBOOK_TIMINGS names a folder)."""
    if not Settings.timings_dir:
        return
    record = {"page": name, "total": time.monotonic() - began,
              "sandbox": box.get("container", 0.0) + removal, "engine": box.get("engine", 0.0),
              "seed": box.get("seed", 0.0), "examples": examples}
    record["harness"] = record["total"] - sum(record[k] for k in ("sandbox", "engine", "seed", "examples"))
    target = Path(Settings.timings_dir) / (name.replace("/", "__") + ".json")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(record, indent=1))


def evaluate(page: Page, block) -> str:
    """A block as the page's test sees it, in the context of the blocks before it.

    After a failed setup block the page stops: what follows depends on it. A
    failure after an earlier one says so, since it may only be a consequence.
    """
    if page.failed_setup is not None and "skip" not in block.options:
        return f"{page.where(block.line)}: not run: the setup block at line {page.failed_setup} failed"
    problem = run_block(page, block)
    if not problem:
        return ""
    if block.options.get("setup"):
        page.failed_setup = block.line
        problem += "\n  this setup block failed, so the page stops here: its later blocks are not run"
    if page.first_failure is None:
        page.first_failure = block.line
    else:
        problem += (f"\n  note: an earlier block on this page failed, at line {page.first_failure}; "
                    "this failure may be a consequence of that one")
    return problem


def run_block(page: Page, block) -> str:
    """Run one block; its failure text never shows a value the page declared secret."""
    problem = _run_block(page, block)
    if block.options.get("secrets") and page.sandbox and not page.shell_gone:
        _learn_secrets(page, block.options["secrets"])
    return page.redact(problem)


def _learn_secrets(page: Page, names) -> None:
    shell = page.sh()
    for name in names:
        # UPPER_CASE names are environment variables; anything else is a file in the working directory
        command = f"printenv {name}" if name.isupper() else f"cat -- {shlex.quote(name)}"
        try:
            value = shell.query(command + " 2>/dev/null", 10).strip()
        except ShellGone:
            return
        if len(value) >= 6:
            page.secrets[value] = name


def _run_block(page: Page, block) -> str:
    if page.began is None:
        page.began = time.monotonic()
    where = page.where(block.line)
    opts = block.options
    if "skip" in opts:
        pytest.skip(f"{where}: skipped: {opts['skip']}")
    access = None
    if opts.get("gpu"):
        access = gpu.probe(Settings.engine())
        if not access.usable:
            pytest.skip(f"{where}: GPU block skipped: {access.reason}")
    try:
        if access is not None and not (page.plan.gpu_engine or _drives_docker(page, block)):
            return _in_gpu_container(page, block, access)
        if access is not None:
            problem = _gpu_in_sandbox(page, block)
            if problem:
                return problem
        if "image" in opts:
            return _in_own_container(page, block)
        page.box().set_online(bool(opts.get("network")))
        kind = block.kind
        if block.kind == "bash" and block.output is not None:
            kind = "session"
        elif block.kind == "bash" and block.start in page.plan.commands:
            kind = "typed"  # `$ ` commands and no output fence
        run = {"console": _console, "bash": _script, "session": _session, "typed": _typed_commands,
               "file": _file, "python": _python}[kind]
        before = page.box().process_count()
        return _with_limits(page, block, run(page, block), before)
    except (ShellGone, EngineStopped, NetworkUnavailable, SandboxFailed) as e:
        return f"{where}: {e}"


RUNAWAY = 64  # processes a block may leave behind before it counts as a runaway


def _with_limits(page: Page, block, problem: str, before: int | None) -> str:
    """After a block: a sandbox over its disk bound, or filling up with processes, is stopped,
    so nothing else runs in it."""
    box = page.sandbox
    if box is None or box.container is None:
        return problem
    over = box.over_disk()
    if over:
        page.shell_gone = page.broken = "the page wrote more than its disk bound"
        box.remove()
        note = f"{page.where(block.line)}: {over}"
        # stopped while it ran: its failure already says why
        return problem if "disk bound" in problem else (f"{problem}\n\n{note}" if problem else note)
    count = box.process_count()
    if count is None or before is None or count <= before:
        return problem
    # A block may leave a server or two running; a fork bomb keeps growing. Watch briefly.
    for _ in range(5):
        if count - before > RUNAWAY or count >= box.process_limit - 16:
            break
        time.sleep(0.2)
        latest = box.process_count() or count
        if latest <= count:
            return problem
        count = latest
    else:
        return problem
    page.shell_gone = page.broken = "the sandbox filled up with processes and was stopped"
    box.remove()
    note = (f"{page.where(block.line)}: the block left {count - before} processes running ({count} of the "
            f"sandbox's limit of {box.process_limit}): a fork bomb or a runaway loop; the page's sandbox was stopped")
    return f"{problem}\n\n{note}" if problem else note


def _timeout(page: Page, block) -> float:
    """The block's own timeout, else the page's (`<!-- test-page: timeout=... -->`), else the default."""
    return float(block.options.get("timeout", page.plan.options.get("timeout", DEFAULT_TIMEOUT)))


def _stopped_note(page: Page, result) -> str:
    notes = []
    if result.stopped:
        notes.append(result.stopped)
    if result.incomplete:
        notes.append("the command is incomplete: bash waits for more input (it was interrupted); "
                     "a line that continues a command starts with `> `")
    if result.unsent:
        notes.append(f"bash ended the command before its last {result.unsent} line(s), which were not run: "
                     "it does not continue there (a `> ` line continues a command only while bash waits for more)")
    if result.timed_out:
        notes.append("timed out: the command did not finish in time and was interrupted")
    if result.truncated:
        notes.append("output too large: cut off after 4 MiB")
    if result.gone:
        if not _engine_answers():
            page.shell_gone = page.broken = "the Docker engine stopped"
            notes.append("the Docker engine stopped answering during this block: the page cannot go on")
        else:
            page.shell_gone = "it exited during this block (exit, exec, or a killed process)"
            notes.append("the page's shell exited: later blocks on this page cannot run")
    return "; ".join(notes)


def _engine_answers() -> bool:
    try:
        return bool(Settings.engine().ping())
    except Exception:  # noqa: BLE001 - any failure to answer means the engine is gone
        return False


def _run(page: Page, command: str, timeout: float, typed: bool = False):
    box = page.box()

    def waiting() -> str:
        readers = box.waiting_for_input()
        return ("\n[harness] waiting for input from the terminal: " + "; ".join(readers)) if readers else ""

    result = page.sh().run(command, timeout, on_timeout=waiting, typed=typed, watch=box.over_disk,
                           every=DISK_CHECK_SECONDS)
    if result.status == 128 + signal.SIGXFSZ:
        # killed by SIGXFSZ: a file would have grown past RLIMIT_FSIZE, which is the disk bound
        result.stopped = (f"a file would have grown past the page's {gib(box.disk)} disk bound, and the command "
                          "was stopped. A page that needs more says so: <!-- test-page: disk=8g -->")
    page.examples_seconds += result.seconds
    return result


def _loose(page: Page, block) -> bool:
    """Whether runs of spaces and blank lines are ignored (`whitespace=loose`, block or page)."""
    return block.options.get("whitespace", page.plan.options.get("whitespace", "exact")) == "loose"


def _typed_commands(page: Page, block) -> str:
    """A bash fence of `$ ` commands with no output fence: a console session whose commands
    show no output of their own unless the fence shows it, so only shown output is compared."""
    return _console(page, block, unshown=True)


def _console(page: Page, block, unshown: bool = False) -> str:
    """`unshown`: a command the page shows no output for may print anything (not compared)."""
    commands = page.plan.commands[block.start]
    expected_exit = block.options.get("exit", 0)
    deadline = _timeout(page, block)
    loose = _loose(page, block)
    failures = []
    for n, cmd in enumerate(commands):
        where = page.where(cmd.line)
        last = n == len(commands) - 1
        want = expected_exit if last else 0
        if page.make_checks and RUNS_MAKE.search(cmd.text):
            checked = _pending_make_checks(page, f"before the page first runs make, at line {cmd.line}")
            if checked:
                failures.append(checked)
        result = _run(page, cmd.text, deadline, typed=True)
        deadline = max(1.0, deadline - result.seconds)
        actual = normalize(result.output)
        expected = normalize_expected(cmd.expected)
        note = _stopped_note(page, result)
        compared = bool(cmd.expected) or not unshown
        if Settings.update and compared and not (result.timed_out or result.gone):
            new = updated(expected, actual, loose)
            if new != expected:
                first = cmd.expected_lines[0] if cmd.expected_lines else cmd.end_line + 1
                last_line = cmd.expected_lines[-1] if cmd.expected_lines else cmd.end_line
                page.updates.append((first, last_line, new, block.indent))
                expected = new
        if note or not status_ok(want, result.status):
            what = "command did not finish" if note else "unexpected exit status"
            # with the diff too (when the command finished): one run shows all that is wrong
            failures.append(report.failure(where, what, command=cmd.text, status=result.status,
                                           expected_status=want, output=result.output, note=note,
                                           expected=None if note or not compared else expected,
                                           actual=actual, loose=loose))
            break
        if compared and not matches(expected, actual, loose):
            failures.append(report.failure(where, "output differs from the page", command=cmd.text,
                                           expected=expected, actual=actual, loose=loose))
            if not Settings.update:
                break
    return "\n\n".join(failures)


def _script(page: Page, block) -> str:
    prompt = block.options.get("prompt", page.plan.options.get("prompt", DEFAULT_PROMPT))
    shown = [prompt_pattern(prompt).match(line.rstrip()) for line in block.body.split("\n") if line.strip()]
    if shown and all(m and not (m["cmd"] or "").strip() for m in shown):
        # a lesson showing what a prompt looks like: bash would say "$: command not found"
        return (f"{page.where(block.line)}: the block shows only a prompt (`{prompt}`), no command to run; "
                f"a block that only illustrates says so: <!-- test: skip=\"shows the prompt\" -->")
    page.counter += 1
    path = f"{SCRIPTS_DIR}/block-{page.counter}.sh"
    page.box().write_file(path, block.body.encode())
    checked = ""
    if page.make_checks and RUNS_MAKE.search(block.body):
        checked = _pending_make_checks(page, f"before the page first runs make, in the block at line {block.line}")
    result = _run(page, f"source {path}", _timeout(page, block))
    want = block.options.get("exit", 0)
    note = _stopped_note(page, result)
    if note or not status_ok(want, result.status):
        failed = report.failure(page.where(block.line), "script failed", command=f"(the {block.lang} block)",
                                status=result.status, expected_status=want, output=result.output, note=note)
        return f"{checked}\n\n{failed}" if checked else failed
    return checked


def _session(page: Page, block) -> str:
    """A bash block and the ```output (or ```error) fence after it: the fence is all the block prints.

    The block is a script, or commands after `$ ` prompts (each must succeed but the last,
    whose status `error`, or `exit=`, decides). `error` means a non-zero exit is expected.
    """
    shown = block.output
    want = block.options.get("exit", NONZERO if shown.lang == "error" else 0)
    loose = _loose(page, block)
    checked = ""
    if page.make_checks and RUNS_MAKE.search(block.body):
        checked = _pending_make_checks(page, f"before the page first runs make, in the block at line {block.line}")
    commands = page.plan.commands.get(block.start)
    if commands is None:
        page.counter += 1
        path = f"{SCRIPTS_DIR}/block-{page.counter}.sh"
        page.box().write_file(path, block.body.encode())
        steps = [(f"source {path}", f"(the {block.lang} block)", block.line, False)]
    else:
        steps = [(c.text, c.text, c.line, True) for c in commands]
    body = shown.body.split("\n")[:-1] if shown.body else []
    expected = normalize_expected(body)
    deadline = _timeout(page, block)
    printed = []
    problem = ""
    for n, (text, shown_as, line, typed) in enumerate(steps):
        wanted = want if n == len(steps) - 1 else 0
        result = _run(page, text, deadline, typed=typed)
        deadline = max(1.0, deadline - result.seconds)
        printed.append(result.output)
        note = _stopped_note(page, result)
        if note or not status_ok(wanted, result.status):
            # with the fence's diff once the whole block ran: one run shows all that is wrong
            whole = not note and n == len(steps) - 1
            problem = report.failure(page.where(line), "command did not finish" if note else "unexpected exit status",
                                     command=shown_as, status=result.status, expected_status=wanted,
                                     output=result.output, note=note, loose=loose,
                                     expected=expected if whole else None,
                                     actual=normalize("".join(printed)) if whole else None)
            break
    else:
        actual = normalize("".join(printed))
        if not matches(expected, actual, loose):
            if Settings.update and all(shown.body_lines):
                first = shown.body_lines[0] if body else shown.line + 1
                last = shown.body_lines[-1] if body else shown.line
                page.updates.append((first, last, updated(expected, actual, loose), shown.indent))
            problem = report.failure(page.where(shown.line), f"output differs from the ```{shown.lang} fence",
                                     command=f"(the {block.lang} block at line {block.line})", expected=expected,
                                     actual=actual, loose=loose)
    return "\n\n".join(p for p in (checked, problem) if p)


def _cwd(page: Page) -> str:
    return page.sh().query("pwd", 10).strip().split("\n")[-1]


def _file(page: Page, block) -> str:
    where = page.where(block.line)
    cwd = _cwd(page)
    target = str(PurePosixPath(cwd) / block.title)
    earlier = page.written.get(target)
    if earlier and earlier[0] != block.body and not block.options.get("rewrite"):
        return (f"{where}: {target} was already written with other content at line {earlier[1]}; "
                "mark this block `rewrite` if replacing it is meant")
    page.box().write_file(target, block.body.encode())
    page.written[target] = (block.body, block.line)
    title = block.title
    directory = str(PurePosixPath(target).parent)
    name = PurePosixPath(target).name
    if is_makefile(title):
        return _check_makefile(page, block, where, directory, name)
    if is_dockerfile(title) and block.start in page.plan.harness_builds:
        return _build_dockerfile(page, block, where, directory, name)
    if "broken" in block.options:
        return f"{where}: option `broken` only applies to Makefiles and Dockerfiles"
    return ""


def _expect_broken(block, where: str, what: str, result) -> str:
    wanted = block.options["broken"]
    if result.status == 0:
        return report.failure(where, f"{what} is marked broken={wanted!r} but the check passed",
                              status=0, output=result.output)
    if wanted not in result.output:
        return report.failure(where, f"{what} failed, but without {wanted!r}", status=result.status,
                              output=result.output)
    return ""


NO_TARGETS = "*** No targets."
PARSE_ERROR = re.compile(r"^[^\s:][^:]*:\d+: \*\*\* ", re.M)  # make's "Makefile:3: *** missing separator.  Stop."


def _check_makefile(page: Page, block, where: str, directory: str, name: str) -> str:
    """A Makefile shown: it must parse now; its targets' dry run waits for the files the page makes.

    A page often shows its Makefile, then creates the data its rules read,
    then runs make. So only what cannot change later is checked here, that
    make can read the file (no "missing separator"); `make -n` of every
    target runs before the page first runs make, or at the page's end.
    A `broken` Makefile is checked whole, here, as before.
    """
    path = str(PurePosixPath(directory) / name)
    page.make_checks.pop(path, None)  # a rewritten Makefile: the earlier content is no longer there to check
    if "broken" in block.options:
        targets = list(block.options.get("targets", ())) or make_targets(block.body) or [""]
        result = _run(page, _make_dry_run(directory, name, targets[0]), _timeout(page, block))
        return _expect_broken(block, where, name, result)
    # a goal of the harness's own, defined on the command line: nothing of the file's is built,
    # so a missing source file is no error, and a file of variables only has a goal
    probe = (f"(cd {shlex.quote(directory)} && make -n -f {shlex.quote(name)} "
             "--eval='.hb-parse-check: ; @:' .hb-parse-check) 2>&1")
    result = _run(page, probe, _timeout(page, block))
    if result.status != 0 and (PARSE_ERROR.search(result.output) or "No rule to make target" not in result.output):
        return report.failure(where, "Makefile does not parse", command=f"make -n -f {name}",
                              status=result.status, expected_status=0, output=result.output,
                              note=_stopped_note(page, result))
    page.make_checks[path] = (block, directory, name)
    return ""


def _make_dry_run(directory: str, name: str, target: str) -> str:
    goal = shlex.quote(target) if target else ""
    return f"(cd {shlex.quote(directory)} && make -n -f {shlex.quote(name)} {goal}) 2>&1"


def _pending_make_checks(page: Page, when: str) -> str:
    """Dry-run the targets of the Makefiles shown so far (`targets=`, or all); each once."""
    failures = []
    pending, page.make_checks = page.make_checks, {}
    for block, directory, name in pending.values():
        targets = list(block.options.get("targets", ())) or make_targets(block.body) or [""]
        for target in targets:
            result = _run(page, _make_dry_run(directory, name, target), _timeout(page, block))
            if result.status != 0 and not (target == "" and NO_TARGETS in result.output):
                # (a file of variables only, or of pattern rules only, has no default goal to check)
                failures.append(report.failure(
                    page.where(block.line), f"Makefile check failed for target {target or '(default)'} ({when})",
                    command=f"make -n -f {name} {target}".strip(), status=result.status, expected_status=0,
                    output=result.output, note=_stopped_note(page, result)))
                break
    return "\n\n".join(failures)


def _build_dockerfile(page: Page, block, where: str, directory: str, name: str) -> str:
    cmd = f"(cd {shlex.quote(directory)} && docker build -q -f {shlex.quote(name)} .) 2>&1"
    result = _run(page, cmd, max(_timeout(page, block), 300))
    if "broken" in block.options:
        return _expect_broken(block, where, name, result)
    if result.status != 0:
        return report.failure(where, "Dockerfile does not build (the page never builds it, so the harness did)",
                              command=f"docker build -f {name} .", status=result.status, expected_status=0,
                              output=result.output, note=_stopped_note(page, result))
    return ""


def _python(page: Page, block) -> str:
    where = page.where(block.line)
    if page.python is None:
        shell = page.sh()
        python = shell.query("command -v python3", 10).strip().split("\n")[-1]
        cwd = _cwd(page)
        env = {}
        for line in shell.query("env", 10).split("\n"):
            k, eq, v = line.partition("=")
            if eq and k.isidentifier() and k not in ("PS1", "PROMPT_COMMAND", "_"):
                env[k] = v
        page.python = PyRunner(page.box().live.id, python, cwd, env)
    filename = f"{page.name}:{block.line}"
    try:
        owner, checks = print_checks(block.body)
    except SyntaxError as e:
        return f"{page.where(block.line + (e.lineno or 1))}: Python syntax error: {e.msg}"
    began = time.monotonic()
    try:
        answer = page.python.run(block.body, filename, _timeout(page, block))
        page.examples_seconds += time.monotonic() - began
    except TimeoutError:
        page.python = None
        return f"{where}: Python block timed out after {_timeout(page, block):.0f} s (its interpreter was stopped)"
    except PythonGone as e:
        page.python = None
        return f"{where}: {e}"
    raises = block.options.get("raises")
    if answer["error"] and answer["exc_type"] != raises:
        return report.failure(where, "Python block raised an exception", output=answer["error"])
    if raises and answer["exc_type"] != raises:
        return f"{where}: expected the block to raise {raises}, but it did not"
    return _compare_prints(page, block, owner, checks, answer["prints"])


def _compare_prints(page: Page, block, owner: dict[int, int], checks: list[PrintCheck], prints) -> str:
    if not checks:
        return ""
    printed: dict[int, list[str]] = {}
    for line, text in prints:
        stmt = owner.get(line, line) if line else 0
        printed.setdefault(stmt, []).extend(text.rstrip("\n").split("\n"))
    problems = []
    checked = set()
    code_lines = block.body.split("\n")
    loose = _loose(page, block)
    for check in checks:
        checked.add(check.statement_line)
        actual = normalize("\n".join(printed.get(check.statement_line, [])))
        expected = normalize_expected(check.expected)
        if not matches(expected, actual, loose):
            first, last = (block.body_lines[i - 1] for i in (check.expected_lines[0], check.expected_lines[-1]))
            if Settings.update and first and last:
                margin = code_lines[check.expected_lines[0] - 1].split("#>")[0]
                page.updates.append((first, last, _print_lines(updated(expected, actual, loose), margin), block.indent))
            problems.append(report.failure(page.where(first or block.line), "printed output differs from the "
                                           "`#>` lines", expected=expected, actual=actual, loose=loose))
    for stmt, lines in printed.items():
        if stmt not in checked and any(text.strip() for text in lines):
            line = block.body_lines[stmt - 1] if 0 < stmt <= len(block.body_lines) else block.line
            if Settings.update and line:
                # after the top-level statement's last line, so at the top level's indentation
                page.updates.append((line + 1, line, _print_lines(normalize("\n".join(lines)), ""), block.indent))
            problems.append(f"{page.where(line or block.line)}: printed output with no `#>` lines below it:\n"
                            + report.tail("\n".join(lines)))
    return "\n\n".join(problems)


def _print_lines(lines: list[str], margin: str) -> list[str]:
    """Output as `#>` comment lines, at the indentation of the code they belong to."""
    return [f"{margin}#> {text}" if text else f"{margin}#>" for text in lines]


def _in_own_container(page: Page, block, image: str | None = None, create: dict | None = None) -> str:
    """Run one block alone in a throwaway container of another image (no state shared)."""
    where = page.where(block.line)
    image = image or block.options["image"]
    try:
        Settings.engine().images.get(image)
    except Exception:  # noqa: BLE001 - docker raises ImageNotFound or APIError
        return f"{where}: image {image!r} does not exist (build it, or fix `image=`)"
    other = Page(page.path, page.plan)
    other.sandbox = Sandbox(Settings.engine(), image, page.name, engine=False, create=create,
                            reader=image == Settings.image)
    try:
        other.sandbox.start()
        inner = {k: v for k, v in block.options.items() if k not in ("image", "gpu")}
        return run_block(other, dataclasses.replace(block, options=inner))
    finally:
        other.finish()


def _write_cdi_spec(box: Sandbox) -> None:
    """Before the page's engine starts: the CDI spec for the GPU its sandbox was given."""
    code, out = box.exec_root(["sh", "-c", cdi.DISCOVER])
    found = cdi.Found.parse(out)
    if not found.nodes:
        raise RuntimeError(f"the sandbox was given the GPU, but holds no /dev/nvidia* nodes:\n{out}")
    code, out = box.exec_root(["sh", "-c", cdi.write_command(found)])
    if code != 0:
        raise RuntimeError(f"could not write the CDI spec {cdi.SPEC_PATH}:\n{out}")


def _drives_docker(page: Page, block) -> bool:
    return bool(DOCKER_WORD.search(page.plan.typed.get(block.start, "")))


def _gpu_in_sandbox(page: Page, block) -> str:
    """On a page whose GPU blocks drive its own engine, every GPU block runs in the page's sandbox,
    which holds the GPU and a CDI spec for it: `docker run --device nvidia.com/gpu=all` works there
    as on a reader's machine, and the files the page writes are where its `docker build` looks."""
    where = page.where(block.line)
    if GPUS_FLAG.search(page.plan.typed.get(block.start, "")):
        if not gpu.host_has_toolkit():
            pytest.skip(f"{where}: GPU block skipped: `docker run --gpus` needs the NVIDIA Container Toolkit "
                        "in the page's engine, and this host has none to hand it; the page's engine gets "
                        "the GPU through CDI only (`--device nvidia.com/gpu=all`)")
        pytest.skip(f"{where}: GPU block skipped: handing the host's NVIDIA Container Toolkit to a page's "
                    "engine (for `--gpus`) is not built yet; only CDI (`--device nvidia.com/gpu=all`) is")
    page.box()
    if not page.gpu_in_sandbox:
        return f"{where}: the page's sandbox was not given the GPU, so its engine cannot pass it on"
    return ""


def _in_gpu_container(page: Page, block, access) -> str:
    """GPU blocks run, in order, in one CUDA container per page that has the GPU."""
    if page.gpu_page is None:
        image = block.options.get("image") or os.environ.get("HANDBOOK_CUDA_IMAGE")
        if not image:
            from .cuda_image import ensure_cuda_image

            image = ensure_cuda_image(Settings.engine())
        sub = page.gpu_page = Page(page.path, page.plan)
        print(f"\n[handbook] {page.name}: GPU blocks run in {image}: {gpu.describe(access)}")
        box = Sandbox(Settings.engine(), image, page.name, create=access.create, reader=False)
        try:
            box.start()
            sub.sandbox = box
        except Exception as e:  # noqa: BLE001 - every later GPU block reports the same reason
            box.remove()
            sub.broken = f"the page's GPU container did not start: {e}"
    inner = {k: v for k, v in block.options.items() if k not in ("image", "gpu")}
    return run_block(page.gpu_page, dataclasses.replace(block, options=inner))


def apply_updates(path: str, updates) -> None:
    """Rewrite expected output in the page, bottom to top so line numbers stay valid."""
    lines = Path(path).read_text(encoding="utf-8").split("\n")
    for first, last, new, indent in sorted(updates, key=lambda u: u[0], reverse=True):
        replacement = [(indent + text) if text else "" for text in new]
        lines[first - 1:last] = replacement
    Path(path).write_text("\n".join(lines), encoding="utf-8")
