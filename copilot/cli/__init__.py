"""The ``copilot`` command line.

Each command group lives in its own module under ``copilot/cli/commands/`` and exposes
``register(app)``; this file only assembles them, so adding a command never
touches another command's code. :func:`main` is the console entry point: it turns every
user error into one line on stderr and a non-zero exit code (``COPILOT_DEBUG=1`` shows
the traceback of an unexpected failure).
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from collections.abc import Sequence

import typer
from typer._click.exceptions import ClickException, NoArgsIsHelpError, UsageError

from copilot.core.offline import force_offline

COMMAND_MODULES = [
    "copilot.cli.commands.ingest",  # ingest, search
    "copilot.cli.commands.serve",  # serve
    "copilot.cli.commands.keys",  # keys create/list/revoke/show
    "copilot.cli.commands.audit",  # audit verify
    "copilot.cli.commands.demo",  # demo
    "copilot.cli.commands.reindex",  # reindex
    "copilot.cli.commands.check",  # check sow / milestone
    "copilot.cli.commands.chat_users",  # chat-users add/list/remove
    "copilot.cli.commands.export_encoder",  # export-encoder
]

app = typer.Typer(
    help="Partner Copilot: permission-aware answers for ERP partners.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def _register_all() -> None:
    for name in COMMAND_MODULES:
        # A module that is not written yet is skipped; one that exists but fails to
        # import raises, so a broken command is never silently hidden.
        if importlib.util.find_spec(name) is None:
            continue
        importlib.import_module(name).register(app)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def main(argv: Sequence[str] | None = None) -> None:
    """Run the CLI; user errors exit non-zero with a one-line message, never a traceback."""
    from copilot.core.errors import DomainError

    args = list(sys.argv[1:] if argv is None else argv)
    try:
        rv = app(args=args, prog_name="copilot", standalone_mode=False)
    except NoArgsIsHelpError as exc:
        # ``copilot keys`` alone: the help is the useful answer, but it is still not a command.
        if exc.ctx is not None:
            typer.echo(exc.ctx.get_help())
        sys.exit(2)
    except UsageError as exc:
        where = f" (see '{exc.ctx.command_path} --help')" if exc.ctx is not None else ""
        typer.echo(f"error: {_one_line(exc.format_message())}{where}", err=True)
        sys.exit(2)
    except typer.Abort:
        typer.echo("aborted", err=True)
        sys.exit(130)
    except ClickException as exc:  # CliError and other errors the user can act on
        typer.echo(f"error: {_one_line(exc.format_message())}", err=True)
        sys.exit(exc.exit_code)
    except DomainError as exc:
        typer.echo(f"error ({exc.code}): {_one_line(exc.message)}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)
    except Exception as exc:
        if os.environ.get("COPILOT_DEBUG"):
            raise
        typer.echo(f"error: {type(exc).__name__}: {_one_line(str(exc))[:300]} (COPILOT_DEBUG=1 shows details)",
                   err=True)
        sys.exit(1)
    if isinstance(rv, int) and rv:
        sys.exit(rv)


force_offline()
_register_all()

if __name__ == "__main__":  # pragma: no cover
    main()
