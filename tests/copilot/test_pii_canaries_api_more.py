"""The PII-canary check of test_pii_canaries_api.py for the other half of the demo keys (a file
of its own so ``--dist loadfile`` runs both halves in parallel)."""

from __future__ import annotations

import pytest

from tests.copilot.canary_checks import check_quick, key_half


@pytest.mark.slow
def test_no_canary_reaches_a_non_entitled_principal(api_env):
    client, app, keys, _ = api_env
    check_quick(client, app, key_half(keys, 1))
