"""What one run shares between its pages, made once and passed to each page.

The pytest plugin makes it when the run starts (bench makes its own), so no
module reads run-wide state from a global: a page holds its context, and a
test or a benchmark can build one for a single page.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import docker
import pytest

from .errors import EngineUnavailable

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class RunContext:
    client: docker.DockerClient | None = None
    image: str = ""  # the sandbox image: the reader's machine
    seed: Path | None = None  # `docker save` of every base image, for pages' own engines
    update: bool = False  # rewrite expected output from what ran (`make update-docs`)
    root: Path = ROOT

    def engine(self) -> docker.DockerClient:
        """The run's engine; pages run only after the plugin (or bench) has found one."""
        if self.client is None:
            raise EngineUnavailable("no Docker engine was set up for this run")
        return self.client

    def page_name(self, path: str | Path) -> str:
        """How reports name a page: relative to the repository when it is inside it."""
        try:
            return str(Path(path).resolve().relative_to(self.root))
        except ValueError:
            return str(path)

    @property
    def snippets(self) -> Path:
        return self.root / "snippets"


CONTEXT_KEY = pytest.StashKey[RunContext]()  # where pytest's config keeps the run's context
