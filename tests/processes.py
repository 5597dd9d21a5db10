"""Services a test may break on purpose: its own Redis, and a TCP proxy in front of
PostgreSQL that can be cut. Each is started on a free port and stopped by the test that
started it (by process id, or by closing its own sockets): the machine's own PostgreSQL
and Redis are never touched."""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import redis

from tests.servers import free_port


class RedisServer(contextlib.AbstractContextManager):
    """A throw-away redis-server that keeps nothing on disk."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(redis.RedisError):
                if redis.Redis(port=self.port, socket_connect_timeout=0.2).ping():
                    return self
            time.sleep(0.05)
        raise RuntimeError(f"redis-server on port {self.port} did not start")

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def freeze(self) -> None:
        os.kill(self.process.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        os.kill(self.process.pid, signal.SIGCONT)

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        if self.process and self.process.poll() is None:
            self.thaw()
        self.kill()


class TcpProxy(contextlib.AbstractContextManager):
    """Forwards 127.0.0.1:<port> to a target; ``cut()`` drops every connection and refuses
    new ones until ``restore()``, as a network failure would."""

    def __init__(self, target_port: int, target_host: str = "127.0.0.1") -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self._listener = socket.create_server(("127.0.0.1", self.port))
        self._listener.setblocking(False)
        self._selector = selectors.DefaultSelector()
        self._pairs: dict[socket.socket, socket.socket] = {}
        self._cut = threading.Event()
        self._stop = threading.Event()
        self._mutex = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="tcp-proxy", daemon=True)

    def __enter__(self) -> TcpProxy:
        self._selector.register(self._listener, selectors.EVENT_READ)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread.is_alive():  # not when a start failed before the proxy's
            self._thread.join(timeout=5)
        self._drop_all()
        self._listener.close()

    def cut(self) -> None:
        self._cut.set()
        self._drop_all()

    def restore(self) -> None:
        self._cut.clear()

    def _drop_all(self) -> None:
        with self._mutex:
            for sock in list(self._pairs):
                with contextlib.suppress(Exception):
                    self._selector.unregister(sock)
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                sock.close()
            self._pairs.clear()

    def _run(self) -> None:
        while not self._stop.is_set():
            for key, _ in self._selector.select(timeout=0.05):
                if key.fileobj is self._listener:
                    self._accept()
                else:
                    self._forward(key.fileobj)

    def _accept(self) -> None:
        with contextlib.suppress(BlockingIOError):
            client, _ = self._listener.accept()
            if self._cut.is_set():
                client.close()
                return
            try:
                upstream = socket.create_connection(self.target, timeout=2)
            except OSError:
                client.close()
                return
            with self._mutex:
                for sock in (client, upstream):
                    sock.setblocking(False)
                    self._selector.register(sock, selectors.EVENT_READ)
                self._pairs[client], self._pairs[upstream] = upstream, client

    def _forward(self, sock: socket.socket) -> None:
        with self._mutex:
            peer = self._pairs.get(sock)
            if peer is None:
                return
            try:
                data = sock.recv(65536)
                if data:
                    peer.setblocking(True)
                    peer.sendall(data)
                    peer.setblocking(False)
                    return
            except OSError:
                pass
            for end in (sock, peer):
                with contextlib.suppress(Exception):
                    self._selector.unregister(end)
                end.close()
                self._pairs.pop(end, None)


class LdapServer(contextlib.AbstractContextManager):
    """A throw-away OpenLDAP directory (Debian's slapd) on a free port, loaded with
    ``ldif`` before it starts; stopped, and its files removed, on exit."""

    SUFFIX = "dc=school,dc=example"
    ADMIN = f"cn=admin,{SUFFIX}"
    ADMIN_PASSWORD = "directory-admin-secret"

    def __init__(self, ldif: str) -> None:
        self.port = free_port()
        self.ldif = ldif
        self.process: subprocess.Popen | None = None
        self.folder = tempfile.TemporaryDirectory()

    @property
    def url(self) -> str:
        return f"ldap://127.0.0.1:{self.port}"

    def __enter__(self) -> LdapServer:
        folder = Path(self.folder.name)
        (folder / "data").mkdir()
        config = folder / "slapd.conf"
        config.write_text(
            "\n".join(
                [
                    *(
                        f"include /etc/ldap/schema/{name}.schema"
                        for name in ("core", "cosine", "inetorgperson", "nis")
                    ),
                    "modulepath /usr/lib/ldap",
                    "moduleload back_mdb",
                    f"pidfile {folder}/slapd.pid",
                    "database mdb",
                    f'suffix "{self.SUFFIX}"',
                    f'rootdn "{self.ADMIN}"',
                    f"rootpw {self.ADMIN_PASSWORD}",
                    f"directory {folder}/data",
                    "maxsize 10485760",
                    "",
                ]
            )
        )
        (folder / "data.ldif").write_text(self.ldif)
        subprocess.run(
            ["/usr/sbin/slapadd", "-f", str(config), "-l", str(folder / "data.ldif")],
            check=True,
            capture_output=True,
        )
        self.process = subprocess.Popen(
            ["/usr/sbin/slapd", "-f", str(config), "-h", f"{self.url}/", "-d", "0"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2),
            ):
                return self
            time.sleep(0.05)
        self.__exit__(None, None, None)
        raise RuntimeError("slapd did not start")

    def __exit__(self, *exc) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.folder.cleanup()
