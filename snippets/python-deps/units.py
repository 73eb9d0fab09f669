"""Convert temperatures between units."""


def celsius_to_fahrenheit(celsius):
    """Return a temperature given in degrees Celsius in degrees Fahrenheit."""
    return celsius * 9 / 5 + 32
