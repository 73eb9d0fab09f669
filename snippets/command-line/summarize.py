"""Summarise the penguin table: how many birds, and their mean bill length."""

import csv
import statistics
import sys
from collections import defaultdict

bills = defaultdict(list)
with open(sys.argv[1], newline="") as table:
    for row in csv.DictReader(table):
        bills[row["species"]].append(float(row["bill_length_mm"]))

print(f"{'species':<10} {'birds':>5} {'mean bill (mm)':>15}")
for species, values in sorted(bills.items()):
    print(f"{species:<10} {len(values):>5} {statistics.mean(values):>15.1f}")
