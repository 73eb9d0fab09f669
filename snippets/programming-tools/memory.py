"""Where does the memory go? Half a million prices, held two ways, measured with tracemalloc."""

import tracemalloc

import numpy as np

N = 500_000


def prices_as_list():
    return [i * 0.01 for i in range(N)]


def prices_as_array():
    return np.arange(N) * 0.01


tracemalloc.start()

# 1. What is held now, and which lines allocated it.
as_list = prices_as_list()
list_bytes = tracemalloc.get_traced_memory()[0]
as_array = prices_as_array()
array_bytes = tracemalloc.get_traced_memory()[0] - list_bytes
snapshot = tracemalloc.take_snapshot()

print("Top 2 lines by memory held:")
for stat in snapshot.statistics("lineno")[:2]:
    print(" ", stat)
ratio = list_bytes / array_bytes
print(f"list: {list_bytes / 1e6:.1f} MB, array: {array_bytes / 1e6:.1f} MB, ratio {ratio:.1f}")
print(f"ratio >= 3: {ratio >= 3}")

# 2. The peak: memory that a line needed for a moment and gave back.
held = tracemalloc.get_traced_memory()[0]
tracemalloc.reset_peak()
total = sum([price * 1.2 for price in as_list])
peak_list = tracemalloc.get_traced_memory()[1] - held
tracemalloc.reset_peak()
total = sum(price * 1.2 for price in as_list)
peak_generator = tracemalloc.get_traced_memory()[1] - held
print(f"peak of sum([...]): {peak_list / 1e6:.1f} MB, of sum(...): {peak_generator / 1e6:.3f} MB")
print(f"generator needs under 1 MB: {peak_generator < 1e6}")
