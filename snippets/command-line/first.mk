# Two small tasks. Every recipe line starts with a TAB character.
hello:
	echo "Hello from make"

python-version:
	python3 --version
