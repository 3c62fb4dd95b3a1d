"""Serve a :class:`~cllr.demo.world.World` over HTTP on 127.0.0.1, one virtual host per site.

The responses have the shapes of the real services: ModernGov's XML web service and
``mgUserInfo.aspx`` profile pages, CMIS person blocks, a council site's paged A-Z
directory, a JSON councillor service, the Bluesky AppView's XRPC JSON, the Mastodon REST
API with ``Link`` pagination, and RSS feeds. Sites are told apart by the Host header;
the pipeline reaches them through the HTTP layer's ``connect_to`` mapping.
"""

from __future__ import annotations

import hashlib
import io
import json
import random
import re
import socket
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import NamedTuple
from urllib.parse import parse_qs, urlsplit

from cllr.demo.cloning import key as page_key
from cllr.demo.pds import DEMO_APP_PASSWORD, DEMO_OPERATOR, PDS_HOST, DemoPDS
from cllr.demo.platform_documents import (
    blog_feed,
    blog_home,
    bluesky_item,
    bluesky_profile,
    demo_did,
    mastodon_account,
    mastodon_status,
    youtube_feed,
)
from cllr.demo.sites import (
    cmis_list_page,
    directory_page,
    directory_pages,
    member_index_page,
    profile_page,
    roster_json,
    roster_xml,
)
from cllr.demo.world import (
    BLUESKY_APPVIEW_HOST,
    DEMO_SITE_URL,
    MASTODON_SERVERS,
    YOUTUBE_FEEDS_HOST,
    Account,
    Council,
    World,
)

Reply = tuple[int, dict[str, str], bytes]
SO_TIMESTAMPNS = 35  # Linux's socket option for the kernel's receive stamps (Python does not name it)


class Arrival(NamedTuple):
    """One request as the server saw it: when it arrived and was answered (``time.time``: the kernel's
    receive stamp of its first bytes where the socket gives one), and how."""

    host: str
    path: str
    arrived: float
    finished: float
    status: int
    retry_after: float | None  # what a 503 asked for


