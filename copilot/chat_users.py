"""The chat's logins file: login -> argon2id password hash, API key and display data.

Written by ``copilot demo`` and ``copilot chat-users add``, read only by the chat server
(``chainlit_app.py``). The file holds API keys, so it is created with mode 0600. Passwords are
stored as argon2id hashes (argon2-cffi), a deliberately slow, salted hash.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()


class UsersFileError(ValueError):
    """The logins file is missing, unreadable or malformed."""


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(entry: dict[str, Any], password: str) -> bool:
    """True when ``password`` matches the entry's argon2 hash (entries without one never match)."""
    stored = entry.get("password_argon2")
    if not isinstance(stored, str):
        return False
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def load_users(path: Path) -> dict[str, dict[str, Any]]:
    if path.is_dir():
        raise UsersFileError(f"{path} is a directory, not a logins file (see docs/deploy.md, 'Chat logins')")
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise UsersFileError(f"{path} does not exist; create it with 'copilot chat-users add'") from None
    except (OSError, ValueError) as exc:
        raise UsersFileError(f"{path} cannot be read as JSON: {exc}") from None
    users = data.get("users") if isinstance(data, dict) else None
    if not isinstance(users, dict):
        raise UsersFileError(f'{path} has no "users" object')
    return users


def save_users(path: Path, users: dict[str, dict[str, Any]]) -> None:
    """Write atomically with mode 0600 (the file carries API keys)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump({"users": users}, f, indent=2)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def user_entry(
    password: str, api_key: str, *, display_name: str, tenant_id: str, level: str, roles: list[str],
    subject: str = "",
) -> dict[str, Any]:
    return {
        "password_argon2": hash_password(password),
        "api_key": api_key,
        "display_name": display_name,
        "tenant_id": tenant_id,
        "level": level,
        "roles": roles,
        "subject": subject,
    }
