"""An API process holds numpy's BLAS to ``api_blas_threads`` threads (an idle OpenBLAS thread spins
and costs CPU that concurrent requests need); 0 leaves the library's own count."""

from __future__ import annotations

import pytest

from copilot.api.threads import limit_blas_threads
from tests.copilot.conftest import h, make_client


def _blas_threads() -> int:
    import numpy  # noqa: F401  (the BLAS library is found once loaded)
    from threadpoolctl import threadpool_info

    counts = [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]
    if not counts:
        pytest.skip("no controllable BLAS library loaded")
    return min(counts)


@pytest.fixture
def restore_blas():
    saved = _blas_threads()
    yield
    limit_blas_threads(saved)


def test_limit_sets_the_count_and_zero_leaves_it(restore_blas):
    assert limit_blas_threads(2) == 2 == _blas_threads()
    assert limit_blas_threads(0) == 2 == _blas_threads()  # 0: untouched
    assert limit_blas_threads(1) == 1 == _blas_threads()


def test_api_start_applies_the_setting(demo_services, demo_data_dir, tmp_path, restore_blas):
    limit_blas_threads(2)  # as a process starts: one thread per core
    client, app = make_client(demo_services, demo_data_dir, f"sqlite:///{tmp_path / 'g.db'}")
    with client:
        assert _blas_threads() == 1
        key, _ = app.state.copilot.keys.create("b", "alder", "internal")
        r = client.post("/v1/search", headers=h(key), json={"query": "hypercare", "k": 2})
        assert r.status_code == 200 and r.json()["results"]


def test_zero_keeps_the_library_count(demo_services, demo_data_dir, tmp_path, restore_blas):
    limit_blas_threads(2)
    client, _ = make_client(demo_services, demo_data_dir, f"sqlite:///{tmp_path / 'g.db'}", api_blas_threads=0)
    with client:
        assert _blas_threads() == 2