class DemoWeb:
    """The routing table of the demo web, built once from a world."""

    def __init__(
        self,
        world: World,
        latency: float = 0.0,
        pages: dict[str, dict[str, Reply]] | None = None,
        crawl_delays: dict[str, float] | None = None,
        unavailable: float = 0.0,
        seed: int = 0,
    ):
        """``pages``: host → page (its path and query, :func:`~cllr.demo.cloning.key`) → reply, for sites
        served as they are written (the rehearsal's HTML and JSON councils, ``cllr.demo.rehearsal``).
        ``crawl_delays``: hosts whose robots.txt asks for a ``Crawl-delay`` (seconds); ``unavailable``:
        the share of requests (robots.txt aside) answered ``503`` with ``Retry-After: 1``, drawn from ``seed``."""
        self.world = world
        self.latency = latency  # seconds added to every answer, like a distant server
        self.crawl_delays = crawl_delays or {}
        self.unavailable = unavailable
        self._draws = random.Random(seed)
        self.log: list[str] = []  # the host of every request, in order
        self.arrivals: list[Arrival] = []  # every request, for the server's own audit (cllr.bench.audit)
        self.councils = {c.host: c for c in world.councils}
        self.pages = pages or {}
        self.pds = DemoPDS()  # where the demo's operator publishes its Bluesky lists
        self.reindex()
        self.requests = 0
        self._lock = threading.Lock()
        # Replies to serve instead of the world's, by host and path: how tests break a site.
        self.faults: dict[tuple[str, str], Reply] = {}

    def take_arrivals(self) -> list[Arrival]:
        """The requests served since the last call (the log of hosts starts again too)."""
        with self._lock:
            arrivals, self.arrivals = self.arrivals, []
            self.log.clear()
        return arrivals

    def reindex(self) -> None:
        """Rebuild the platforms' lookups from the world, after it changed (``world.next_day``)."""
        accounts = [a for a in self.world.accounts() + self.world.elsewhere if not a.gone]
        self.bluesky = {a.handle: a for a in accounts if a.platform == "bluesky"}
        self.mastodon = {a.handle: a for a in accounts if a.platform == "mastodon"}
        self.mastodon_ids = {str(a.numeric_id): a for a in self.mastodon.values()}
        self.dids = {demo_did(a): a for a in self.bluesky.values()}
        self.blogs = {a.handle: a for a in accounts if a.platform == "web"}
        self.channels = {a.handle: a for a in accounts if a.platform == "youtube"}

    @property
    def hosts(self) -> list[str]:
        return [
            *self.councils,
            *self.pages,
            BLUESKY_APPVIEW_HOST,
            PDS_HOST,
            *MASTODON_SERVERS,
            YOUTUBE_FEEDS_HOST,
            *self.blogs,
        ]

    def handle_post(self, host: str, target: str, headers: dict[str, str], body: bytes) -> Reply:
        """Answer one POST: only the demo PDS takes any (the Bluesky lists' writes)."""
        with self._lock:
            self.requests += 1
            self.log.append(host)
        if host == PDS_HOST:
            return self.pds.post(urlsplit(target).path, headers, body)
        return 405, {"Content-Type": "text/plain", "Allow": "GET"}, b"Method not allowed"

    def handle(
        self, host: str, target: str, headers: dict[str, str] | None = None, arrived: float | None = None
    ) -> Reply:
        """Answer one GET; pages carry an ETag and answer 304 when it still matches. ``arrived``: when
        the request's first bytes reached the server (epoch seconds), if the connection knows."""
        arrived = time.time() if arrived is None else arrived
        status, reply_headers, body = self._route(host, target)
        if status == 200:
            etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
            reply_headers = {**reply_headers, "ETag": etag}
            if (headers or {}).get("if-none-match") == etag:
                status, reply_headers, body = 304, {"ETag": etag}, b""
        retry_after = float(reply_headers["Retry-After"]) if status == 503 and "Retry-After" in reply_headers else None
        arrival = Arrival(host, urlsplit(target).path, arrived, time.time(), status, retry_after)
        with self._lock:
            self.arrivals.append(arrival)
        return status, reply_headers, body

    def _route(self, host: str, target: str) -> Reply:
        with self._lock:
            self.requests += 1
            self.log.append(host)
            busy = self.unavailable > 0 and self._draws.random() < self.unavailable
        if self.latency:
            time.sleep(self.latency)
        url = urlsplit(target)
        if (host, url.path) in self.faults:
            return self.faults[(host, url.path)]
        lists = parse_qs(url.query)
        query = {k: v[-1] for k, v in lists.items()}
        if url.path == "/robots.txt":
            delay = self.crawl_delays.get(host)
            return _text("User-agent: *\nAllow: /\n" + (f"Crawl-delay: {delay:g}\n" if delay else ""))
        if busy:
            return 503, {"Content-Type": "text/plain", "Retry-After": "1"}, b"Busy: try again in a second"
        if host in self.pages:
            return self.pages[host].get(page_key(target)) or _not_found()
        if host in self.councils:
            return self._council(self.councils[host], url.path, query)
        if host == PDS_HOST:
            return self.pds.get(url.path, query)
        if host == BLUESKY_APPVIEW_HOST:
            if url.path == "/xrpc/app.bsky.actor.getProfiles":
                return self._bluesky_profiles(lists.get("actors", []))
            return self._bluesky(url.path, query)
        if host == YOUTUBE_FEEDS_HOST and url.path == "/feeds/videos.xml":
            channel = self.channels.get(query.get("channel_id", ""))
            return (
                (200, {"Content-Type": "application/atom+xml; charset=utf-8"}, youtube_feed(channel).encode())
                if channel
                else _not_found()
            )
        if host in MASTODON_SERVERS:
            return self._mastodon(host, url.path, query, lists)
        if host in self.blogs:
            return self._blog(self.blogs[host], url.path)
        return _not_found()

    # ModernGov ---------------------------------------------------------------
    def _council(self, council: Council, path: str, query: dict) -> Reply:
        if council.cms == "cmis":
            return self._cmis(council, path)
        if council.cms in ("html", "json"):
            return self._own_site(council, path, query)
        path = _below(council, path)  # the site's pages under its base URL (".../moderngov/mgUserInfo.aspx")
        if path.lower() == "/mgwebservice.asmx/getcouncillorsbyward":
            return 200, {"Content-Type": "text/xml; charset=utf-8"}, roster_xml(council).encode()
        if path.lower() == "/mgmemberindex.aspx" and query.get("FN") == "WARD":
            return _html(member_index_page(council))
        if path.lower() == "/mguserinfo.aspx":
            member = next((m for m in council.councillors if str(m.uid) == query.get("UID")), None)
            if member is not None:
                return _html(profile_page(council, member))
        return _not_found()

    def _cmis(self, council: Council, path: str) -> Reply:
        if path == urlsplit(council.roster_url).path:
            return _html(cmis_list_page(council))
        match = re.fullmatch(
            r"/People/tabid/62/ctl/ViewCMIS_Person/mid/480/id/(\d+)/Default\.aspx", _below(council, path)
        )
        member = match and next((m for m in council.councillors if str(m.uid) == match.group(1)), None)
        if member:
            return _html(profile_page(council, member, container="main"))
        return _not_found()

    def _own_site(self, council: Council, path: str, query: dict) -> Reply:
        """A council's own site: a paged directory (html) or a JSON service (json), and profile pages."""
        if council.cms == "html" and path == "/councillors":
            page = query.get("page", "1")
            if page.isdigit() and 1 <= int(page) <= directory_pages(council):
                return _html(directory_page(council, int(page)))
        if council.cms == "json" and path == "/api/councillors.json":
            return _json(roster_json(council))
        match = re.fullmatch(r"/councillors/(\d+)", path)
        member = match and next((m for m in council.councillors if str(m.uid) == match.group(1)), None)
        if member:
            return _html(profile_page(council, member, container="main"))
        return _not_found()

    # Bluesky AppView ---------------------------------------------------------
    def _bluesky_actor(self, actor: str) -> Account | None:
        return self.bluesky.get(actor) or self.dids.get(actor)

    def _bluesky_profiles(self, actors: list[str]) -> Reply:
        """``getProfiles``: at most 25 actors; unknown ones are left out, as the AppView does."""
        if len(actors) > 25:
            return _json({"error": "InvalidRequest", "message": "actors must not have more than 25 elements"}, 400)
        found = [a for a in map(self._bluesky_actor, actors) if a is not None]
        return _json({"profiles": [bluesky_profile(a) for a in found]})

    def _bluesky(self, path: str, query: dict) -> Reply:
        account = self._bluesky_actor(query.get("actor", ""))
        if path in ("/xrpc/app.bsky.actor.getProfile", "/xrpc/app.bsky.feed.getAuthorFeed") and account is None:
            return _json({"error": "InvalidRequest", "message": "Profile not found"}, 400)
        if path == "/xrpc/app.bsky.actor.getProfile":
            return _json(bluesky_profile(account))
        if path == "/xrpc/app.bsky.feed.getAuthorFeed":
            limit = min(int(query.get("limit", 50)), 100)
            start = int(query.get("cursor") or 0)
            items = account.posts[start : start + limit]
            body = {"feed": [bluesky_item(account, p) for p in items]}
            if start + limit < len(account.posts):
                body["cursor"] = str(start + limit)
            return _json(body)
        return _json({"error": "MethodNotImplemented"}, 501)

    # Mastodon ----------------------------------------------------------------
    def _mastodon(self, host: str, path: str, query: dict, lists: dict[str, list[str]]) -> Reply:
        if path == "/api/v1/accounts":  # many by id (Mastodon 4.3): unknown ids are left out
            ids = lists.get("id[]", [])
            if len(ids) > 40:
                return _json({"error": "Too many ids"}, 422)
            found = [self.mastodon_ids.get(i) for i in ids]
            return _json([mastodon_account(a) for a in found if a is not None and a.handle.endswith("@" + host)])
        if path == "/api/v1/accounts/lookup":
            account = self.mastodon.get(f"{query.get('acct', '').lower()}@{host}")
            if account is None:
                return _json({"error": "Record not found"}, 404)
            return _json(mastodon_account(account))
        parts = path.strip("/").split("/")
        if len(parts) == 5 and parts[:3] == ["api", "v1", "accounts"] and parts[4] == "statuses":
            account = self.mastodon_ids.get(parts[3])
            if account is None or not account.handle.endswith("@" + host):
                return _json({"error": "Record not found"}, 404)
            posts = [p for p in account.posts if not query.get("max_id") or p.id < query["max_id"]]
            if query.get("exclude_reblogs") in ("true", "1"):
                posts = [p for p in posts if p.kind != "repost"]
            page = posts[: min(int(query.get("limit", 20)), 40)]
            headers = {}
            if len(page) < len(posts):
                nxt = f"https://{host}/api/v1/accounts/{parts[3]}/statuses?limit=40&exclude_reblogs=true&max_id={page[-1].id}"
                headers["Link"] = f'<{nxt}>; rel="next"'
            status, base_headers, body = _json([mastodon_status(account, p) for p in page])
            return status, base_headers | headers, body
        return _json({"error": "Record not found"}, 404)

    # Blogs -------------------------------------------------------------------
    def _blog(self, account: Account, path: str) -> Reply:
        if path in ("", "/"):
            return _html(blog_home(account))
        if path == "/feed.xml":
            return 200, {"Content-Type": "application/rss+xml; charset=utf-8"}, blog_feed(account).encode()
        return _not_found()


