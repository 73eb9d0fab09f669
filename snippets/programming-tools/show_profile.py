"""Print the calls stored in a cProfile file, slowest first.

Usage: python3 show_profile.py PROFILE [PATTERN]
With a PATTERN, only calls whose "file:line(function)" contains it are shown.
"""

import pstats
import sys

pattern = sys.argv[2] if len(sys.argv) > 2 else ""
stats = pstats.Stats(sys.argv[1])
stats.strip_dirs()
stats.sort_stats("cumulative")
stats.print_stats(pattern, 15)
