"""What every command shares: the ``--data-dir`` / ``--create`` options and user errors.

A user error is raised as :class:`CliError` (or a click usage error) and printed by
``copilot.cli.main`` as one line on stderr with a non-zero exit code, never as a traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

# Typer ships its own copy of click; its exception classes are the ones its parser raises.
from typer._click.exceptions import ClickException

DataDir = Annotated[Path | None, typer.Option("--data-dir", help="Index and database folder (COPILOT_DATA_DIR).")]
Create = Annotated[bool, typer.Option("--create", help="Create --data-dir if it does not exist yet.")]


class CliError(ClickException):
    """A mistake the user can fix: printed as ``error: <message>``, exit ``code``."""

    def __init__(self, message: str, code: int = 2):
        super().__init__(message)
        self.exit_code = code
        self.code = code


def settings_for(data_dir: Path | None, *, create: bool = False, **overrides: Any) -> Any:
    """Settings for a command; a data dir that does not exist is an error unless ``create``.

    A mistyped ``--data-dir`` would otherwise become a new, empty index that answers "no results".
    """
    from pydantic import ValidationError

    from copilot.core.settings import load_settings

    try:
        settings = load_settings(data_dir=data_dir, **overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "settings"
        raise CliError(f"invalid setting {where}: {first.get('msg', 'invalid value')}") from None
    path: Path = settings.data_dir
    if path.exists() and not path.is_dir():
        raise CliError(f"data dir {path} is a file, not a folder")
    if not path.exists():
        if not create:
            raise CliError(f"data dir {path} does not exist (check --data-dir / COPILOT_DATA_DIR, "
                           "or pass --create to start a new one)")
        path.mkdir(parents=True, exist_ok=True)
    return settings


def access_level(value: str) -> Any:
    from retrievers.access import AccessLevel

    try:
        return AccessLevel.parse(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="'--level'") from None
