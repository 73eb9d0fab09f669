DATA_URL := http://127.0.0.1:8000/penguins.csv

species.txt: penguins.csv
	cut -d, -f1 $< | tail -n +2 | sort | uniq -c > $@

penguins.csv:
	curl --fail --silent --show-error --location --output $@ $(DATA_URL)
