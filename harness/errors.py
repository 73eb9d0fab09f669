"""Every error the harness raises on purpose, in one place.

A page's own mistakes are a PageError: it names the page and line (a notebook
that fails is a NotebookFailure, naming the notebook). Everything
else is a HarnessError: something the harness could not do (no engine, an image
it could not provide, a sandbox that did not start, a shell or interpreter that
went away). Callers catch these by name, never by matching message text, and
the modules that raise them import them from here, so this module imports
nothing of the harness and sits below all of them.

HarnessError derives from RuntimeError, as each of these did before they moved
here, so a caller that still catches RuntimeError sees no change.
"""
from __future__ import annotations


class PageError(Exception):
    """A problem in a page's source, reported as `page:line: message`."""

    def __init__(self, path: str, line: int, message: str):
        super().__init__(f"{path}:{line}: {message}")
        self.path = path
        self.line = line
        self.message = message


class NotebookFailure(Exception):
    """A notebook page did not run to its end; the message names the notebook and holds its output's tail."""


class HarnessError(RuntimeError):
    """Something the harness could not do; the message says what, and where to look."""


# -- the engine and the images (engine.py, imagecache.py, standins.py, provision.py)

class EngineUnavailable(HarnessError):
    """No Docker engine can be reached, and none could be started here."""


class StepFailed(HarnessError):
    """A logged provisioning step (apt, debootstrap, docker build...) failed; the message holds its log's tail."""


class ProvisionError(HarnessError):
    """An image could not be provided; the message says why and where the log is."""


# -- a page's run (sandbox.py, shell.py, pyblocks.py, evaluate.py)

class SandboxFailed(HarnessError):
    """The page's sandbox, or the engine inside it, could not be set up: its blocks do not run."""


class EngineStopped(HarnessError):
    """The Docker engine stopped answering, or the page's container is gone, while the page ran."""


class NetworkUnavailable(HarnessError):
    """A block asked for the network in a run that has none (HANDBOOK_NETWORK=none)."""


class ShellGone(HarnessError):
    """The page's shell exited (a block ran `exit`, or `exec` replaced it) or never started."""


class PythonGone(HarnessError):
    """The page's persistent Python interpreter ended; later Python blocks cannot run."""


# -- the site and the benchmarks (site_hooks/, bench/)

class SiteError(HarnessError):
    """The site cannot be built or published as asked: a git command failed, or a vendored
    file is not the pinned one."""


class BenchFailed(HarnessError):
    """A benchmark could not take its figure (the pages it times failed, or a phase it builds on did not run)."""
