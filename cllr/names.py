"""Cleaning of personal names and ward names as councils write them.

Councils prefix and suffix names with titles, offices and honours ("Councillor",
"Cllr", "The Mayor. Councillor", "CouncillorMrs", "OBE", "MS"). ``clean_name`` removes
them for display and matching; the raw name is always kept beside the clean one.
Councils also label the area a councillor represents ("Ward:", "Electoral Division:",
"DEA - Lisburn North", "Ward No. 4 - Coldside"); ``area_name`` removes the label.
"""

from __future__ import annotations

import re
import unicodedata

# Offices and titles that may open a name, longest first. "Councillor"/"Cllr" may be
# glued to the next title ("CouncillorMrs"), so they need no word boundary.
_OFFICES = (
    r"the\s+lord\s+mayor\b\.?",
    r"the\s+deputy\s+mayor\b\.?",
    r"the\s+mayor\b\.?",
    r"mayor'?s\s+consort\b\.?",
    r"lord\s+mayor\b\.?",
    r"deputy\s+mayor\b\.?",
    r"deputy\s+provost\b\.?",
    r"mayor\b\.?",
    r"provost\b\.?",
    r"chair(?:man)?\s+of\s+the\s+council\b\.?",
    r"councillor",
    r"cynghorydd\b",  # Welsh: councillor
    r"cllr\.?",
    r"alderman\b\.?",
    r"bailie\b\.?",
)
_HONORIFICS = (
    r"mrs",
    r"mr",
    r"ms",
    r"miss",
    r"mx",
    r"dr",
    r"prof(?:essor)?",
    r"rev(?:d|erend)?",
    r"sir",
    r"dame",
    r"baroness",
)
_PREFIX = re.compile(
    r"^(?:" + "|".join(_OFFICES) + r"|(?:" + "|".join(_HONORIFICS) + r")\b\.?)[\s,.]*",
    re.IGNORECASE,
)
# Post-nominals: honours, offices and degrees, matched as whole upper-case words.
_POSTNOMINALS = {
    "AS",
    "BEM",
    "CBE",
    "DBE",
    "DL",
    "FRSA",
    "JP",
    "KBE",
    "KSG",
    "MBE",
    "MEP",
    "MLA",
    "MP",
    "MS",
    "MSP",
    "OBE",
    "PHD",
    "QPM",
    "RN",
}
_SUFFIX = re.compile(r"[\s,]+([A-Za-z]{2,4})\.?$")
_VACANT = re.compile(r"^\s*(vacant|vacancy)\b", re.IGNORECASE)
_CONTROL = re.compile(r"[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def tidy(text: str | None) -> str:
    """NFC-normalise, drop control and bidi characters, and collapse whitespace."""
    if not text:
        return ""
    text = _CONTROL.sub(" ", unicodedata.normalize("NFC", text))
    return " ".join(text.split())


def clean_name(raw: str) -> str:
    """Return a person's name without the titles, offices and honours around it.

    >>> clean_name("The Mayor. Councillor Sandra Hambleton")
    'Sandra Hambleton'
    >>> clean_name("Derek Davis, OBE")
    'Derek Davis'
    """
    name = tidy(raw)
    while True:
        stripped = _PREFIX.sub("", name, count=1).strip()
        if stripped == name or not stripped:
            break
        name = stripped
    while True:
        match = _SUFFIX.search(name)
        token = match.group(1) if match else ""
        if token.upper() not in _POSTNOMINALS or not (token.isupper() or token == "PhD"):
            break
        name = name[: match.start()].rstrip(" ,")
    return name


def is_vacancy(raw: str) -> bool:
    """True for placeholder entries such as "Vacant seat"."""
    return bool(_VACANT.match(raw or ""))


# Labels councils write before the name of the area a councillor represents: a ward, an
# (electoral) division (English counties, Welsh "adran etholiadol"), a Northern Irish
# district electoral area, a constituency (Hull's CMIS; Welsh "etholaeth"), a Scottish
# multi-member ward. Backtracking tries the longer forms when a shorter one fails.
_AREA_LABELS = (
    r"district\s+electoral\s+area",
    r"dea",
    r"(?:county\s+)?(?:electoral\s+)?division",
    r"(?:multi[-\s]?member\s+|electoral\s+)?ward(?:\s+etholiadol)?",
    r"adran(?:\s+etholiadol)?",
    r"constituency",
    r"etholaeth",
)
# A label, then what makes it one: a ward number ("Ward No. 4 - ", "Ward 4 "), a colon,
# a dash between spaces ("DEA - "), or nothing else at all (a label in its own element).
# A label word followed by a space and a name is not a label: "Ward End" is a ward.
_AREA_LABEL = re.compile(
    r"^(?:" + "|".join(_AREA_LABELS) + r")"
    r"(?:\s+(?:no\b\.?|number\b)?\s*\d+[a-z]?\b\s*[:.\-\u2013\u2014]?|\s*:|\s+[-\u2013\u2014](?=\s|$)|\s*$)\s*",
    re.IGNORECASE,
)


def split_area_label(text: str | None) -> str | None:
    """The text after a ward, division or DEA label ("" for a bare label), or None when unlabelled.

    Labels stacked on each other ("Ward: Ward 4 - Coldside") are all removed.

    >>> split_area_label("DEA - Lisburn North")
    'Lisburn North'
    >>> split_area_label("Division")
    ''
    >>> split_area_label("Ward End") is None
    True
    """
    rest = tidy(text)
    match = _AREA_LABEL.match(rest)
    if match is None:
        return None
    rest = rest[match.end() :]
    while (match := _AREA_LABEL.match(rest)) and rest[match.end() :]:
        rest = rest[match.end() :]
    return rest


def area_name(text: str | None) -> str:
    """A ward, division or DEA name without the label before it; the text itself when it is only a label.

    Only the label goes: a trailing " Ward", " Division" or " (DEA)" stays part of the
    name as the council wrote it, and ``ward_key`` disregards it when matching.

    >>> area_name("Ward No. 4 - Coldside")
    'Coldside'
    >>> area_name("Electoral Division: Lower Vale")
    'Lower Vale'
    """
    return split_area_label(text) or tidy(text)


def ward_key(name: str) -> str:
    """A matching key for a ward name that survives punctuation and spelling variants.

    >>> ward_key("Whitchurch & Tongwynlais")
    'whitchurch and tongwynlais'
    """
    text = unicodedata.normalize("NFKD", tidy(name)).encode("ascii", "ignore").decode()
    text = text.lower().replace("&", " and ").replace("'", "").replace("\u2019", "")
    text = re.sub(r"\bsaint\b", "st", text)
    text = re.sub(r"\s*\((shared|ward|division|dea)\)\s*$", "", text)
    words = re.sub(r"[^a-z0-9]+", " ", text).split()
    while words and words[-1] in ("ward", "division"):  # every trailing one ("Ward:" too), so a key keys to itself
        words.pop()
    return " ".join(words)


def slugify(text: str) -> str:
    """ASCII, lower-case, hyphenated: for file names and URLs."""
    text = unicodedata.normalize("NFKD", tidy(text)).encode("ascii", "ignore").decode()
    return "-".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split()) or "x"