def _below(council: Council, path: str) -> str:
    """``path`` from the council's base URL on ("" when it is not under it)."""
    base = urlsplit(council.base_url).path.rstrip("/")
    return path[len(base) :] if path.lower().startswith(base.lower()) else ""


def _json(body, status: int = 200) -> Reply:
    return status, {"Content-Type": "application/json; charset=utf-8"}, json.dumps(body).encode()


def _html(body: str) -> Reply:
    return 200, {"Content-Type": "text/html; charset=utf-8"}, body.encode()


def _text(body: str) -> Reply:
    return 200, {"Content-Type": "text/plain; charset=utf-8"}, body.encode()


def _not_found() -> Reply:
    return 404, {"Content-Type": "text/plain"}, b"Not found"


class _Stamped(io.RawIOBase):
    """A connection's reads, keeping the kernel's receive stamp (``SO_TIMESTAMPNS``, Linux) of the
    first bytes read since :meth:`restart`: when a request reached the machine, however late a
    busy server's thread comes to read it. Elsewhere (or refused) no stamp is kept."""

    def __init__(self, connection: socket.socket):
        self.connection = connection
        self.first: float | None = None
        try:
            connection.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
            self.stamped = True
        except OSError:
            self.stamped = False

    def readable(self) -> bool:
        return True

    def restart(self) -> None:
        self.first = None

    def readinto(self, buffer) -> int:
        if not self.stamped:
            return self.connection.recv_into(buffer)
        size, ancillary, _flags, _address = self.connection.recvmsg_into([buffer], socket.CMSG_SPACE(16))
        for level, kind, data in ancillary:
            if self.first is None and level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(data) >= 16:
                seconds, nanoseconds = struct.unpack("qq", data[:16])
                self.first = seconds + nanoseconds / 1e9
        return size


