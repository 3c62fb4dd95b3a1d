"""The built site in a real browser: Debian's Chromium, driven by Playwright.

One demo site is built per session with the real pipeline (two runs, the demo web moving
on between them, as `cllr demo` does, so that councillor pages show account history) and
served on 127.0.0.1. The tests walk it as a reader would, with the pages' Content
Security Policy in force, with JavaScript on and off, and run axe-core's WCAG 2.0, 2.1
and 2.2 A and AA rules on every kind of page it contains. Chromium reaches nothing but
127.0.0.1. See docs/browser-tests.md.
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from cllr.config import Settings
from cllr.demo.postcodes import demo_postcodes, import_demo_directory
from cllr.demo.server import DemoServer
from cllr.demo.world import build_world, write_demo_files
from cllr.names import slugify
from cllr.site.environment import COUNCIL_TYPES
from cllr.site.search import account_identity, identity_shard

from .browser import (
    AXE,
    AXE_RUN,
    AXE_TAGS,
    CHROMIUM,
    CHROMIUM_ARGS,
    axe_version,
    format_violations,
    missing,
    page_kinds,
    pages_to_audit,
    serve,
    skip_or_fail,
)

pytestmark = [pytest.mark.browser, pytest.mark.flow]

# The kinds of page the site has today; the audit also covers any kind added later.
KNOWN_KINDS = {"index.html", "leaderboard.html", "method.html", "councils/", "councillors/"}
ON_MAIN = re.compile(r"#main$")


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium under Playwright, once per session (skips, or in CI fails, when missing)."""
    reason = missing()
    if reason:
        skip_or_fail(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def world():
    """A world of this module's own (the second run changes it: the shared small_world stays as it is)."""
    return build_world(councils=5, seed=7, wards=(3, 5))


@pytest.fixture(scope="session")
def site_dir(chromium, prefect_api, world, tmp_path_factory) -> Path:
    """The demo site built by the real pipeline on SQLite, twice, as `cllr demo` builds it (its
    fictional postcode directory imported first)."""
    from flows.refresh import refresh

    data_dir = tmp_path_factory.mktemp("browser-site")
    with DemoServer(world) as web:
        settings = Settings(
            data_dir=data_dir,
            database_url=f"sqlite:///{data_dir / 'cllr.sqlite3'}",
            **write_demo_files(world, data_dir),
            **web.settings(),
            request_delay=0,
            backoff_base=0.01,
            workers=4,
        )
        import_demo_directory(world, data_dir, settings.db_url)
        first = refresh(settings=settings.model_dump(mode="json"), trigger="test")
        assert not first["problems"], first["problems"]
        world.next_day()
        web.web.reindex()
        refresh(settings=settings.model_dump(mode="json"), trigger="test")
    assert (settings.output_dir / "index.html").exists()
    return settings.output_dir


@pytest.fixture(scope="session")
def site(site_dir) -> str:
    """The base URL of the built site, served on 127.0.0.1."""
    with serve(site_dir) as url:
        yield url


def watch(page) -> list[str]:
    """Collect what goes wrong on a page: console errors (a CSP block is one, a 404 another),
    uncaught exceptions, failed requests, answers of 400 and over, and any request to a host
    other than 127.0.0.1. The icon the pages name is fetched lazily: a navigation that leaves
    the page first aborts its request, which is not a fault of the site's."""
    problems: list[str] = []

    def console(message) -> None:
        if message.type == "error":
            problems.append(f"{page.url}: console error: {message.text} ({message.location.get('url')})")

    def request(req) -> None:
        if urlsplit(req.url).hostname != "127.0.0.1":
            problems.append(f"{page.url}: requested {req.url}")

    def failed(req) -> None:
        if not (req.url.endswith("/static/favicon.svg") and req.failure == "net::ERR_ABORTED"):
            problems.append(f"{page.url}: request failed: {req.url} ({req.failure})")

    def answered(response) -> None:
        if response.status >= 400:
            problems.append(f"{page.url}: {response.url} answered {response.status}")

    page.on("console", console)
    page.on("pageerror", lambda e: problems.append(f"{page.url}: uncaught: {e}"))
    page.on("requestfailed", failed)
    page.on("response", answered)
    page.on("request", request)
    return problems


def _watched_page(chromium, **options):
    context = chromium.new_context(**options)
    page = context.new_page()
    problems = watch(page)
    yield page
    context.close()
    assert not problems, "\n".join(problems)


@pytest.fixture
def page(chromium):
    """A page with the site's CSP in force; the test fails on anything :func:`watch` sees."""
    yield from _watched_page(chromium)


@pytest.fixture
def page_without_js(chromium):
    """As :func:`page`, with JavaScript disabled (Playwright's own probes still work)."""
    yield from _watched_page(chromium, java_script_enabled=False)


def open_page(page, url: str) -> None:
    response = page.goto(url)
    assert response is not None and response.ok, f"{url}: {response and response.status}"


def follow(page, link) -> str:
    """Click a link as a reader would; return the URL of the page it loads."""
    with page.expect_navigation() as navigation:
        link.click()
    response = navigation.value
    assert response is not None and response.ok, f"{page.url}: {response and response.status}"
    return page.url


def h1(page) -> str:
    """The page's one h1."""
    assert page.locator("h1").count() == 1, f"{page.url}: {page.locator('h1').count()} h1 elements"
    return page.locator("h1").inner_text().strip()


def main_link(page, name: str):
    """The first link in the main content whose accessible name is exactly ``name``."""
    return page.locator("main").get_by_role("link", name=name, exact=True).first


def header_links(page) -> list[list[str]]:
    """The site header's links (brand and main navigation), as [text, absolute URL]."""
    return page.eval_on_selector_all("header.site a", "as => as.map(a => [a.textContent.trim(), a.href])")


def first_of_each_kind(site_dir: Path) -> dict[str, str]:
    return {kind: pages[0].as_posix() for kind, pages in page_kinds(site_dir).items()}


# Navigation, with the pages' CSP in force --------------------------------------------


def test_home_to_a_council_to_a_councillor_and_back_by_the_breadcrumbs(page, site, world):
    council = world.councils[0]
    member = sorted(council.councillors, key=lambda m: m.name)[0]
    open_page(page, site)
    assert h1(page) == "UK councillors online"
    assert page.title().endswith(" · Councillors Online")

    assert follow(page, main_link(page, council.name)).startswith(site + "councils/")
    assert h1(page) == council.name
    assert page.title() == f"{council.name} · Councillors Online"

    assert follow(page, main_link(page, member.name)).startswith(site + "councillors/")
    assert h1(page).startswith(member.name)
    crumbs = page.get_by_role("navigation", name="Breadcrumb")
    assert crumbs.inner_text().split("›")[-1].strip() == member.name

    follow(page, crumbs.get_by_role("link", name=council.name, exact=True))
    assert h1(page) == council.name
    follow(page, page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name="Councils", exact=True))
    assert main_link(page, council.name).is_visible()  # back at a list of the councils


