"""Every Markdown page handed to pytest is run through the handbook harness."""
pytest_plugins = ["harness.pytest_plugin"]
