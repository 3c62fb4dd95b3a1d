"""The council sites of the demo web, page by page, at the size of real ones.

ModernGov's ``GetCouncillorsByWard`` XML, member index and ``mgUserInfo.aspx`` profile pages,
CMIS's councillors page and profile pages, a council's own paged A-Z directory and JSON
service. A councillor's details sit in the page furniture a real site wraps them in: a head
of stylesheets and scripts, a header with the site's navigation, a sidebar, a list of the
councillor's meetings and committees, and a footer carrying the council's own social accounts
(which discovery must never take for the councillor's). A real ModernGov profile page is 30 to
60 KB; so are these, so that every benchmark pays a real page's costs. Deterministic: the same
council and councillor give the same bytes (so a second run is answered 304). Everything is
fictional, and every page says so in its title.
"""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from html import escape
from xml.sax.saxutils import escape as xml_escape

from cllr.demo.world import MASTODON_SERVERS, Account, Council, Councillor, profile_url


def roster_xml(council: Council) -> str:
    wards = []
    for ward in council.wards:
        members = [m for m in council.councillors if m.ward == ward]
        vacant = council.vacancies.count(ward)
        entries = "".join(_roster_entry(council, m) for m in members) + _vacancy_entry() * vacant
        wards.append(
            f"<ward><wardtitle>{xml_escape(ward)}</wardtitle><councillors>"
            f"<councillorcount>{len(members) + vacant}</councillorcount>{entries}</councillors></ward>"
        )
    return f'<?xml version="1.0" encoding="utf-8"?>\n<councillorsbyward><wards>{"".join(wards)}</wards></councillorsbyward>\n'


def _vacancy_entry() -> str:
    return "<councillor><councillorid></councillorid><fullusername>Vacancy</fullusername></councillor>"


def _roster_entry(council: Council, m: Councillor) -> str:
    notes = "<line1>Surgeries on the first Saturday of the month at the library.</line1>"
    if m.handle_in_notes:
        account = m.accounts[0]
        label = {"bluesky": "Bluesky", "mastodon": "Mastodon", "web": "Blog"}[account.platform]
        shown = f"@{account.handle}" if account.platform != "web" else account.url
        notes += f"<line2>{label} - {xml_escape(shown)}</line2>"
    email = _email(council, m)
    return (
        f"<councillor><councillorid>{m.uid}</councillorid>"
        f"<fullusername>{xml_escape(m.title + m.name)}</fullusername>"
        f"<photobigurl>{council.base_url}/UserData/{m.uid}/bigpic.jpg</photobigurl>"
        f"<politicalpartytitle>{xml_escape(m.party)}</politicalpartytitle>"
        f"<districttitle></districttitle><representing></representing><keyposts>{xml_escape(chr(10).join(m.key_posts))}</keyposts>"
        f"<workaddress><line1>Town Hall</line1><email>{email}</email></workaddress>"
        # A fictional home address and a drama-reserved number: published by the demo
        # council like real ones often are, so the demo shows that they are never kept.
        f"<homeaddress><line1>{m.uid} Fictional Row</line1><mobile>07700 900{m.uid % 1000:03d}</mobile></homeaddress>"
        f"<surgerydetails>{notes}</surgerydetails>"
        f"<termsofoffice><termofoffice><startdate>05/05/2022</startdate><enddate>07/05/2026</enddate></termofoffice>"
        f"<termofoffice><startdate>07/05/2026</startdate><enddate>unspecified</enddate></termofoffice></termsofoffice>"
        f"</councillor>"
    )


def member_index_page(council: Council) -> str:
    """ModernGov's member index listed by ward (``mgMemberIndex.aspx?FN=WARD&VW=LIST``)."""
    sections = "".join(
        f'<h2 class="mgSectionTitle">{escape(ward)}</h2><ul>'
        + "".join(
            f'<li><p><a href="mgUserInfo.aspx?UID={m.uid}">{escape(m.title + m.name)}</a></p>'
            f"<p>{escape(m.party)}</p><p>{escape(ward)}</p></li>"
            for m in council.councillors
            if m.ward == ward
        )
        + "</ul>"
        for ward in council.wards
    )
    content = f"""<div id="modgov"><div class="mgContent"><h1 class="mgMainTitleTxt">Councillors by ward</h1>
<div class="mgThumbsList">{sections}</div></div></div>"""
    return _page(council, f"Councillors by ward - {escape(council.name)} (fictional demo)", content)