def test_the_header_leads_to_every_section_and_is_the_same_on_every_kind_of_page(page, site, site_dir):
    open_page(page, site)
    home = header_links(page)
    assert home[0] == ["Councillors Online", site + "index.html"]
    assert ["Most active", site + "leaderboard.html"] in home
    for text, url in home[1:] + home[:1]:  # each link, clicked from the page the last one led to
        assert follow(page, page.locator("header.site").get_by_role("link", name=text, exact=True)) == url
        h1(page)
        assert header_links(page) == home, f"{url}: the header differs from the home page's"
    for kind, path in first_of_each_kind(site_dir).items():
        open_page(page, site + path)
        assert header_links(page) == home, f"{kind} ({path}): the header differs from the home page's"


def test_the_method_page_is_linked_from_home_and_councillor_pages(page, site, site_dir):
    open_page(page, site)
    follow(page, main_link(page, "method"))
    assert page.url == site + "method.html"
    assert h1(page) == "How we know and what we count"
    texts = {p: (site_dir / p).read_text(encoding="utf-8") for p in page_kinds(site_dir)["councillors/"]}
    with_accounts = next(p for p, text in texts.items() if 'id="accounts"' in text and "<table" in text)
    open_page(page, site + with_accounts.as_posix())
    follow(page, main_link(page, "method"))
    assert page.url == site + "method.html"


def test_the_leaderboard_ranks_councillors_and_links_to_them_and_their_councils(page, site):
    open_page(page, site + "leaderboard.html")
    assert h1(page) == "Most active councillors"
    rows = page.locator("main table").first.evaluate(
        """t => {
          const heads = [...t.tHead.rows[0].cells].map(c => c.textContent.trim());
          const cells = r => heads.map((h, i) => [h, r.cells[i].textContent.trim()]);
          return [...t.tBodies[0].rows].map(r => Object.fromEntries(cells(r)));
        }"""
    )
    assert rows
    assert [int(r["Rank"]) for r in rows] == list(range(1, len(rows) + 1))
    posts = [int(r["Posts"]) for r in rows]
    assert posts == sorted(posts, reverse=True) and posts[0] > 0

    top = rows[0]
    follow(page, main_link(page, top["Councillor"]))
    assert h1(page).startswith(top["Councillor"])
    assert top["Council"] in page.get_by_role("navigation", name="Breadcrumb").inner_text()
    page.go_back()
    assert page.url == site + "leaderboard.html"
    follow(page, main_link(page, top["Council"]))
    assert h1(page) == top["Council"]
    assert main_link(page, top["Councillor"]).is_visible()


