"""``python -m copilot.cli``: the same command line as the ``copilot`` script."""

from copilot.cli import app

app()
