"""Access levels of store rows are read through a lookup table: the same members as the enum's own
call, and its error for a value that is no level."""

from __future__ import annotations

import pytest

from retrievers.access import AccessLevel
from retrievers.stores.lancedb import _level


def test_level_lookup_equals_the_enum():
    for n in range(4):
        assert _level(n) is AccessLevel(n) and _level(str(n)) is AccessLevel(n)
    with pytest.raises(ValueError):
        _level(7)