def test_the_skip_link_comes_first_shows_on_focus_and_jumps_to_the_main_content(page, site, site_dir):
    for kind, path in first_of_each_kind(site_dir).items():
        open_page(page, site + path)
        skip = page.locator("a.skip")
        hidden = skip.bounding_box()
        assert hidden is None or hidden["x"] + hidden["width"] <= 0 or hidden["y"] + hidden["height"] <= 0, (
            f"{kind}: the skip link shows before it has focus: {hidden}"
        )
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.outerHTML")
        assert focused.startswith('<a class="skip"') and "Skip to content" in focused, f"{kind}: first Tab: {focused}"
        box, size = skip.bounding_box(), page.viewport_size
        assert box and box["x"] >= 0 and box["y"] >= 0 and box["x"] + box["width"] <= size["width"], f"{kind}: {box}"
        assert skip.get_attribute("href") == "#main" and page.locator("main#main").count() == 1, kind
        page.keyboard.press("Enter")
        page.wait_for_url(ON_MAIN, timeout=5000)  # a same-page navigation: wait for it
        if page.locator("main a[href], main button:visible, main input:visible, main select:visible").count():
            page.keyboard.press("Tab")
            assert page.evaluate("!!document.activeElement.closest('main')"), (
                f"{kind}: Tab after the skip link went to {page.evaluate('document.activeElement.outerHTML')}"
            )


# Without JavaScript ------------------------------------------------------------------


def test_the_site_can_be_read_and_navigated_without_javascript(page_without_js, site, world):
    page = page_without_js
    council = world.councils[-1]
    open_page(page, site)
    follow(page, main_link(page, council.name))
    assert h1(page) == council.name
    names = page.locator("main a[href*='councillors/']").all_inner_texts()
    assert {m.name for m in council.councillors} <= {n.strip() for n in names}
    member = sorted(council.councillors, key=lambda m: m.name)[-1]
    follow(page, main_link(page, member.name))
    assert h1(page).startswith(member.name)
    follow(page, page.get_by_role("navigation", name="Main").get_by_role("link", name="Most active", exact=True))
    assert page.locator("main table tbody tr").count() > 0
    page.locator("a.skip").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(ON_MAIN, timeout=5000)


def test_every_kind_of_page_loads_under_its_csp_and_shows_the_same_content_without_javascript(
    page, page_without_js, site, site_dir
):
    """With JavaScript on, the CSP (default-src 'none', everything else from the site
    only) blocks nothing a page uses: no console error (the page fixture fails on any)
    and every stylesheet applied. Scripts may add controls (sort buttons, filters,
    search), never content: the same links and table rows show with JavaScript off."""
    read = """m => [[...m.querySelectorAll('a[href]')].map(a => a.href).sort(),
                    [...m.querySelectorAll('table')].map(t => t.tBodies[0] ? t.tBodies[0].rows.length : 0)]"""
    for kind, path in first_of_each_kind(site_dir).items():
        open_page(page, site + path)
        csp = page.locator('meta[http-equiv="Content-Security-Policy"]').get_attribute("content")
        assert "default-src 'none'" in csp, kind
        sheets = page.evaluate("[...document.styleSheets].map(s => [s.href, s.cssRules.length])")
        assert len(sheets) >= 2 and all(rules > 0 for _, rules in sheets), (kind, sheets)
        assert page.evaluate("getComputedStyle(document.querySelector('.skip')).position") == "absolute", kind
        open_page(page_without_js, site + path)
        assert page_without_js.locator("main").evaluate(read) == page.locator("main").evaluate(read), kind


# The closed network ------------------------------------------------------------------


