"""A fault-injecting HTTP server on 127.0.0.1 for the chaos suite (modelled on Scrapy's mockserver).

Each path misbehaves in one way. It speaks raw HTTP/1.1 over sockets so that it can
break the protocol in ways a proper server library would not allow.
"""

from __future__ import annotations

import functools
import socket
import ssl
import threading
import zlib

# Redirects to places the fetcher must never connect to.
REDIRECTS = {
    "/to-loopback": "http://127.0.0.1:1/",
    "/to-localhost": "http://localhost:1/",
    "/to-metadata": "http://169.254.169.254/latest/meta-data/",
    "/to-private": "http://10.0.0.1/",
    "/to-cgnat": "http://100.64.0.1/",
    "/to-ipv6-loopback": "http://[::1]:1/",
    "/to-mapped": "http://[::ffff:127.0.0.1]:1/",
}


@functools.cache
def _gzip_bomb() -> bytes:
    """About 200 KiB of gzip that inflates to 200 MiB of comment lines."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = b"#" * (1 << 20)
    return b"".join(packer.compress(block) for _ in range(200)) + packer.flush()


def _response(status: str, headers: dict[str, str], body: bytes = b"") -> bytes:
    headers = {**headers, "Connection": "close"}  # one request per connection
    lines = [f"HTTP/1.1 {status}", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class FaultServer:
    def __init__(self, tick: float = 0.05, tls: ssl.SSLContext | None = None, robots: int | str = 404):
        self.tick = tick  # the unit of slowness for hangs and drips
        # robots.txt status, "huge" (10 MiB of rules), "drop" (hang up), "drip" (its headers a byte a
        # tick) or "gzip" (a gzip body that inflates to 200 MiB)
        self.robots = robots
        self.tls = tls  # serve HTTPS with this server-side context
        self.hits: list[str] = []
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self._sock.getsockname()[1]}"

    def __enter__(self) -> FaultServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._sock.close()

    def _serve(self) -> None:
        self._sock.settimeout(0.1)
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except (TimeoutError, OSError):
                continue
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        with conn:
            try:
                if self.tls is not None:
                    conn = self.tls.wrap_socket(conn, server_side=True)
                request = conn.recv(65536).decode("latin-1")
                path = request.split(" ", 2)[1] if " " in request else "/"
                self.hits.append(path)
                self._route(conn, path, request)
            except OSError:
                pass

    def _robots(self, send) -> None:
        if self.robots == "drop":
            return  # close without a word
        if self.robots == "drip":
            self._drip_headers(send)
            return
        if self.robots == "gzip":
            body = _gzip_bomb()
            send(_response("200 OK", {"Content-Encoding": "gzip", "Content-Length": str(len(body))}, body))
            return
        if self.robots == "huge":
            body = b"User-agent: *\nDisallow: /early\n" + b"#" * (10 * 1024 * 1024) + b"\nDisallow: /ok\n"
            send(_response("200 OK", {"Content-Length": str(len(body))}, body))
            return
        body = b"User-agent: *\nAllow: /\n"  # what a careless error page might say
        send(_response(f"{self.robots} Robots", {"Content-Length": str(len(body))}, body))

    def _wait(self, ticks: float) -> None:
        self._stop.wait(self.tick * ticks)

    def _drip_headers(self, send) -> None:
        """A status line, then a header one byte a tick, for 100 ticks (for ever, as far as a deadline
        of a few ticks can tell, yet a fetcher without one fails its test rather than hanging it)."""
        send(b"HTTP/1.1 200 OK\r\nX-Slow: ")
        for _ in range(100):
            if self._stop.is_set():
                return
            send(b"a")
            self._wait(1)

    def _route(self, conn: socket.socket, path: str, request: str) -> None:
        send = conn.sendall
        if path == "/robots.txt":
            self._robots(send)
        elif path == "/ok":
            send(_response("200 OK", {"Content-Length": "2"}, b"ok"))
        elif path == "/etag":
            if 'if-none-match: "v1"' in request.lower():
                send(_response("304 Not Modified", {"ETag": '"v1"'}))
            else:
                send(_response("200 OK", {"ETag": '"v1"', "Content-Length": "2"}, b"v1"))
        elif path == "/hang":  # accepts, never answers
            self._wait(200)
        elif path == "/hang-after-headers":
            send(_response("200 OK", {"Content-Length": "100"}))
            self._wait(200)
        elif path == "/drip":  # one byte per tick, for far longer than any read timeout
            send(_response("200 OK", {"Content-Length": "1000"}))
            for _ in range(1000):
                send(b"x")
                self._wait(1)
                if self._stop.is_set():
                    return
        elif path == "/drip-headers":
            self._drip_headers(send)
        elif path.startswith("/slow-redirect/"):  # each hop answers well inside the read timeout
            self._wait(4)
            left = int(path.rsplit("/", 1)[1])
            target = "/ok" if left <= 1 else f"/slow-redirect/{left - 1}"
            send(_response("302 Found", {"Location": target, "Content-Length": "0"}))
        elif path == "/drop":  # promises 1000 bytes, sends 10, hangs up
            send(_response("200 OK", {"Content-Length": "1000"}, b"x" * 10))
        elif path == "/bad-chunked":
            send(_response("200 OK", {"Transfer-Encoding": "chunked"}, b"zz\r\nnot a chunk\r\n"))
        elif path == "/bad-header":
            send(b"HTTP/1.1 200 OK\r\nConnection: close\r\nthis is not a header\r\n\r\nbody")
        elif path == "/redirect-loop":
            send(_response("302 Found", {"Location": "/redirect-loop", "Content-Length": "0"}))
        elif path.startswith("/redirect/"):
            left = int(path.rsplit("/", 1)[1])
            target = "/ok" if left <= 1 else f"/redirect/{left - 1}"
            send(_response("302 Found", {"Location": target, "Content-Length": "0"}))
        elif path in REDIRECTS:
            send(_response("302 Found", {"Location": REDIRECTS[path], "Content-Length": "0"}))
        elif path == "/to-file":
            send(_response("302 Found", {"Location": "file:///etc/passwd", "Content-Length": "0"}))
        else:
            send(_response("404 Not Found", {"Content-Length": "0"}))
