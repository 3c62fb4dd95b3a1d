"""Helpers for the browser tests (tests/test_browser.py): Debian's Chromium driven by
Playwright for Python, axe-core from npm, and the built demo site served on 127.0.0.1.

See docs/browser-tests.md.
"""

from __future__ import annotations

import functools
import os
import threading
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")  # Debian's package `chromium` (installed by .ci/run)
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"  # npm ci, from package-lock.json

# Headless flags for a machine with no network but loopback: without the background
# networking flags Chromium keeps trying (and failing) to reach Google's services, and the
# resolver rule makes every host name but 127.0.0.1 unresolvable, so a link off the site
# can never be followed, prefetched or looked up. Playwright adds --headless and a new,
# empty --user-data-dir of its own (removed when the browser closes).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]

# WCAG 2.0, 2.1 and 2.2, levels A and AA (axe has no wcag22a tag: 2.2's new A criteria
# are covered by the wcag22aa tag's rules or by none).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
AXE_RUN = """async (tags) => {
  const results = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
  return results.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map(n => ({target: n.target, html: n.html, summary: n.failureSummary})),
  }));
}"""


def axe_version() -> str:
    import json

    return json.loads((AXE.parent / "package.json").read_text(encoding="utf-8"))["version"]


def required() -> bool:
    """True where the browser tests must run (CI: .ci/run exports CLLR_REQUIRE_BROWSER=1)."""
    return bool(os.environ.get("CLLR_REQUIRE_BROWSER"))


def missing(*, axe: bool = False) -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if not CHROMIUM.exists():
        return f"Chromium missing: no {CHROMIUM} (apt-get install chromium; .ci/run does)"
    try:
        import playwright.sync_api  # noqa: F401  (installed?)
    except ImportError:
        return "the Python package playwright is missing (make setup installs it with the test extras)"
    if axe and not AXE.exists():
        return f"axe-core missing: no {AXE.relative_to(ROOT)} (npm ci; make test runs it where npm is installed)"
    return None


def skip_or_fail(reason: str) -> None:
    """Skip with the reason; in CI (CLLR_REQUIRE_BROWSER set) fail instead."""
    if required():
        pytest.fail(f"{reason} (CLLR_REQUIRE_BROWSER is set)", pytrace=False)
    pytest.skip(reason)


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args) -> None:
        pass


@contextmanager
def serve(directory: Path) -> Iterator[str]:
    """Serve a directory on 127.0.0.1 (a free port); yield its base URL, ending in '/'."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="browser-test-site", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def page_kinds(site: Path) -> dict[str, list[Path]]:
    """Every page of the built site by kind: a top-level page is a kind of its own
    (index.html, leaderboard.html, ...); the pages of a folder are one kind, named by the
    folder (councils/, councillors/, ...). A new template adds a kind without a change here."""
    kinds: dict[str, list[Path]] = defaultdict(list)
    for page in sorted(site.rglob("*.html")):
        rel = page.relative_to(site)
        kinds[rel.parts[0] + "/" if len(rel.parts) > 1 else rel.name].append(rel)
    return dict(kinds)


_NAMED_ONLY = {"aria-label", "aria-labelledby", "aria-describedby", "aria-controls", "aria-owns", "aria-details"}


def _signature(html: str) -> set[str]:
    """What a page is built from: each element's tag with each of its classes, roles,
    ARIA attributes and whether it is a link. Two pages of one kind with the same
    signature differ only in text, so an audit of one stands for both."""
    soup = BeautifulSoup(html, "html.parser")
    parts: set[str] = set()
    for el in soup.find_all(True):
        parts.add(el.name)
        for cls in el.get("class") or []:
            parts.add(f"{el.name}.{cls}")
        for attr in el.attrs:
            if attr in _NAMED_ONLY:  # free text or ids: which element has one, not what it says
                parts.add(f"{el.name}[{attr}]")
            elif attr in ("role", "scope", "rel", "type") or attr.startswith("aria-"):
                parts.add(f"{el.name}[{attr}={el.get(attr)}]")
        if el.name == "a":
            href = el.get("href") or ""
            parts.add("a:" + (urlsplit(href).scheme or ("#" if href.startswith("#") else "relative")))
    return parts


def pages_to_audit(site: Path) -> list[Path]:
    """Every kind of page, and every element, class, role and ARIA attribute the site
    shows: the richest page of each kind, then (greedily) the fewest more pages that show
    what those do not."""
    kinds = page_kinds(site)
    signatures = {p: _signature((site / p).read_text(encoding="utf-8")) for pages in kinds.values() for p in pages}

    def richest(pages: list[Path], wanted: set[str]) -> Path:
        # Most of what is wanted; then the largest file; then the shortest name (stable).
        return max(pages, key=lambda p: (len(signatures[p] & wanted), (site / p).stat().st_size, -len(str(p))))

    everything = set().union(*signatures.values())
    chosen = [richest(pages, everything) for pages in kinds.values()]
    wanted = everything.difference(*(signatures[p] for p in chosen))
    while wanted:
        best = richest(list(signatures), wanted)
        chosen.append(best)
        wanted -= signatures[best]
    return chosen


def format_violations(url: str, violations: list[dict]) -> str:
    """axe's violations as a readable report: rule id, impact, help, and each failing node."""
    lines = [f"{len(violations)} accessibility violation(s) on {url}:"]
    for v in violations:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']} [{v['helpUrl']}]")
        for node in v["nodes"]:
            lines.append(f"    target {' '.join(map(str, node['target']))}: {node['html'][:200]}")
            for line in (node["summary"] or "").splitlines():
                lines.append(f"      {line}")
    return "\n".join(lines)
