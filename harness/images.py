"""`python -m harness.images` (make images): provide every image a test run needs, and say what it did.

Also the one name the rest of the harness, bench and the tests import the images
from, whichever module now does the work:
  imagecache.py  content-hash tags, build or reuse, the provisioning lock, the log
  cabundle.py    the CA bundle every image trusts (HANDBOOK_CA_BUNDLE)
  standins.py    debian:trixie-slim and python:3.13-slim-trixie built from Debian packages
  provision.py   base images, then the sandbox image, then the seed archive
  cuda_image.py  the CUDA stand-in for GPU blocks
A warm run (everything cached) takes a fraction of a second.
"""
from __future__ import annotations

import logging
import sys
import time

from .engine import ROOT
from .errors import EngineUnavailable, ProvisionError, StepFailed
from .provision import (
    describe_sandbox,
    ensure_all,
    ensure_base_images,
    ensure_sandbox_image,
    seed_archive,
)
from .standins import BASES, DEBIAN, PYTHON

__all__ = ["BASES", "DEBIAN", "PYTHON", "ProvisionError", "describe_sandbox", "ensure_all",
           "ensure_base_images", "ensure_sandbox_image", "main", "seed_archive"]


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stdout)
    start = time.monotonic()
    try:
        result = ensure_all()
    except (ProvisionError, StepFailed, EngineUnavailable) as exc:
        print(f"harness.images: FAILED: {exc}", file=sys.stderr)
        return 1
    print(f"sandbox image {result['sandbox']}, seed {result['seed'].relative_to(ROOT)}; "
          f"done in {time.monotonic() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
