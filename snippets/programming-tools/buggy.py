"""Average mark of a student; a missing mark is None."""


def mean_mark(marks):
    total = 0
    for mark in marks:
        if mark is None:
            continue
        total += mark
    return total / len(marks)


marks = [12, 15, None, 9]
print(f"mean mark: {mean_mark(marks)}")
