"""Native thread pools of a serving process held to what concurrent requests can use.

numpy's OpenBLAS starts one worker thread per core and that thread spins while it waits for
work. In the API, many requests each run small products (a candidate's window scores, pooling)
while every core is already busy with other requests: the second BLAS thread gains nothing and
its spinning cost about a fifth of the server's CPU per search (10 clients, 2 cores).
"""

from __future__ import annotations

import logging

log = logging.getLogger("copilot.api")


def limit_blas_threads(threads: int) -> int | None:
    """Hold numpy's BLAS to ``threads`` threads for the whole process (0: leave the library's
    default); returns the count now in force, None when no BLAS library is controllable."""
    import numpy  # noqa: F401  (loads the BLAS library the controller looks for)

    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:  # pragma: no cover - declared dependency
        log.warning("threadpoolctl is not installed: BLAS keeps its own thread count")
        return None
    blas = ThreadpoolController().select(user_api="blas")
    if not blas.lib_controllers:
        return None
    if threads > 0:
        blas.limit(limits=threads)
    return min(lib.get_num_threads() for lib in blas.lib_controllers)
