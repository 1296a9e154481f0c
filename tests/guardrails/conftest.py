from __future__ import annotations

import pytest

from guardrails.pii import PiiDetector, get_detector


@pytest.fixture(scope="module")
def detector() -> PiiDetector:
    """The real engine and spaCy model (loaded once per process by ``get_detector``)."""
    return get_detector()