def test_external_links_are_never_requested_and_lead_nowhere(chromium, site, site_dir):
    """Every page test fails on a request off 127.0.0.1 (see watch); here, pages full of
    links to other sites are read, and following one fails in Chromium's resolver."""
    context = chromium.new_context()
    requested: list[str] = []
    context.on("request", lambda r: requested.append(r.url))
    try:
        page = context.new_page()
        outward = sorted(site_dir.rglob("*.html"), key=lambda f: -f.read_text(encoding="utf-8").count('href="http'))
        external: set[str] = set()
        for file in outward[:4]:  # the pages with the most links to other sites
            open_page(page, site + file.relative_to(site_dir).as_posix())
            page.mouse.move(0, 0)
            for link in page.locator("main a[href^='http']").all()[:5]:
                link.hover()  # a reader's pointer over a link: no prefetch, no preconnect
            hrefs = page.eval_on_selector_all("a[href]", "as => as.map(a => a.href)")
            external |= {h for h in hrefs if urlsplit(h).scheme in ("http", "https") and not h.startswith(site)}
        assert external, "the pages link to no other site: nothing to check"
        assert requested and {urlsplit(u).hostname for u in requested} == {"127.0.0.1"}, sorted(set(requested))
        with pytest.raises(Exception, match="ERR_NAME_NOT_RESOLVED"):  # MAP * ~NOTFOUND: no look-up, no connection
            page.goto(sorted(external)[0])
    finally:
        context.close()


# Accessibility -----------------------------------------------------------------------


@pytest.fixture(scope="session")
def audit_context(chromium):
    """A context that injects axe-core into every page despite the pages' CSP (the audit
    only). An init script rather than page.add_script_tag: the same file, read once, and
    the audit runs in half the time."""
    reason = missing(axe=True)
    if reason:
        skip_or_fail(reason)
    context = chromium.new_context(bypass_csp=True)
    context.add_init_script(path=str(AXE))
    yield context
    context.close()


def audit(page, url: str) -> list[dict]:
    """axe-core's violations of the WCAG A and AA rules on the page at url, as it shows
    once loaded (its scripts run: sort buttons and filters included)."""
    open_page(page, url)
    return page.evaluate(AXE_RUN, AXE_TAGS)


@pytest.mark.parametrize("width", [None, 320], ids=["desktop", "phone"])
def test_every_kind_of_page_has_no_wcag_a_or_aa_violations(audit_context, site, site_dir, width):
    """axe-core's WCAG 2.0/2.1/2.2 A and AA rules on every kind of page the built site
    has (whatever kinds it has: see page_kinds), on as many pages as it takes to show
    every element, class, role and ARIA attribute the site uses (pages_to_audit); on a
    desktop screen and on a phone's, where tables show their rows as cards."""
    kinds = page_kinds(site_dir)
    assert set(kinds) >= KNOWN_KINDS, sorted(kinds)
    chosen = pages_to_audit(site_dir)
    page = audit_context.new_page()
    if width:
        page.set_viewport_size({"width": width, "height": 800})
    reports = []
    try:
        for path in chosen:
            url = site + path.as_posix()
            violations = audit(page, url)
            if violations:
                reports.append(format_violations(url, violations))
    finally:
        page.close()
    print(f"axe-core {axe_version()} audited {len(chosen)} pages of {len(kinds)} kinds: {', '.join(map(str, chosen))}")
    assert not reports, "\n\n".join(reports)


def test_the_audit_reports_a_violation_when_there_is_one(audit_context, site):
    """The audit is live: an image without alt text is reported, by rule, element and fix."""
    page = audit_context.new_page()
    try:
        open_page(page, site + "method.html")
        page.evaluate("document.querySelector('main').insertAdjacentHTML('beforeend', '<img src=\"x.png\">')")
        violations = page.evaluate(AXE_RUN, AXE_TAGS)
    finally:
        page.close()
    assert [v["id"] for v in violations] == ["image-alt"]
    report = format_violations(site + "method.html", violations)
    assert re.search(r"^- image-alt \(critical\): Images must have alternative text", report, re.M), report
    assert '<img src="x.png">' in report, report


# Phones ------------------------------------------------------------------------------

PHONES = [320, 390]  # the narrowest screen WCAG 1.4.10 names; a common phone today
WIDER_THAN_THE_SCREEN = """() => {
  const screen = document.documentElement.clientWidth;
  const wide = [...document.querySelectorAll('main *')].filter(e => e.getBoundingClientRect().right > screen + 1);
  return {screen, page: document.documentElement.scrollWidth, wide: wide.slice(0, 3).map(e => e.outerHTML.slice(0, 160))};
}"""
CHART_TEXT_PX = "() => [...document.querySelectorAll('svg.chart text')].map(t => parseFloat(t.getAttribute('font-size')) * t.getScreenCTM().a)"


def on_a_phone(chromium, width: int):
    """A page in a phone's shape: its viewport meta applies (is_mobile), with touch and a dense screen."""
    return chromium.new_context(
        viewport={"width": width, "height": 800}, is_mobile=True, has_touch=True, device_scale_factor=2
    )


def wider_than_the_screen(page) -> str | None:
    seen = page.evaluate(WIDER_THAN_THE_SCREEN)
    if seen["page"] > seen["screen"]:
        return f"{page.url}: {seen['page']} px wide on a {seen['screen']} px screen: {seen['wide']}"
    return None


