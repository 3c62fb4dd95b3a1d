"""How councils label the area a councillor represents, one row per variant, for CMIS and ModernGov.

The snippets here are written by us to the published structure of each page kind (CMIS
person blocks, the ModernGov ``GetCouncillorsByWard`` XML, the ModernGov member index);
they are not copies of any council's page and every person and place in them is made up
or a public ward name. The label forms are the ones real councils use: "Ward:", "Division:"
and "Electoral Division:" (English counties; Essex on CMIS), "Constituency:" (Hull on
CMIS), "DEA:" / "District Electoral Area:" / "DEA - Lisburn North" (Northern Ireland
elects by district electoral area), "Multi-member Ward:" and "Ward No. 4 - Coldside"
(Scotland), Welsh "Adran Etholiadol:" (electoral division), "Ward Etholiadol:" and
"Etholaeth:" (constituency) on the Welsh-language ModernGov endpoint. Each row fails
when its label is left in the ward name or the ward is not found.
"""

from __future__ import annotations

import pytest

from cllr.names import area_name, split_area_label, ward_key
from scrapers.cmis import parse_person_blocks
from scrapers.moderngov import parse_councillors_by_ward, parse_member_index
from scrapers.records import SourceError

# A labelled area as councils write it in one piece of text, and the ward it names.
LABELLED = [
    ("Ward: Castle Hill", "Castle Hill"),
    ("ward: Castle Hill", "Castle Hill"),
    ("WARD:Castle Hill", "Castle Hill"),
    ("Ward : Castle Hill", "Castle Hill"),
    ("Division: Upper Vale & Moor", "Upper Vale & Moor"),
    ("Electoral Division: Upper Vale & Moor", "Upper Vale & Moor"),
    ("County Division: Upper Vale & Moor", "Upper Vale & Moor"),
    ("Constituency: Avenue", "Avenue"),
    ("Electoral Ward: Castle Hill", "Castle Hill"),
    ("Multi-member Ward: Dunoon", "Dunoon"),
    ("Multi Member Ward - Dunoon", "Dunoon"),
    ("DEA: Lisburn North", "Lisburn North"),
    ("DEA - Lisburn North", "Lisburn North"),
    ("DEA \u2013 Lisburn North", "Lisburn North"),
    ("District Electoral Area: Lisburn North", "Lisburn North"),
    ("Ward No. 4 - Coldside", "Coldside"),
    ("Ward 4 - Coldside", "Coldside"),
    ("Ward No 4: Coldside", "Coldside"),
    ("Ward 12 \u2013 Coldside", "Coldside"),
    ("Ward: Ward 4 - Coldside", "Coldside"),
    ("Adran Etholiadol: Llandaf", "Llandaf"),
    ("Ward Etholiadol: Llandaf", "Llandaf"),
    ("Etholaeth: De Caerdydd a Phenarth", "De Caerdydd a Phenarth"),
]
# Names that open or end with a label word but carry no label: they stay whole. A trailing
# " Ward" or " (DEA)" is part of the name as written; ward_key disregards it when matching.
UNLABELLED = [
    "Ward End",
    "Wardle & McLaren",
    "Division Street",
    "Deal Castle",
    "Abbey Ward",
    "Lisburn North (DEA)",
    "Cannock Chase - Brereton and Ravenhill",
    "Ysgol Fawr",
]


def ids(rows):
    return [row[0] if isinstance(row, tuple) else row for row in rows]


# CMIS person blocks ----------------------------------------------------------------

CMIS_URL = "https://cmis.fictional.example/cmis5/Councillors.aspx"


def cmis_block(ward_html: str, uid: int = 501, name: str = "Councillor Tamsin Orchardleigh") -> str:
    return (
        f'<div class="PE_People_PersonBlock"><a href="/cmis5/People/id/{uid}/Default.aspx">'
        f'<img src="/p/{uid}.jpg"></a><div class="NameLink">{name}</div>{ward_html}'
        '<img src="/parties/lab.gif" title="Labour (logo)"></div>'
    )


def cmis_ward(ward_html: str) -> str:
    page = f"<html><body><div>{cmis_block(ward_html)}</div></body></html>".encode()
    (councillor,) = parse_person_blocks(page, CMIS_URL).councillors
    assert (councillor.source_id, councillor.name, councillor.party) == ("501", "Tamsin Orchardleigh", "Labour")
    return councillor.ward


@pytest.mark.parametrize(("text", "ward"), LABELLED, ids=ids(LABELLED))
def test_cmis_label_and_ward_in_one_text(text, ward):
    assert cmis_ward(f"<span>{text}</span>") == ward


