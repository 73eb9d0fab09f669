"""A tiny "model": fit a straight line to study hours and exam scores."""

import statistics

from tabulate import tabulate

VERSION = "1.0"

hours = [1, 2, 3, 4, 5]
scores = [52, 55, 61, 64, 68]
fit = statistics.linear_regression(hours, scores)

print(f"model {VERSION}: score = {fit.slope:.1f} * hours + {fit.intercept:.1f}")
rows = [[h, round(fit.slope * h + fit.intercept, 1)] for h in (6, 7, 8)]
print(tabulate(rows, headers=["hours", "predicted score"]))