def cmis_list_page(council: Council) -> str:
    """A CMIS councillors page: a person block per member (and per vacant seat), as CMIS publishes them."""
    blocks = "".join(
        f'<div class="PE_People_PersonBlock"><a href="{escape(profile_url(council, m))}">'
        f'<img src="{council.base_url}/Portals/0/Images/People/{m.uid}.jpg" alt="Photo"></a>'
        f'<div class="NameLink">{escape(m.title + m.name)}</div>'
        f'<div class="PE_People_Label">Ward:</div> <div class="PE_People_Value">{escape(m.ward)}</div>'
        f'<img src="{council.base_url}/Portals/0/Images/Parties/p.gif" title="{escape(m.party)} (logo)"></div>'
        for m in council.councillors
    )
    blocks += "".join(
        f'<div class="PE_People_PersonBlock"><div class="NameLink">Vacancy</div>'
        f'<div class="PE_People_Label">Ward:</div> <div class="PE_People_Value">{escape(ward)}</div></div>'
        for ward in council.vacancies
    )
    content = f'<div id="dnn_ContentPane"><h1>Your councillors</h1>{blocks}</div>'
    return _page(council, f"Councillors | {escape(council.name)} (fictional demo)", content)


DIRECTORY_PAGE_SIZE = 6  # small, so that even a small demo council has several pages