# The label in an element of its own, the ward in the next text of the block.
CMIS_SPLIT = [
    (
        "label-div-colon",
        '<div class="PE_People_Label">Ward:</div> <div class="PE_People_Value">Castle Hill</div>',
        "Castle Hill",
    ),
    ("span-no-colon-division", '<span class="Label">Division</span><span>Upper Vale</span>', "Upper Vale"),
    ("span-colon-division-essex", '<span class="Label">Division:</span><span>Upper Vale</span>', "Upper Vale"),
    ("electoral-division-no-colon", "<span>Electoral Division</span><span>Upper Vale</span>", "Upper Vale"),
    ("strong-constituency-hull", "<p><strong>Constituency:</strong><br>Avenue</p>", "Avenue"),
    ("dea-no-colon", '<div class="PE_People_Label">DEA</div><div>Lisburn North</div>', "Lisburn North"),
    ("dea-lower-case", "<span>dea:</span><span>Lisburn North</span>", "Lisburn North"),
    (
        "district-electoral-area-table",
        "<table><tr><td>District Electoral Area</td><td>Lisburn North</td></tr></table>",
        "Lisburn North",
    ),
    ("multi-member-ward-lower-case", "<span>multi-member ward</span>\n<span>Dunoon</span>", "Dunoon"),
    ("electoral-ward-upper-case", "<span>ELECTORAL WARD:</span><span>Castle Hill</span>", "Castle Hill"),
    ("numbered-ward-in-value", "<span>Ward:</span><span>Ward No. 4 - Coldside</span>", "Coldside"),
    ("adran-etholiadol", "<span>Adran Etholiadol</span><span>Llandaf</span>", "Llandaf"),
    ("nbsp-after-label", "<span>Ward:&nbsp;</span><span>Castle&nbsp;Hill</span>", "Castle Hill"),
    ("comment-after-label", "<span>Ward:</span><!-- member's ward --><span>Castle Hill</span>", "Castle Hill"),
]


@pytest.mark.parametrize(("html", "ward"), [row[1:] for row in CMIS_SPLIT], ids=ids(CMIS_SPLIT))
def test_cmis_label_in_its_own_element(html, ward):
    assert cmis_ward(html) == ward


@pytest.mark.parametrize("name", UNLABELLED)
def test_cmis_names_that_look_like_labels_stay_whole(name):
    assert cmis_ward(f"<span>Ward:</span><span>{name}</span>") == name
    assert cmis_ward(f"<span>Ward: {name}</span>") == name


def test_cmis_a_label_with_nothing_after_it_does_not_read_the_next_block():
    page = (cmis_block("<span>Ward:</span>", 601) + cmis_block("<span>Ward: Castle Hill</span>", 602)).encode()
    with pytest.raises(SourceError, match="no ward"):
        parse_person_blocks(page, CMIS_URL)


@pytest.mark.parametrize(
    "party_html",
    ['<img src="/l.gif" title="Green Party (logo)">', '<img src="/l.gif" alt="Green Party (logo)">'],
    ids=["title", "alt-only"],  # Sunderland and East Suffolk give the party in alt
)
def test_cmis_party_from_the_last_image_title_or_alt(party_html):
    page = (
        '<div class="PE_People_PersonBlock"><a href="/id/7/"><img src="/p/7.jpg"></a>'
        f'<div class="NameLink">Bo Larchglen</div><span>DEA</span><span>Lisburn North</span>{party_html}</div>'
    ).encode()
    (councillor,) = parse_person_blocks(page, CMIS_URL).councillors
    assert (councillor.ward, councillor.party) == ("Lisburn North", "Green Party")


@pytest.mark.parametrize("label", ["DEA:", "Division", "Ward No. 4 -", "Constituency:"])
def test_cmis_vacancies_under_any_label_are_dropped(label):
    page = (
        cmis_block(f"<span>{label}</span><span>Coldside</span>", 701, "Vacancy")
        + cmis_block(f"<span>{label}</span><span>Coldside</span>", 702)
    ).encode()
    roster = parse_person_blocks(page, CMIS_URL)
    assert [(c.source_id, c.ward) for c in roster.councillors] == [("702", "Coldside")]


# ModernGov GetCouncillorsByWard XML ------------------------------------------------


def roster_xml(wardtitle: str, *, name: str = "Councillor Tamsin Orchardleigh", district: str = "") -> bytes:
    return (
        "<?xml version='1.0' encoding='utf-8'?><councillorsbyward><wards><ward>"
        f"<wardtitle>{wardtitle}</wardtitle><councillors><councillor><councillorid>42</councillorid>"
        f"<fullusername>{name}</fullusername><politicalpartytitle>Labour</politicalpartytitle>"
        f"<districttitle>{district}</districttitle></councillor></councillors></ward></wards></councillorsbyward>"
    ).encode()


def xml_ward(wardtitle: str, **kwargs) -> tuple[str, list[str]]:
    roster = parse_councillors_by_ward(roster_xml(wardtitle.replace("&", "&amp;"), **kwargs))
    (councillor,) = roster.councillors
    return councillor.ward, roster.wards


@pytest.mark.parametrize(("wardtitle", "ward"), LABELLED, ids=ids(LABELLED))
def test_moderngov_wardtitle_labels(wardtitle, ward):
    assert xml_ward(wardtitle) == (ward, [ward])