@pytest.mark.parametrize("width", PHONES)
def test_no_kind_of_page_is_wider_than_a_phone_and_chart_text_stays_legible(chromium, site, site_dir, world, width):
    """Every kind of page, and every element the site uses (pages_to_audit), at 320 and 390 px:
    nothing scrolls sideways, and a chart's text is drawn at 12 CSS px or more, however
    narrow the chart. The postcode finder's results (drawn by the script) too."""
    context = on_a_phone(chromium, width)
    page = context.new_page()
    problems = watch(page)
    try:
        too_wide, chart_text = [], []
        for path in pages_to_audit(site_dir):
            open_page(page, site + path.as_posix())
            too_wide.append(wider_than_the_screen(page))
            chart_text += page.evaluate(CHART_TEXT_PX)
        demo = next(p for p in demo_postcodes(world) if len(p.places) > 1 and p.places[0].county is not None)
        open_page(page, site)
        find(page, demo.postcode)
        assert result_sections(page)
        too_wide.append(wider_than_the_screen(page))
    finally:
        context.close()
    assert not problems, "\n".join(problems)
    assert not [t for t in too_wide if t], "\n".join(t for t in too_wide if t)
    assert chart_text, "no chart on the pages audited: nothing to check"
    assert min(chart_text) >= 12, sorted(chart_text)[:5]


def test_tables_shown_as_cards_on_a_phone_are_still_tables_to_assistive_technology(chromium, site, site_dir):
    """At 320 px a table.stack shows each row as a card (display changes); Chromium's
    accessibility tree must still hold the table, its column headers, row headers and cells."""
    texts = {p: (site_dir / p).read_text(encoding="utf-8") for p in pages_to_audit(site_dir)}
    stacked = [p for p, text in texts.items() if 'class="stack"' in text or ' stack"' in text]
    assert stacked, "no page has a table shown as cards"
    context = on_a_phone(chromium, 320)
    page = context.new_page()
    try:
        for path in stacked:
            open_page(page, site + path.as_posix())
            assert page.evaluate("getComputedStyle(document.querySelector('table.stack tbody tr')).display") == "block"
            cdp = context.new_cdp_session(page)
            roles = Counter(
                n["role"]["value"] for n in cdp.send("Accessibility.getFullAXTree")["nodes"] if not n.get("ignored")
            )
            cdp.detach()
            html = page.locator("main").evaluate(
                """m => ({table: m.querySelectorAll('table').length, columnheader: m.querySelectorAll('th[scope=col]').length,
                         rowheader: m.querySelectorAll('th[scope=row]').length, cell: m.querySelectorAll('td').length})"""
            )
            assert {role: roles[role] for role in html} == html, path
    finally:
        context.close()


# Search, sorting and filtering: the script's additions, with the CSP in force ------------------------


def test_search_finds_a_councillor_by_surname_and_ward_and_opens_their_page(page, site, world):
    council = world.councils[1]
    member = council.councillors[2]
    surname = member.name.split()[-1]
    open_page(page, f"{site}/search.html")
    box = page.get_by_label("Name, ward, council or account")
    box.fill(f"{surname[:4].lower()} {member.ward.split()[0]}")
    results = page.locator("#search-results li")
    # the status says "… found" once every shard the words need is read and the list drawn (on a
    # loaded machine the first results can be on the page before the last shard is in)
    page.wait_for_function("s => /found$/.test(s.textContent.trim())", arg=page.get_by_role("status").element_handle())
    names = results.locator("a").all_inner_texts()
    assert member.name in names
    follow(page, page.locator("#search-results").get_by_role("link", name=member.name, exact=True).first)
    assert h1(page).startswith(member.name)


def test_search_says_so_when_nothing_matches(page, site):
    open_page(page, f"{site}/search.html")
    page.get_by_label("Name, ward, council or account").fill("zzqx")
    page.get_by_text("Nothing found").wait_for()
    assert page.locator("#search-results li").count() == 0


def test_the_councils_list_sorts_by_a_column_and_filters_by_nation(page, site, world):
    open_page(page, f"{site}/councils/index.html")
    table = page.locator("#council-table")

    def column(index: int) -> list[str]:
        return table.locator(f"tbody tr:not([hidden]) td:nth-child({index})").all_inner_texts()

    seats = table.get_by_role("button", name="Seats")
    seats.click()
    ascending = [int(v) for v in column(4)]
    assert ascending == sorted(ascending)
    assert table.locator("th[aria-sort=ascending]").inner_text() == "Seats"
    seats.click()
    assert [int(v) for v in column(4)] == sorted(ascending, reverse=True)
    table.get_by_role("button", name="Council", exact=True).click()
    assert column(1) == sorted(column(1), key=str.lower)

    nation = world.councils[3].nation
    page.get_by_label("Nation").select_option(nation)
    shown = column(2)
    assert shown and set(shown) == {nation}
    assert len(shown) == sum(1 for c in world.councils if c.nation == nation)
    assert page.get_by_role("status").inner_text() == f"{len(shown)} shown"
    page.get_by_label("Nation").select_option("")
    assert len(column(2)) == len(world.councils)


