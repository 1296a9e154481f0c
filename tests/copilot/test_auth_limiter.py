"""Failed-auth limiting is keyed by the presented credential: a client repeating a bad key is
throttled, a valid key from the same address is never refused."""

from __future__ import annotations

import pytest

from copilot.api.deps import failure_bucket
from tests.copilot.conftest import h, make_client

pytestmark = pytest.mark.slow


def test_bucket_is_a_digest_of_the_credential_else_the_address():
    a = failure_bucket("pc_aaaaaaaaaaaa_" + "x" * 30, "10.0.0.1")
    b = failure_bucket("pc_bbbbbbbbbbbb_" + "x" * 30, "10.0.0.1")
    assert a != b and a.startswith("cred:") and "pc_" not in a
    assert failure_bucket(None, "10.0.0.1") == "addr:10.0.0.1"
    assert failure_bucket("token", "10.0.0.1") == failure_bucket("token", "10.9.9.9")


def test_valid_key_is_never_refused_because_others_failed(demo_services, demo_data_dir, tmp_path):
    client, app = make_client(demo_services, demo_data_dir, f"sqlite:///{tmp_path / 'l.db'}",
                              api_rate_limit="100000/minute")
    with client:
        good, _ = app.state.copilot.keys.create("good", "alder", "partner")
        bad = "pc_0123456789ab_" + "y" * 40
        statuses = [client.get("/v1/documents", headers=h(bad)).status_code for _ in range(35)]
        assert statuses[:30] == [401] * 30 and set(statuses[30:]) == {429}
        # Other bad credentials from the same address, one attempt each, are not locked out by it...
        others = {client.get("/v1/documents", headers=h(f"pc_0123456789ab_{i:040d}")).status_code for i in range(40)}
        assert others == {401}
        # ... and the valid key always works, before, between and after.
        assert client.get("/v1/documents", headers=h(good)).status_code == 200
        # Malformed headers carry no credential: counted per address, and still never block a key.
        malformed = [client.get("/v1/documents", headers={"Authorization": "Basic abc"}).status_code
                     for _ in range(32)]
        assert malformed[:30] == [401] * 30 and malformed[-1] == 429
        assert client.get("/v1/documents", headers=h(good)).status_code == 200


def test_metrics_need_credentials_when_not_public(demo_services, demo_data_dir, tmp_path):
    client, app = make_client(demo_services, demo_data_dir, f"sqlite:///{tmp_path / 'm.db'}", metrics_public=False)
    with client:
        good, _ = app.state.copilot.keys.create("metrics", "shared", "public")
        assert client.get("/metrics").status_code == 401
        assert client.get("/metrics", headers=h("pc_0123456789ab_" + "z" * 40)).status_code == 401
        assert client.get("/metrics", headers=h(good)).status_code == 200
