"""``cllr serve``: the built site's regular files only, never a listing, a dotfile or a file outside
it, with a static host's security headers, and a clear answer to a path no file system can hold."""

from __future__ import annotations

import http.client
import threading

import pytest

from cllr.site.serving import HEADERS, site_server


@pytest.fixture
def served(tmp_path):
    site = tmp_path / "site"
    (site / "councils").mkdir(parents=True)
    (site / "index.html").write_text("<h1>home</h1>")
    (site / "councils" / "index.html").write_text("<h1>councils</h1>")
    (site / "data").mkdir()
    (site / "data" / "councillors.csv").write_text("name\n")
    (site / ".build").write_text("fingerprint")
    (site / ".hidden").mkdir()
    (site / ".hidden" / "page.html").write_text("secret")
    (tmp_path / "outside.txt").write_text("not the site's")
    (site / "escape.txt").symlink_to(tmp_path / "outside.txt")
    (site / "escape-folder").symlink_to(tmp_path)
    server = site_server(site, 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def get(port: int, path: str) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.putrequest("GET", path, skip_accept_encoding=True)  # the path exactly as written, NUL bytes too
    connection.endheaders()
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, body


@pytest.mark.parametrize(
    ("path", "status", "body"),
    [
        ("/", 200, b"<h1>home</h1>"),
        ("/councils/", 200, b"<h1>councils</h1>"),
        ("/councils", 301, b""),  # to /councils/, so that the page's relative links hold
        ("/data/councillors.csv", 200, b"name\n"),
        ("/data/", 404, None),  # a folder without an index: never listed
        ("/.build", 404, None),
        ("/.hidden/page.html", 404, None),
        ("/%2ebuild", 404, None),
        ("/escape.txt", 404, None),  # a link pointing out of the site
        ("/escape-folder/outside.txt", 404, None),
        ("/../outside.txt", 404, None),
        ("/%2e%2e/outside.txt", 404, None),
        ("/etc/passwd", 404, None),
        ("/a%00b", 400, None),
    ],
)
def test_only_the_sites_own_files_are_served_with_a_static_hosts_headers(served, path, status, body):
    got, headers, content = get(served, path)
    assert got == status
    if body is not None:
        assert content == body
    else:
        assert b"outside" not in content and b"secret" not in content and b"fingerprint" not in content
    for name, value in HEADERS.items():
        assert headers[name.lower()] == value
    assert "frame-ancestors 'none'" in headers["content-security-policy"]


@pytest.mark.parametrize(
    ("path", "open_to_all"),
    [("/data/councillors.csv", True), ("/api/v1/index.json", True), ("/", False), ("/councils/", False)],
)
def test_the_open_data_and_the_api_may_be_read_by_other_sites_and_the_pages_may_not(
    served, tmp_path, path, open_to_all
):
    (tmp_path / "site" / "api" / "v1").mkdir(parents=True)
    (tmp_path / "site" / "api" / "v1" / "index.json").write_text("{}")
    got, headers, _ = get(served, path)
    assert got == 200
    assert headers.get("access-control-allow-origin") == ("*" if open_to_all else None)
