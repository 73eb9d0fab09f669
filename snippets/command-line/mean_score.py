"""Read a CSV table with a `score` column on stdin; print the mean score."""

import csv
import logging
import statistics
import sys

# Log messages go to stderr, results to stdout: they can be redirected apart.
logging.basicConfig(level=logging.INFO, format="%(levelname)s: %(message)s")

rows = list(csv.DictReader(sys.stdin))
logging.info("read %d rows", len(rows))
print(round(statistics.mean(float(row["score"]) for row in rows), 3))
