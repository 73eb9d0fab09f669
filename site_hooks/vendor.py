"""A local copy of Mermaid for the site.

Material for MkDocs fetches Mermaid from a CDN when the page has none; the
site ships its own copy instead, so that diagrams render for readers who
cannot reach that CDN (and in the browser test, which runs offline). The
copy comes from the npm registry through npm, pinned and checked against
its published integrity hash, and is cached under build/vendor/. Without
npm the site falls back to Material's CDN.
"""
from __future__ import annotations

import base64
import hashlib
import logging
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

from harness.errors import SiteError

log = logging.getLogger("mkdocs.hooks.handbook")

MERMAID = "mermaid@11.9.0"  # Material 9 expects Mermaid 11
INTEGRITY = "sha512-YdPXn9slEwO0omQfQIsW6vS84weVQftIyyTGAZCwM//MGhPzL1+l6vO6bkf0wnP4tHigH1alZ5Ooy3HXI2gOag=="
MEMBER = "package/dist/mermaid.min.js"


def mermaid_js(root: Path) -> Path | None:
    """build/vendor/mermaid-<version>.min.js, fetched once; None when it cannot be had."""
    version = MERMAID.split("@", 1)[1]
    target = root / "build" / "vendor" / f"mermaid-{version}.min.js"
    if target.is_file():
        return target
    npm = shutil.which("npm")
    if npm is None:
        log.info("npm not found: diagrams will load Mermaid from Material's CDN")
        return None
    with tempfile.TemporaryDirectory() as tmp:
        try:
            proc = subprocess.run([npm, "pack", MERMAID, "--silent", "--pack-destination", tmp],
                                  capture_output=True, text=True, timeout=300)
        except (OSError, subprocess.TimeoutExpired) as e:
            log.info("npm pack %s failed (%s): diagrams will load Mermaid from Material's CDN", MERMAID, e)
            return None
        tarballs = list(Path(tmp).glob("*.tgz"))
        if proc.returncode != 0 or not tarballs:
            log.info("npm pack %s failed: %s", MERMAID, proc.stderr.strip()[-500:])
            return None
        data = tarballs[0].read_bytes()
        algo, _, expected = INTEGRITY.partition("-")
        actual = base64.b64encode(hashlib.new(algo, data).digest()).decode()
        if actual != expected:
            raise SiteError(f"{MERMAID}: the package's {algo} is {actual}, not the pinned {expected}")
        with tarfile.open(tarballs[0]) as tar:
            member = tar.extractfile(MEMBER)
            if member is None:
                raise SiteError(f"{MERMAID}: {MEMBER} in the package is not a file")
            script = member.read()
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_suffix(".part")
    part.write_bytes(script)
    part.rename(target)
    return target
