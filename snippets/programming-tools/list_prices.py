"""Hold one million prices in a Python list, for memray to measure."""


def prices_as_list(n):
    return [i * 0.01 for i in range(n)]


prices = prices_as_list(1_000_000)
print(f"{len(prices)} prices")
