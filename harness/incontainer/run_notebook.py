"""Execute a notebook inside the sandbox and save the executed copy.

Usage: run_notebook.py IN.ipynb OUT.ipynb TIMEOUT. Exit 1 with the failing
cell's number and error when a cell raises.
"""
import sys

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

source, target, timeout = sys.argv[1], sys.argv[2], int(sys.argv[3])
nb = nbformat.read(source, as_version=4)
client = NotebookClient(nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": "."}})
try:
    client.execute()
except CellExecutionError as e:
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    failed = next((i for i, c in enumerate(nb.cells)
                   if any(o.get("output_type") == "error" for o in c.get("outputs", []))), None)
    print(f"cell {failed + 1 if failed is not None else '?'} of {len(nb.cells)} failed:\n{e}")
    sys.exit(1)
finally:
    nbformat.write(nb, target)
print(f"executed {sum(c.cell_type == 'code' for c in nb.cells)} code cells")
