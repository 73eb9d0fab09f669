"""Read a secret from the environment at run time, never from the image."""

import os
import sys

token = os.environ.get("API_TOKEN")
if token is None:
    sys.exit("API_TOKEN is not set: pass it with --env or --env-file")

# Never print a secret; show just enough to see that it arrived.
print(f"got API_TOKEN ({len(token)} characters, starts with {token[:4]!r})")