def test_the_councils_list_filters_by_type_and_by_nation_and_type_together(page, site, world):
    open_page(page, f"{site}/councils/index.html")
    table = page.locator("#council-table")

    def shown(index: int) -> list[str]:
        return table.locator(f"tbody tr:not([hidden]) td:nth-child({index})").all_inner_texts()

    kind = world.councils[1].council_type
    page.get_by_label("Type").select_option(kind)
    assert set(shown(3)) == {COUNCIL_TYPES[kind]}
    assert sorted(shown(1)) == sorted(c.name for c in world.councils if c.council_type == kind)
    nation = world.councils[1].nation
    page.get_by_label("Nation").select_option(nation)
    both = [c.name for c in world.councils if c.council_type == kind and c.nation == nation]
    assert sorted(shown(1)) == sorted(both) and len(both) >= 1
    assert page.get_by_role("status").inner_text() == f"{len(both)} shown"
    page.get_by_label("Type").select_option("")
    assert sorted(shown(1)) == sorted(c.name for c in world.councils if c.nation == nation)


# Look-up by account -------------------------------------------------------------------

CASES = Path(__file__).parent / "fixtures" / "platforms" / "normalisation" / "cases.json"


def test_the_browser_reads_every_written_form_of_an_account_as_the_identity_cllr_handles_gives(page, site):
    """static/handles.js turns what a reader types into the identities it could name; for every
    normalisation case cllr.handles gives a key for (handles, addresses, profile and post URLs,
    redirectors, free text), that key's identity is among them, and it is filed in the shard
    cllr/site/search.py files it in."""
    keyed = [c for c in json.loads(CASES.read_text(encoding="utf-8"))["cases"] if c["key"]]
    assert len(keyed) >= 35
    open_page(page, site + "search.html")
    page.wait_for_function("typeof CllrHandles !== 'undefined'")
    read = page.evaluate("inputs => inputs.map(CllrHandles.candidates)", [c["input"] for c in keyed])
    missed = [
        (c["id"], c["input"], c["key"])
        for c, got in zip(keyed, read, strict=True)
        if account_identity(c["key"]) not in got
    ]
    assert not missed, missed
    identities = [account_identity(c["key"]) for c in keyed] + ["kit@tööt.example", "ünïcode.bsky.social", ""]
    assert page.evaluate("ids => ids.map(CllrHandles.identityShard)", identities) == [
        identity_shard(i) for i in identities
    ]


def written_three_ways(account) -> list[str]:
    """A demo account as people write it: a handle, and two addresses of its profile."""
    if account.platform == "mastodon":
        user, server = account.handle.split("@")
        return [f"@{account.handle}", f"https://{server}/@{user}", f"https://{server}/users/{user}/statuses/1234"]
    return [f"@{account.handle}", account.handle, f"https://bsky.app/profile/{account.handle}/post/3kabc"]


@pytest.mark.parametrize("platform", ["bluesky", "mastodon"])
def test_search_finds_a_councillor_by_an_account_written_three_ways(page, site, world, platform):
    member, account = next(
        (m, a)
        for c in world.councils
        for m in c.councillors
        for a in m.accounts
        if a.platform == platform
        and a.on_council_page
        and not a.gone
        and not a.moved_to
        and not a.handle.startswith("renamed-")
    )
    open_page(page, f"{site}search.html")
    box = page.get_by_label("Name, ward, council or account")
    status = page.get_by_role("status").element_handle()
    for typed in written_three_ways(account):
        # Cleared first, and its empty status awaited: the last query's "… found" must not be taken
        # for this one's (whose shards would still be loading when the test moves on).
        box.fill("")
        page.wait_for_function("s => s.textContent.trim() === ''", arg=status)
        box.fill(typed)
        page.wait_for_function("s => /found$/.test(s.textContent.trim())", arg=status)
        hit = page.locator("#search-results li").filter(has=page.get_by_role("link", name=member.name, exact=True))
        assert hit.count() == 1, f"{typed}: {page.locator('#search-results').inner_text()}"
        assert account.handle in hit.inner_text(), hit.inner_text()
    follow(page, hit.get_by_role("link", name=member.name, exact=True))
    assert h1(page).startswith(member.name)


