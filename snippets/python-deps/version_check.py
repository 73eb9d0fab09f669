# Stop early, with a clear message, on a Python this project was not made for.
import platform
import sys

NEEDED = (3, 13)
if sys.version_info < NEEDED:
    sys.exit(
        f"report.py needs Python {NEEDED[0]}.{NEEDED[1]} or newer, "
        f"not {platform.python_version()}."
    )
