"""The JSON family: a council's roster from a JSON web service, read with configured paths.

Some councils' sites answer with JSON: an ASMX web service (``{"d": {"results": [...]}}``),
a CMS directory component, a headless CMS. A council's configuration row names a dotted
path to the list of councillors (``records``; "" when the document is the list) and
dotted paths within each record to the id, name, ward and other fields. Path parts that
are digits index lists (``"data.0.members"``). Values may be strings, numbers or null;
HTML in them is reduced to its text. Only the configured fields are read. Parsing is a
pure function of the bytes.
"""

from __future__ import annotations

import html
import json
import math
import string
from dataclasses import dataclass
from urllib.parse import quote

from bs4 import BeautifulSoup

from cllr.names import clean_name, is_vacancy, tidy

from .html import config_values, email_address, photo_url, set_fields, web_url
from .records import Roster, ScrapedCouncillor, SourceError

_MISSING = object()
_JSON_TYPES = {dict: "object", list: "array", str: "string", int: "number", float: "number", bool: "boolean"}


def _json_type(value) -> str:
    return "null" if value is None else _JSON_TYPES.get(type(value), type(value).__name__)


def _check_path(key: str, path: str, *, may_be_empty: bool = False) -> None:
    if path == "" and may_be_empty:
        return
    if not path.strip():
        raise ValueError(f"json config: {key!r} is empty")
    if any(not part.strip() for part in path.split(".")):
        raise ValueError(f"json config: {key!r} has an empty part in path {path!r}")


def _check_template(template: str) -> None:
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise ValueError(f"json config: 'profile_template' is not a valid template ({template!r}): {exc}") from None
    names = [(name, spec, conversion) for _, name, spec, conversion in parsed if name is not None]
    if not names or any(entry != ("id", "", None) for entry in names):
        raise ValueError(f"json config: 'profile_template' may use only '{{id}}' and must use it ({template!r})")


@dataclass(frozen=True)
class JsonConfig:
    """How to read one council's JSON roster. Construct with :meth:`from_mapping`."""

    records: str  # dotted path to the list of councillors; "" when the document is the list
    id: str  # dotted path within a record
    name: str
    ward: str
    party: str | None = None
    email: str | None = None
    profile: str | None = None  # path to a profile URL
    profile_template: str | None = None  # e.g. "https://x.example/councillor/{id}"
    photo: str | None = None
    first_name: str | None = None  # used, with last_name, when the name's path gives nothing
    last_name: str | None = None

    def __post_init__(self) -> None:
        for name, value in set_fields(self, "json"):
            if name == "profile_template":
                _check_template(value)
            else:
                _check_path(name, value, may_be_empty=name == "records")
        if (self.first_name is None) != (self.last_name is None):
            raise ValueError("json config: 'first_name' and 'last_name' must be given together")

    @classmethod
    def from_mapping(cls, mapping: dict) -> JsonConfig:
        """Validate a council's configuration row. Raises ``ValueError`` on bad configuration."""
        return cls(**config_values(cls, mapping, "json"))


def _get(node, path: str):
    """The value at a dotted path, or ``_MISSING``."""
    if path == "":
        return node
    for part in path.split("."):
        if isinstance(node, dict):
            node = node.get(part, _MISSING)
        elif isinstance(node, list) and part.isdigit() and part.isascii():
            index = int(part)
            node = node[index] if index < len(node) else _MISSING
        else:
            return _MISSING
        if node is _MISSING:
            return _MISSING
    return node


def _text(value, index: int, path: str, *, markup: bool = True) -> str:
    """A field's value as tidy text: numbers as digits, HTML as its text (if ``markup``), null as ""."""
    if value is None or value is _MISSING or isinstance(value, bool):
        return ""
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return ""
        return str(int(value)) if value.is_integer() else str(value)
    if isinstance(value, str):
        if not markup:
            return tidy(value)
        if "<" in value:
            return tidy(BeautifulSoup(value, "html.parser").get_text(" "))
        return tidy(html.unescape(value) if "&" in value else value)
    if isinstance(value, list):  # e.g. a multi-select field: ["Independent", "Residents"]
        if any(isinstance(item, (list, dict)) for item in value):
            raise SourceError(f"record {index}: {path!r} holds arrays or objects, not values")
        parts = [_text(item, index, path, markup=markup) for item in value]
        return ", ".join(part for part in parts if part)
    raise SourceError(f"record {index}: {path!r} is an {_json_type(value)}, not a value")


def parse_json_roster(content: bytes, url: str, config: JsonConfig) -> Roster:
    """Parse a JSON roster with ``config``.

    Raises :class:`SourceError` when the bytes are not the document the configuration
    describes (not JSON, no list at ``records``, a record that is not an object or lacks
    an id, name or ward). An empty list parses to a roster with no councillors; judging
    whether that is plausible is the caller's job. Vacancies and repeated ids are dropped.
    """
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceError(f"not UTF-8: {exc.reason} at byte {exc.start}") from None
    try:
        document = json.loads(text)
    except RecursionError:
        raise SourceError("not JSON: nested too deeply") from None
    except ValueError as exc:  # JSONDecodeError, or an integer too long to convert
        raise SourceError(f"not JSON: {tidy(str(exc))[:200]}") from None
    records = _get(document, config.records)
    if not isinstance(records, list):
        where = f"at {config.records!r}" if config.records else "at the top level"
        found = "nothing" if records is _MISSING else _json_type(records)
        raise SourceError(f"no list {where} (found {found})")
    councillors: list[ScrapedCouncillor] = []
    seen: set[str] = set()
    for index, record in enumerate(records):
        if not isinstance(record, dict):
            raise SourceError(f"record {index} is not an object (found {_json_type(record)})")
        councillor = _councillor(record, index, url, config)
        if councillor is not None and councillor.source_id not in seen:
            seen.add(councillor.source_id)
            councillors.append(councillor)
    return Roster(councillors=councillors, wards=sorted({c.ward for c in councillors}))


def _councillor(record: dict, index: int, url: str, config: JsonConfig) -> ScrapedCouncillor | None:
    def field(path: str | None, *, markup: bool = True) -> str:
        return _text(_get(record, path), index, path, markup=markup) if path else ""

    raw_name = field(config.name)
    if not raw_name and config.first_name:
        raw_name = tidy(f"{field(config.first_name)} {field(config.last_name)}")
    if is_vacancy(raw_name):
        return None
    if not raw_name:
        raise SourceError(f"record {index} has no name at {config.name!r}")
    source_id = field(config.id)
    if not source_id:
        raise SourceError(f"record {index} ({raw_name!r}) has no id at {config.id!r}")
    ward = field(config.ward)
    if not ward:
        raise SourceError(f"record {index} ({raw_name!r}) has no ward at {config.ward!r}")
    profile = web_url(field(config.profile, markup=False), url)
    if profile is None and config.profile_template:
        profile = web_url(config.profile_template.format(id=quote(source_id, safe="")), url)
    return ScrapedCouncillor(
        source_id=source_id,
        name=clean_name(raw_name),
        raw_name=raw_name,
        ward=ward,
        party=field(config.party),
        email=email_address(field(config.email)),
        profile_url=profile,
        photo_url=photo_url(field(config.photo, markup=False), url),
    )
