"""Serving the built site for a look before it is published (``cllr serve``), as a static host should.

Only regular files inside the site's folder are served: a path that leaves it (``..``, a
symbolic link pointing out), names a dotfile or dot-folder (the build's ``.build``
fingerprint, a staging folder), or is a folder without an ``index.html`` gets ``404``, and
no folder is ever listed. A path the file system cannot take (a NUL byte) gets ``400``.
Every answer carries the headers a static host should send (``HEADERS``, the same that
docs/operations.md gives for nginx and Caddy).
"""

from __future__ import annotations

from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

# What every answer of the site carries (the pages' own CSP, as a header, plus framing and sniffing).
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; "
    "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
}
# The open data and the JSON API may be read by pages of other sites (CORS).
OPEN_TO_ALL = ("/api/", "/data/")
CORS = {"Access-Control-Allow-Origin": "*"}


class SiteHandler(SimpleHTTPRequestHandler):
    """``SimpleHTTPRequestHandler`` held to the site's folder, its regular files and no listings."""

    def __init__(self, *args, directory: str, **kwargs) -> None:
        self.root = Path(directory).resolve()
        super().__init__(*args, directory=directory, **kwargs)

    def send_head(self):
        path = self.site_file(self.path)
        if path is None:
            self.send_error(HTTPStatus.NOT_FOUND, "Not found")
            return None
        if path is False:
            self.send_error(HTTPStatus.BAD_REQUEST, "Bad path")
            return None
        asked = urlsplit(self.path).path
        if path.name == "index.html" and not asked.endswith(("/", "index.html")):  # a folder: its address ends in /
            self.send_response(HTTPStatus.MOVED_PERMANENTLY)
            self.send_header("Location", asked + "/")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        self.path = "/" + path.relative_to(self.root).as_posix()  # the file itself: no listings
        return super().send_head()

    def site_file(self, request_path: str) -> Path | bool | None:
        """The regular file inside the site that the path names (a folder: its ``index.html``);
        None when there is none; False when the path is not one a file system can hold."""
        raw = unquote(urlsplit(request_path).path)
        if "\x00" in raw:
            return False
        parts = [p for p in raw.split("/") if p]
        if any(p.startswith(".") for p in parts):  # dotfiles, dot-folders, "..": never served
            return None
        candidate = self.root.joinpath(*parts)
        try:
            if candidate.is_dir():
                candidate = candidate / "index.html"
            real = candidate.resolve(strict=True)
        except (OSError, ValueError):
            return None
        if not real.is_relative_to(self.root) or not real.is_file():  # a link out, a device, a socket
            return None
        return real

    def list_directory(self, path):  # never reached through send_head; kept shut all the same
        self.send_error(HTTPStatus.NOT_FOUND, "Not found")
        return None

    def end_headers(self) -> None:
        shared = urlsplit(self.path).path.startswith(OPEN_TO_ALL)
        for name, value in (HEADERS | CORS if shared else HEADERS).items():
            self.send_header(name, value)
        super().end_headers()


def site_server(directory: Path, port: int, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    """A server of the built site in ``directory`` (call ``serve_forever``)."""
    return ThreadingHTTPServer((host, port), partial(SiteHandler, directory=str(directory)))
