"""A small TCP forwarder: listens on a port and pipes every connection to an upstream address.

Started late, it stands in for a database server that comes up while the entrypoint waits."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress


def _pipe(src: socket.socket, dst: socket.socket) -> None:
    try:
        while data := src.recv(65536):
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            with suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)


@contextmanager
def forwarding(port: int, upstream: tuple[str, int]) -> Iterator[None]:
    """Forward ``127.0.0.1:port`` to ``upstream`` for the block."""
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", port))
    server.listen(16)
    open_sockets: list[socket.socket] = [server]

    def accept() -> None:
        while True:
            try:
                client, _ = server.accept()
            except OSError:
                return  # closed
            remote = socket.create_connection(upstream, timeout=5)
            remote.settimeout(None)
            open_sockets.extend((client, remote))
            for a, b in ((client, remote), (remote, client)):
                threading.Thread(target=_pipe, args=(a, b), daemon=True).start()

    thread = threading.Thread(target=accept, name="tcp-forward", daemon=True)
    thread.start()
    try:
        yield
    finally:
        for s in open_sockets:
            s.close()
        thread.join(5)
