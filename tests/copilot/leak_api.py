"""The eval set the HTTP leak suite (test_leaks_api_*.py) drives."""

from __future__ import annotations

import json

from tests.conftest import DEMO_CORPUS

EVALSET = [json.loads(x) for x in (DEMO_CORPUS / "evalset.jsonl").read_text().splitlines() if x.strip()]
