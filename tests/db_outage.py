"""Ways to take a database away from the engine in a test, and give it back.

PostgreSQL: a TCP proxy on loopback in front of the real server. ``cut()`` closes every
connection through it and refuses new ones, which is what a stopped or restarting server
looks like to its clients; ``restore()`` accepts again. The shared PostgreSQL of the
machine keeps running for the other tests.

SQLite: another connection holding the write lock (``BEGIN EXCLUSIVE``), as a stuck writer
or a backup tool would.
"""

from __future__ import annotations

import socket
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from sqlalchemy.engine import make_url


class TcpProxy:
    def __init__(self, target: tuple[str, int]):
        self.target = target
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._open = threading.Event()
        self._open.set()
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        self.url = ""  # set by postgres_behind_proxy
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # closed
            if not self._open.is_set():
                client.close()  # refused: the "server" is down
                continue
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets |= {client, upstream}
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        with suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        for sock in (source, sink):
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        """Drop every open connection and refuse new ones."""
        self._open.clear()
        with self._lock:
            sockets, self._sockets = self._sockets, set()
        for sock in sockets:
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def restore(self) -> None:
        self._open.set()

    def close(self) -> None:
        self.cut()
        self._listener.close()


@contextmanager
def postgres_behind_proxy(url: str) -> Iterator[TcpProxy]:
    """A proxy in front of the database at ``url``; its ``url`` goes through the proxy."""
    target = make_url(url)
    proxy = TcpProxy((target.host or "127.0.0.1", target.port or 5432))
    proxy.url = target.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    try:
        yield proxy
    finally:
        proxy.close()


@contextmanager
def sqlite_write_locked(path: str) -> Iterator[None]:
    """Hold the database file's write lock until the block ends."""
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()