MAX_POST = 1_000_000  # bytes of a request body the demo web reads


class _Handler(BaseHTTPRequestHandler):
    web: DemoWeb
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: without this, Nagle's algorithm holds the body
    # back until the client's delayed ACK (about 40 ms on a kept-alive connection).
    disable_nagle_algorithm = True

    def setup(self) -> None:
        super().setup()
        self.rfile.close()  # the plain reader StreamRequestHandler made: it would hold the socket open
        self._stamps = _Stamped(self.connection)
        self.rfile = io.BufferedReader(self._stamps)  # the demo's clients send a request only after the last answer

    def handle_one_request(self) -> None:
        self._stamps.restart()
        super().handle_one_request()

    def do_GET(self) -> None:
        host = (self.headers.get("Host") or "").split(":")[0].lower()
        request_headers = {k.lower(): v for k, v in self.headers.items()}
        status, headers, body = self.web.handle(host, self.path, request_headers, self._stamps.first)
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        host = (self.headers.get("Host") or "").split(":")[0].lower()
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_POST:
            self.send_error(413)
            return
        body = self.rfile.read(length) if length else b""
        request_headers = {k.lower(): v for k, v in self.headers.items()}
        status, headers, answer = self.web.handle_post(host, self.path, request_headers, body)
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args) -> None:
        pass


class _Listening(ThreadingHTTPServer):
    # A real server's accept queue, not socketserver's 5: with hundreds of crawler connections
    # opening at once, a full queue drops their packets, and the retransmission 200 ms or 1 s later
    # reaches the server that much after it was sent (the audit would blame the crawler).
    request_queue_size = 1024


class DemoServer:
    """The demo web on 127.0.0.1 in a background thread (a context manager)."""

    def __init__(
        self,
        world: World,
        port: int = 0,
        latency: float = 0.0,
        pages: dict[str, dict[str, Reply]] | None = None,
        **hostile,
    ):
        """``pages``: sites served as they are written (:class:`DemoWeb`); the rehearsal's
        (``cllr.demo.rehearsal``) with its world: ``DemoServer(r.world, pages=r.pages)``. ``hostile``:
        :class:`DemoWeb`'s ``crawl_delays``, ``unavailable`` and ``seed``."""
        self.web = DemoWeb(world, latency, pages, **hostile)
        handler = type("Handler", (_Handler,), {"web": self.web})
        self._server = _Listening(("127.0.0.1", port), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def address(self) -> str:
        host, port = self._server.server_address[:2]
        return f"{host}:{port}"

    def connect_to(self) -> dict[str, str]:
        """The ``connect_to`` mapping that sends every demo host name to this server."""
        return dict.fromkeys(self.web.hosts, self.address)

    def settings(self) -> dict:
        """The settings that point the pipeline at this demo web instead of the real one."""
        return {
            "connect_to": self.connect_to(),
            "bluesky_appview": f"https://{BLUESKY_APPVIEW_HOST}",
            "youtube_feeds": f"https://{YOUTUBE_FEEDS_HOST}",
            "site_url": DEMO_SITE_URL,
        }

    def list_settings(self) -> dict:
        """The demo operator's Bluesky account on the demo PDS: with these, a run publishes the
        councils' Bluesky lists there (cllr.pipeline.bluesky_lists)."""
        return {
            "bluesky_pds": f"https://{PDS_HOST}",
            "bluesky_identifier": DEMO_OPERATOR,
            "bluesky_app_password": DEMO_APP_PASSWORD,
        }

    def __enter__(self) -> DemoServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