# The postcode finder ------------------------------------------------------------------


def names_in(world, council: int, ward: str) -> set[str]:
    return {m.name for m in world.councils[council].councillors if m.ward == ward}


def find(page, postcode: str) -> str:
    """Type a postcode into the finder and submit it; return what its status line says."""
    box = page.get_by_label("Postcode", exact=True)
    box.fill(postcode)
    box.press("Enter")
    status = page.locator("form.postcode [role=status]")
    page.wait_for_function("s => s.textContent && !s.textContent.startsWith('Looking up')", arg=status.element_handle())
    return status.inner_text()


def result_sections(page) -> dict[str, set[str]]:
    """Each area the finder shows (its heading) with the councillors it lists."""
    sections = {}
    for section in page.locator("#postcode-results section.place").all():
        heading = section.get_by_role("heading").inner_text().strip()
        sections[heading] = {n.strip() for n in section.locator("ul.people a.name").all_inner_texts()}
    return sections


def test_a_postcode_in_a_two_tier_area_shows_the_district_ward_and_the_county_division(page, site, world):
    demo = next(
        p for p in demo_postcodes(world) if p.places[0].county is not None and len(p.places) == 1 and not p.retired
    )
    place = demo.places[0]
    district, county = world.councils[place.council], world.councils[place.county]
    open_page(page, site)
    said = find(page, demo.postcode.lower().replace(" ", ""))
    ward, division = names_in(world, place.council, place.ward), names_in(world, place.county, place.division)
    assert said == f"{demo.postcode}: {len(ward) + len(division)} councillors in 2 areas, listed below."
    assert result_sections(page) == {
        f"{place.ward} ward, {district.name}": ward,
        f"{place.division} division, {county.name}": division,
    }
    assert page.get_by_role("heading", name=f"Councillors for {demo.postcode}").is_visible()
    # Each councillor links to their page; each area to its ward on the council's page.
    member = sorted(ward)[0]
    follow(page, page.locator("#postcode-results").get_by_role("link", name=member, exact=True))
    assert h1(page).startswith(member)
    page.go_back()
    find(page, demo.postcode)
    follow(
        page, page.locator("#postcode-results").get_by_role("link", name=f"{place.division} division, {county.name}")
    )
    assert h1(page) == county.name and page.url.endswith(f"#ward-{slugify(place.division)}")
    assert page.locator(f"#ward-{slugify(place.division)} h2").inner_text() == place.division


def test_a_unitary_postcode_shows_one_council_and_a_split_postcode_shows_each_ward(page, site, world):
    unitary = next(
        p
        for p in demo_postcodes(world)
        if world.councils[p.places[0].council].council_type == "UA" and not p.retired and len(p.places) == 1
    )
    council = world.councils[unitary.places[0].council]
    open_page(page, f"{site}councils/{council.code.lower()}.html")  # the box is on each council's page too
    find(page, unitary.postcode)
    assert result_sections(page) == {
        f"{unitary.places[0].ward} ward, {council.name}": names_in(
            world, unitary.places[0].council, unitary.places[0].ward
        )
    }
    split = next(p for p in demo_postcodes(world) if len(p.places) > 1 and p.places[0].county is not None)
    find(page, split.postcode)
    shown = result_sections(page)
    district = world.councils[split.places[0].council]
    for place in split.places:
        assert shown[f"{place.ward} ward, {district.name}"] == names_in(world, place.council, place.ward)
    assert page.get_by_text(f"The addresses of {split.postcode} lie in 2 different wards: each is shown.").is_visible()


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("QZ9 9ZZ", "We do not know the postcode QZ9 9ZZ. Check it, or choose your council from the list."),
        ("QA1 7XY", "We do not know the postcode QA1 7XY. Check it, or choose your council from the list."),
        (
            "QA1 1ZZ",
            "QA1 1ZZ is no longer in use: it was retired in June 2021. Try the postcode in use now, or choose your council from the list.",
        ),
        ("hello", "“hello” is not a postcode. A postcode looks like {example}."),
    ],
    ids=["unknown outward code", "unknown in a known outward code", "retired", "not a postcode"],
)
def test_an_unknown_retired_or_mistyped_postcode_says_so_and_shows_no_councillors(page, site, world, typed, said):
    assert any(p.postcode == "QA1 1ZZ" and p.retired == "202106" for p in demo_postcodes(world))
    open_page(page, site)
    find(page, "QA1 1AB")  # a result first: a failed lookup must clear it
    assert result_sections(page)
    assert find(page, typed) == said.format(example=hint_example(page))
    assert page.locator("#postcode-results section").count() == 0


