"""Convert readings from Fahrenheit to Celsius, skipping missing ones."""


def to_celsius(fahrenheit):
    celsius = (fahrenheit - 32) * 5 / 9
    return round(celsius, 1)


def clean(readings):
    result = []
    for value in readings:
        if value is None:
            continue
        result.append(to_celsius(value))
    return result


print(clean([68.0, None, 86.0]))
