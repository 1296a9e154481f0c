"""Check that a TCP port can be bound before starting anything slow (the models load for a minute)."""

from __future__ import annotations

import socket


class PortInUse(OSError):
    """The port is taken (or cannot be bound on that interface)."""


def ensure_free(host: str, port: int) -> None:
    """Raise :class:`PortInUse` unless ``host:port`` can be bound now (the socket is closed again)."""
    if not 0 < port < 65536:
        raise PortInUse(f"port {port} is out of range (1-65535)")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise PortInUse(f"cannot resolve host {host!r}: {exc.strerror}") from None
    family, _, _, _, addr = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as s:
        # Same option uvicorn sets, so a port in TIME_WAIT is not reported as busy.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(addr)
        except OSError as exc:
            raise PortInUse(f"port {port} on {host} is already in use ({exc.strerror}); "
                            "stop the other process or choose another port") from None
