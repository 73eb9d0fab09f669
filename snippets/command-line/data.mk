# Download the penguin table, then summarise it.
PYTHON   ?= python3
DATA_URL := http://127.0.0.1:8000/penguins.csv

data/penguins.csv:
	mkdir -p data
	curl --fail --silent --show-error --location --output $@ $(DATA_URL)

reports/summary.txt: data/penguins.csv summarize.py
	mkdir -p reports
	$(PYTHON) summarize.py data/penguins.csv > $@
