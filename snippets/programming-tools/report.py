# Print a small invoice.
from prices import calc, calc_tax

lines = [("notebook", 3.50, 4), ("pen", 1.20, 10)]

subtotal = 0
for name, price, quantity in lines:
    amount = calc(price, quantity)  # calc one line
    subtotal += amount
    print(f"{name:<10}{amount:>8.2f}")

print(f"{'tax':<10}{calc_tax(subtotal):>8.2f}")
