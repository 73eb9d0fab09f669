"""Prices for the lines of an order."""


def calc(price, quantity):
    """Total for one order line."""
    return round(price * quantity, 2)


def calc_tax(amount, rate=0.2):
    """Tax due on an amount."""
    return round(amount * rate, 2)