def hint_example(page) -> str:
    """The postcode the finder's hint gives as an example."""
    hint = page.locator("#postcode-hint").inner_text()
    found = re.match(r"For example ([A-Z0-9]+ [0-9][A-Z]{2})\.", hint)
    assert found, hint
    return found.group(1)


def test_the_hint_s_example_postcode_finds_councillors_on_the_page_it_is_shown(page, site, world):
    """The example is one of this site's own postcodes: on the home page, and on each council's
    page one of that council's (a county's: a postcode in one of its divisions)."""
    open_page(page, site)
    example = hint_example(page)
    assert find(page, example).startswith(f"{example}: ")
    assert any(people for people in result_sections(page).values())
    for council in world.councils:
        open_page(page, f"{site}councils/{council.code.lower()}.html")
        example = hint_example(page)
        find(page, example)
        ours = [
            heading
            for heading, people in result_sections(page).items()
            if heading.endswith(f", {council.name}") and people
        ]
        assert ours, f"{council.name}: its example {example} finds none of its councillors: {result_sections(page)}"


LAYOUT_SHIFT = """() => new Promise(resolve => {
  let total = 0;
  new PerformanceObserver(list => { for (const e of list.getEntries()) if (!e.hadRecentInput) total += e.value; })
    .observe({type: 'layout-shift', buffered: true});
  requestAnimationFrame(() => requestAnimationFrame(() => resolve(total)));
})"""


@pytest.mark.parametrize("path", ["index.html", "councils/index.html", "search.html", "council"])
def test_the_forms_the_script_sets_up_shift_nothing_on_the_page(chromium, site, world, path):
    """The postcode box, the councils list's filters and the search box appear when the script has
    run; the room they take is kept from the first paint, so nothing moves (cumulative layout shift 0)."""
    if path == "council":
        path = f"councils/{world.councils[0].code.lower()}.html"
    context = chromium.new_context(viewport={"width": 390, "height": 1600})  # tall: the whole form and what follows
    page = context.new_page()
    try:
        # The script arrives late, as on a slow connection: the page is painted before the forms are set up.
        page.route("**/static/site.js", lambda route: (time.sleep(0.3), route.continue_()))
        open_page(page, site + path)
        page.locator("form:not([hidden])").first.wait_for()
        shift = page.evaluate(LAYOUT_SHIFT)
    finally:
        context.close()
    assert shift == 0, f"{path}: layout shift {shift}"


def test_the_finder_works_from_the_keyboard_and_announces_its_result(page, site, world):
    demo = next(p for p in demo_postcodes(world) if not p.retired and len(p.places) == 1)
    open_page(page, site)
    for _ in range(40):  # Tab through the page to the box, as a keyboard user does
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "postcode":
            break
    assert page.evaluate("document.activeElement.id") == "postcode"
    assert page.evaluate("document.activeElement.labels[0].textContent") == "Postcode"
    page.keyboard.type(demo.postcode)
    page.keyboard.press("Enter")
    status = page.get_by_role("status").filter(has_text=demo.postcode)
    status.filter(has_text="listed below").wait_for()  # "Looking up …" first, on a loaded machine for a while
    assert status.get_attribute("aria-live") == "polite" and "listed below" in status.inner_text()
    page.keyboard.press("Tab")  # the button, then into the results
    page.keyboard.press("Tab")
    focused = page.evaluate(
        "[document.activeElement.tagName, document.activeElement.closest('#postcode-results') !== null]"
    )
    assert focused == ["A", True]


def test_without_javascript_the_finder_is_hidden_and_the_councils_are_the_way_in(page_without_js, site, world):
    page = page_without_js
    open_page(page, site)
    assert not page.get_by_label("Postcode", exact=True).is_visible()
    assert page.locator("section.finder").get_by_role("link", name="the list of councils").is_visible()
    demo = demo_postcodes(world)[0]
    council = world.councils[demo.places[0].council]
    follow(page, page.locator("section.finder").get_by_role("link", name="the list of councils"))
    follow(page, main_link(page, council.name))
    assert page.locator(f"#ward-{slugify(demo.places[0].ward)} h2").inner_text() == demo.places[0].ward


def test_the_finder_and_its_results_have_no_wcag_a_or_aa_violations(audit_context, site, world):
    split = next(p for p in demo_postcodes(world) if len(p.places) > 1)
    page = audit_context.new_page()
    try:
        open_page(page, site)
        find(page, split.postcode)
        violations = page.evaluate(AXE_RUN, AXE_TAGS)
    finally:
        page.close()
    assert not violations, format_violations(site, violations)
