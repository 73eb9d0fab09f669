DATA_URL := http://data.example.org/penguins/penguins.csv

species.txt: penguins.csv
	cut -d, -f1 $< | tail -n +2 | sort | uniq -c > $@

penguins.csv:
	curl --fail --silent --show-error --output $@ $(DATA_URL)
