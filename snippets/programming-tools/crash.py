"""Mean of some values; it crashes when there are none."""


def mean(values):
    return sum(values) / len(values)


print(mean([]))
