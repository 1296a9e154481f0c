"""The ``copilot`` command line.

Each command group lives in its own module under ``copilot/commands/`` and exposes
``register(app)``; this file only assembles them, so adding a command never
touches another command's code.
"""

from __future__ import annotations

import importlib
import importlib.util

import typer

from copilot.offline import force_offline

COMMAND_MODULES = [
    "copilot.commands.ingest",  # ingest, search
    "copilot.commands.serve",  # serve
    "copilot.commands.keys",  # keys create/list/revoke
    "copilot.commands.audit",  # audit verify
    "copilot.commands.demo",  # demo
    "copilot.commands.reindex",  # reindex
    "copilot.commands.check",  # check sow / milestone
]

app = typer.Typer(help="Partner Copilot: permission-aware answers for ERP partners.", no_args_is_help=True)


def _register_all() -> None:
    for name in COMMAND_MODULES:
        # A module that is not written yet is skipped; one that exists but fails to
        # import raises, so a broken command is never silently hidden.
        if importlib.util.find_spec(name) is None:
            continue
        importlib.import_module(name).register(app)


force_offline()
_register_all()

if __name__ == "__main__":  # pragma: no cover
    app()