def directory_pages(council: Council) -> int:
    return max(1, -(-len(council.councillors) // DIRECTORY_PAGE_SIZE))


def directory_page(council: Council, page: int) -> str:
    """One page of a council's own A-Z councillor directory, as site CMSs page them (rel=next links)."""
    start = (page - 1) * DIRECTORY_PAGE_SIZE
    cards = "".join(_card(council, m) for m in council.councillors[start : start + DIRECTORY_PAGE_SIZE])
    pager = f'<a rel="prev" href="?page={page - 1}">Previous</a>' if page > 1 else ""
    if page < directory_pages(council):
        pager += f' <a rel="next" href="?page={page + 1}">Next</a>'
    content = f"""<main id="main-content"><h1>Find a councillor</h1><p>Page {page} of {directory_pages(council)}.</p>
<ul class="councillor-list">{cards}</ul><nav class="pager">{pager}</nav></main>"""
    return _page(council, f"Find a councillor | {escape(council.name)} (fictional demo)", content)


def _card(council: Council, m: Councillor) -> str:
    social = ""
    if m.handle_in_notes:
        account = m.accounts[0]
        shown = f"@{account.handle}" if account.platform != "web" else account.url
        social = f'<p class="social">{_label(account)} - {escape(shown)}</p>'
    return (
        f'<li class="councillor-card"><img src="/sites/default/files/councillors/{m.uid}.jpg" alt="">'
        f'<h3><a href="/councillors/{m.uid}">{escape(m.title + m.name)}</a></h3>'
        f'<p class="ward">Ward: {escape(m.ward)}</p><p class="party">Party: {escape(m.party or "None")}</p>'
        f'<p><a href="mailto:{_email(council, m)}">Email {escape(m.first)}</a></p>{social}</li>'
    )


def roster_json(council: Council) -> dict:
    """A council's JSON councillor service, shaped like an ASP.NET web service (``{"d": {"results": [...]}}``)."""
    return {
        "d": {
            "results": [
                {
                    "MemberId": m.uid,
                    "FullName": m.title + m.name,
                    "WardName": m.ward,
                    "PartyName": m.party or None,
                    "Email": _email(council, m),
                    "PhotoUrl": f"/photos/{m.uid}.jpg",
                }
                for m in council.councillors
            ]
        }
    }


def _email(council: Council, m: Councillor) -> str:
    return m.email or f"{m.first.lower()}.{m.last.lower()}@{council.slug}.example"


def profile_page(council: Council, m: Councillor, container: str = "modgov") -> str:
    """A councillor's page: their details, accounts and meetings in the content area, in the site's furniture."""
    links = "".join(
        f'<li><a href="{escape(a.url)}">{escape(a.label)}</a></li>' for a in m.accounts if a.on_council_page
    )
    social = f"<h2>Social media</h2><ul>{links}</ul>" if links else ""
    details = f"""<div class="mgContent">
<h1>Councillor details - {escape(m.title + m.name)}</h1>
<p>This is a fictional councillor on a generated demo site.</p>
<h2>Ward</h2><p>{escape(m.ward)}</p>
<h2>Party</h2><p>{escape(m.party or "None")}</p>
{social}
{_appointments(council, m)}
<p><a href="/mgMemberIndex.aspx">All councillors</a></p>
</div>"""
    content = f"<main>{details}</main>" if container == "main" else f'<div id="modgov">{details}</div>'
    title = f"Councillor details - {escape(m.title + m.name)} | {escape(council.name)} (fictional demo)"
    return _page(council, title, content)


def _label(account: Account) -> str:
    return account.label


# Furniture ------------------------------------------------------------------------------------------

SECTIONS = (
    "Bins and recycling",
    "Council tax",
    "Planning and building control",
    "Housing",
    "Roads and transport",
    "Schools and learning",
    "Leisure and culture",
    "Business",
    "Your council",
)
TOPICS = (
    "Apply",
    "Pay",
    "Report a problem",
    "Find out about",
    "Check your",
    "Book",
    "Change your",
    "Get help with",
    "Comment on",
    "View",
)
COMMITTEES = (
    "Full Council",
    "Cabinet",
    "Planning Committee",
    "Licensing Committee",
    "Overview and Scrutiny Committee",
    "Audit and Governance Committee",
    "Standards Committee",
    "Health and Wellbeing Board",
    "Corporate Parenting Panel",
    "Pensions Committee",
    "Appointments Committee",
    "Area Forum (North)",
    "Area Forum (South)",
    "Employment Committee",
)
SIDEBAR = (
    ("mgListCommittees.aspx", "Committee structure"),
    ("mgCalendarMonthView.aspx", "Calendar of meetings"),
    ("mgMemberIndex.aspx", "Councillors"),
    ("mgDelegatedDecisions.aspx", "Decisions"),
    ("mgListPlans.aspx", "Forward plans"),
    ("ieDocSearch.aspx", "Search documents"),
    ("mgEPetitionListDisplay.aspx", "Petitions"),
    ("mgListOutsideBodiesByCategory.aspx", "Outside bodies"),
    ("mgManageElectionResults.aspx", "Election results"),
    ("mgParishCouncilDetails.aspx", "Parish councils"),
    ("mgMemberIndexMP.aspx", "Your MPs"),
    ("mgRegisterOfInterests.aspx", "Registers of interests"),
    ("mgWhatsNew.aspx", "What's new"),
    ("mgConsultationListDisplay.aspx", "Consultations"),
    ("ecSDDisplay.aspx", "Library"),
    ("mgAbout.aspx", "About the democratic services team"),
)
FOOTER = (
    "Accessibility statement",
    "Privacy notice",
    "Cookies",
    "Contact us",
    "Jobs",
    "Press office",
    "Modern slavery statement",
    "Terms of use",
    "Site map",
    "Complaints",
    "Freedom of information",
    "Open data",
    "Transparency",
    "Budget and spending",
    "Equality and diversity",
    "Customer charter",
    "Your councillors",
    "Elections",
    "Consultations",
    "Newsroom",
    "Volunteering",
    "Emergencies",
    "Welsh language",
    "Translate this page",
)


def _digits(*parts: object) -> int:
    """A number that is always the same for the same parts."""
    return int(hashlib.sha256("/".join(map(str, parts)).encode()).hexdigest()[:12], 16)


def _slug(text: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in text.lower()).split())


def council_accounts(council: Council) -> list[tuple[str, str]]:
    """The council's own accounts (fictional), as its footer links them: never a councillor's."""
    user = council.slug.replace("-", "_") + "_council"
    return [
        (f"https://bsky.app/profile/{council.slug}-council.example", "Bluesky"),
        (f"https://{MASTODON_SERVERS[0]}/@{user}", "Mastodon"),
        (f"https://www.youtube.com/channel/UCfictional{_digits(council.code) % 10**13:013d}", "YouTube"),
    ]


def _page(council: Council, title: str, content: str) -> str:
    """``content`` in the site's head, header, sidebar and footer."""
    return (
        f'<!DOCTYPE html>\n<html lang="en">{_head(council, title)}<body class="mgBody">\n'
        f'<a class="skip" href="#content">Skip to main content</a>\n{_header(council)}\n'
        f'<div class="page"><nav class="mgSideNav" aria-label="Democracy">{_sidebar(council)}</nav>\n'
        f'<div class="mgMain" id="content">{content}</div></div>\n{_footer(council)}\n</body></html>'
    )


def _head(council: Council, title: str) -> str:
    styles = "".join(
        f'<link rel="stylesheet" href="/SiteSpecific/{name}.css?v={_digits(council.code, name) % 10**6}">'
        for name in ("ssMgStyles", "ssWebStyles", "mgPrint", "jquery-ui", "cookie-banner", "fonts", "icons")
    )
    scripts = "".join(
        f'<script src="/jquery-ui/{name}.js?v={_digits(council.code, name) % 10**6}" defer></script>'
        for name in ("jquery-3.7.1.min", "jquery-ui.min", "mgAjaxScripts", "mgGraphScripts", "analytics", "consent")
    )
    consent = ", ".join(
        f'"{purpose}": {{"label": "{purpose.title()} cookies", "default": {str(purpose == "necessary").lower()}, '
        f'"description": "Cookies that the council uses for {purpose} purposes on this fictional demo site."}}'
        for purpose in ("necessary", "analytics", "preferences", "marketing", "video")
    )
    return (
        f'<head><meta charset="utf-8"><title>{title}</title>'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="description" content="Meetings, decisions and councillors of {escape(council.name)}.">'
        f"{styles}{scripts}<script>window.cookieConsent = {{{consent}}};</script></head>"
    )


def _header(council: Council) -> str:
    menus = "".join(
        f'<li class="menu"><a href="/{_slug(section)}">{escape(section)}</a><ul class="submenu">'
        + "".join(
            f'<li><a href="/{_slug(section)}/{_slug(topic)}">{escape(topic)} {escape(section.lower())}</a></li>'
            for topic in TOPICS
        )
        + "</ul></li>"
        for section in SECTIONS
    )
    return (
        f'<header class="site-header"><a href="/">Home</a> <a class="logo" href="/">{escape(council.name)}</a> '
        f'<a href="https://bsky.app/profile/{council.slug}-council.example">Follow {escape(council.name)} on Bluesky</a>'
        f'<form class="search" action="/search"><label>Search this site <input name="q"></label>'
        f'<button type="submit">Search</button></form><nav class="main-nav"><ul>{menus}</ul></nav></header>'
    )


def _sidebar(council: Council) -> str:
    pages = SIDEBAR if council.cms == "moderngov" else [(f"democracy/{_slug(text)}", text) for _, text in SIDEBAR]
    links = "".join(f'<li><a href="/{page}">{escape(text)}</a></li>' for page, text in pages)
    return f"<h2>Democracy</h2><ul>{links}</ul>"


def _footer(council: Council) -> str:
    accounts = "".join(
        f'<li><a href="{url}" rel="noopener">{name}: follow {escape(council.name)}</a></li>'
        for url, name in council_accounts(council)
    )
    links = "".join(f'<li><a href="/{_slug(text)}">{escape(text)}</a></li>' for text in FOOTER)
    return (
        f'<footer class="site-footer"><h2>Follow the council</h2><ul class="social">{accounts}</ul>'
        f'<ul class="links">{links}</ul><p>{escape(council.name)} is a fictional council of a generated demo; '
        f"its people are invented. Town Hall, Market Square. Open Monday to Friday, 9am to 5pm.</p>"
        f"<p>&copy; {escape(council.name)} (fictional demo)</p></footer>"
    )


def _appointments(council: Council, m: Councillor) -> str:
    """The councillor's committees, attendance and meetings: the bulk of a real profile page."""
    seed = _digits(council.code, m.uid)
    committees = [COMMITTEES[(seed + 3 * n) % len(COMMITTEES)] for n in range(4 + seed % 5)]
    roles = "".join(
        f'<li><a href="{_meeting_link(council, _digits(name) % 900 + 100, 0)}">{escape(name)}</a> '
        f"({('Chair', 'Vice-Chair', 'Member', 'Member')[(seed + n) % 4]})</li>"
        for n, name in enumerate(dict.fromkeys(committees))
    )
    attendance = "".join(
        f"<tr><th scope='row'>{escape(name)}</th><td>{6 + (seed + n) % 7}</td><td>{5 + (seed + n) % 6}</td>"
        f"<td>{(seed + n) % 3}</td></tr>"
        for n, name in enumerate(dict.fromkeys(committees))
    )
    first = date(2025, 5, 6)
    meetings = []
    for n in range(110 + seed % 100):
        name = committees[n % len(committees)]
        day = first + timedelta(days=n * 3 + seed % 3)
        meetings.append(
            f'<li><a href="{_meeting_link(council, _digits(name) % 900 + 100, 4000 + n)}">'
            f"{escape(name)}, {day:%A} {day.day} {day:%B %Y} 6.30 pm</a> "
            f'<span class="mgAttendance">{("Present", "Apologies", "Present as substitute", "Expected")[(seed + n) % 4]}</span></li>'
        )
    return (
        f'<h2>Committee appointments</h2><ul class="mgBulletList">{roles}</ul>'
        f'<h2>Attendance</h2><table class="mgStatsTable"><thead><tr><th scope="col">Committee</th>'
        f'<th scope="col">Expected</th><th scope="col">Present</th><th scope="col">Apologies</th></tr></thead>'
        f"<tbody>{attendance}</tbody></table>"
        f'<h2>Meetings</h2><ul class="mgBulletList">{"".join(meetings)}</ul>'
        f'<p><a href="/mgRegisterOfInterests.aspx?UID={m.uid}">Register of interests</a></p>'
    )


def _meeting_link(council: Council, committee: int, meeting: int) -> str:
    if council.cms == "cmis":
        return f"/Meetings/tabid/73/ctl/ViewMeetingPublic/mid/410/Meeting/{meeting}/Committee/{committee}/Default.aspx"
    if council.cms == "moderngov":
        return (
            f"/ieListDocuments.aspx?CId={committee}&amp;MId={meeting}"
            if meeting
            else f"/mgCommitteeDetails.aspx?ID={committee}"
        )
    return f"/meetings/{committee}/{meeting}"
