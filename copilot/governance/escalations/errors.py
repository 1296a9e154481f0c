"""Errors of the escalation workflow (mapped to HTTP status codes by the API)."""

from __future__ import annotations


class DraftError(ValueError):
    """Invalid draft request (HTTP 422)."""


class NotFound(LookupError):
    """No such draft for this principal: absent, another tenant's and above-level look the same."""


class Forbidden(PermissionError):
    """The principal may see the draft but not perform the transition (role or four-eyes)."""


class Conflict(RuntimeError):
    """The draft is not in a state that allows the transition."""
