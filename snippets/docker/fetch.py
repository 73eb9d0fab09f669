"""Download a CSV from the `files` service, using its service name as host."""

import time
import urllib.request

URL = "http://files:8000/scores.csv"

for attempt in range(20):  # the server may need a moment to start
    try:
        with urllib.request.urlopen(URL) as response:
            text = response.read().decode()
        break
    except OSError:
        time.sleep(0.5)
else:
    raise SystemExit(f"could not reach {URL}")

rows = text.strip().splitlines()
print(f"downloaded {len(rows) - 1} rows from {URL}")
print(rows[0])