@pytest.mark.parametrize("wardtitle", [*UNLABELLED, "No Ward"])
def test_moderngov_wardtitles_without_labels_stay_whole(wardtitle):
    assert xml_ward(wardtitle) == (wardtitle, [wardtitle])


def test_moderngov_districttitle_is_not_the_ward():
    # districttitle holds the district of the member's own address in most councils.
    assert xml_ward("DEA: Lisburn North", district="Hillsborough") == ("Lisburn North", ["Lisburn North"])


@pytest.mark.parametrize("wardtitle", ["DEA: Lisburn North", "Ward No. 4 - Coldside", "Adran Etholiadol: Llandaf"])
def test_moderngov_vacancies_under_labelled_wards_are_dropped(wardtitle):
    roster = parse_councillors_by_ward(roster_xml(wardtitle, name="Vacant seat"))
    assert roster.councillors == [] and roster.wards == [area_name(wardtitle)]


# ModernGov member index (mgMemberIndex.aspx) ----------------------------------------

INDEX_URL = "https://democracy.fictional-vale.example/mgMemberIndex.aspx?FN=WARD&VW=LIST&PIC=0"


def member_index(body: str) -> bytes:
    return f'<html><body><div class="mgContent"><h1>Councillors</h1>{body}</div></body></html>'.encode()


def item(*paragraphs: str, uid: int = 1201, name: str = "Councillor Marrow Quillthwaite") -> str:
    rest = "".join(f"<p>{p}</p>" for p in paragraphs)
    return f'<li><p><a href="mgUserInfo.aspx?UID={uid}">{name}</a></p>{rest}</li>'


def index_row(page: bytes) -> tuple[str, str, list[str]]:
    roster = parse_member_index(page, INDEX_URL)
    (councillor,) = roster.councillors
    assert (councillor.source_id, councillor.name) == ("1201", "Marrow Quillthwaite")
    return councillor.ward, councillor.party, roster.wards


@pytest.mark.parametrize(("heading", "ward"), LABELLED, ids=ids(LABELLED))
def test_member_index_labelled_ward_headings(heading, ward):
    page = member_index(f'<h2 class="mgSectionTitle">{heading}</h2><ul>{item("Labour", heading)}</ul>')
    assert index_row(page) == (ward, "Labour", [ward])


@pytest.mark.parametrize(("line", "ward"), LABELLED, ids=ids(LABELLED))
def test_member_index_labelled_ward_lines_in_the_item(line, ward):
    # No ward heading: the item's labelled line names the ward; it is never the party.
    page = member_index(f"<ul>{item(line, 'Labour')}</ul>")
    assert index_row(page) == (ward, "Labour", [ward])


@pytest.mark.parametrize(
    "line", ["Ward: Castle Hill", "Division: Castle Hill", "DEA - Castle Hill", "Castle Hill Ward"]
)
def test_member_index_ward_line_before_the_party_is_not_the_party(line):
    page = member_index(f'<h2 class="mgSectionTitle">Castle Hill</h2><ul>{item(line, "Liberal Democrats")}</ul>')
    assert index_row(page) == ("Castle Hill", "Liberal Democrats", ["Castle Hill"])


@pytest.mark.parametrize("name", UNLABELLED)
def test_member_index_headings_without_labels_stay_whole(name):
    page = member_index(f'<h2 class="mgSectionTitle">{name}</h2><ul>{item("Labour")}</ul>')
    assert index_row(page) == (name, "Labour", [name])


def test_member_index_item_with_an_unlabelled_line_and_no_heading_is_still_not_by_ward():
    page = member_index(f"<ul>{item('Labour', 'Castle Hill')}</ul>")
    with pytest.raises(SourceError, match="under no ward heading"):
        parse_member_index(page, INDEX_URL)


@pytest.mark.parametrize("heading", ["DEA: Lisburn North", "Ward No. 4 - Coldside", "Electoral Division: Upper Vale"])
def test_member_index_vacancies_under_labelled_wards_are_dropped(heading):
    page = member_index(
        f'<h2 class="mgSectionTitle">{heading}</h2><ul>{item("Labour", uid=1201)}'
        f"{item(heading, uid=1450, name='Vacancy')}</ul>"
    )
    roster = parse_member_index(page, INDEX_URL)
    assert [c.source_id for c in roster.councillors] == ["1201"]
    assert roster.wards == [area_name(heading)]


# The shared label logic (cllr.names) ----------------------------------------------


@pytest.mark.parametrize(
    "text", ["Ward", "Ward:", "division", "DEA", "District Electoral Area:", "Ward 4", "Ward No. 4 -"]
)
def test_a_bare_label_is_recognised_and_kept_as_a_name(text):
    assert split_area_label(text) == ""
    assert area_name(text) == text


@pytest.mark.parametrize(("a", "b"), [("Lisburn North (DEA)", "Lisburn North"), ("Abbey Ward", "Abbey")])
def test_trailing_area_words_are_left_to_ward_key(a, b):
    assert area_name(a) == a
    assert ward_key(a) == ward_key(b)
