"""The site: built from the handbook, published only when every example passed.

  results.py  what the last test run verified, page by page (JUnit report,
              run record, and the pages as they are now)
  stamps.py   the verification stamp each page shows, as HTML
  hooks.py    the MkDocs hooks that put the stamps on the pages and show each
              notebook with the outputs of its tested run
  gate.py     the command line `make site` and `make publish` use to refuse
  vendor.py   a local copy of Mermaid, so diagrams render without a CDN
"""
