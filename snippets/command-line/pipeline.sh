#!/usr/bin/env bash
# Strict mode: stop at the first command that fails (-e), treat a variable
# that was never set as an error (-u), and let a failure anywhere in a
# pipe count as a failure of the whole pipe (-o pipefail).
set -euo pipefail

echo "1. mean score"
python3 mean_score.py < results.csv
echo "2. back up the raw data"
cp raw/results.csv backup/
echo "3. all done"
