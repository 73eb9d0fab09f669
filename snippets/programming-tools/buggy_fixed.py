"""Average mark of a student; a missing mark is None."""


def mean_mark(marks):
    total = 0
    count = 0
    for mark in marks:
        if mark is None:
            continue
        total += mark
        count += 1
    return total / count


marks = [12, 15, None, 9]
print(f"mean mark: {mean_mark(marks)}")
