"""Time a third way to compute order totals: a loop over plain numbers."""

from totals import make_orders, timed, totals_by_row, totals_vectorised


def totals_zip(orders):
    return [price * quantity for price, quantity in zip(orders["price"], orders["quantity"])]


orders = make_orders(200_000)
seconds = {}
for func in [totals_by_row, totals_zip, totals_vectorised]:
    # The best of three runs: the least disturbed by whatever else the machine does.
    seconds[func.__name__] = min(timed(func, orders)[1] for _ in range(3))
    print(f"{func.__name__:<18} {seconds[func.__name__]:.4f} s")

zip_speedup = seconds["totals_by_row"] / seconds["totals_zip"]
vectorised_speedup = seconds["totals_zip"] / seconds["totals_vectorised"]
print(f"zip is {zip_speedup:.0f}x faster than apply; >= 10x: {zip_speedup >= 10}")
print(f"vectorised is {vectorised_speedup:.0f}x faster than zip; >= 3x: {vectorised_speedup >= 3}")
