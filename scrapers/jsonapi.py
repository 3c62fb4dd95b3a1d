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
from dataclasses import dataclass, replace
from urllib.parse import quote

from bs4 import BeautifulSoup

from cllr.names import clean_name, is_vacancy, tidy

from .fields import Field, config_values, missing, read_field
from .html import email_address, photo_url, web_url
from .records import Roster, ScrapedCouncillor, SourceError, Vacancy

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


def _check_template(key: str, template: str) -> None:
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise ValueError(f"json config: {key!r} is not a valid template ({template!r}): {exc}") from None
    names = [(name, spec, conversion) for _, name, spec, conversion in parsed if name is not None]
    if not names or any(entry != ("id", "", None) for entry in names):
        raise ValueError(f"json config: {key!r} may use only '{{id}}' and must use it ({template!r})")


def _as_field(key: str, value) -> Field | None:
    if value is None:
        return None
    field = value if isinstance(value, Field) else read_field("json", key, value)
    _check_path(key, field.place)
    return field


FIELD_KEYS = ("id", "name", "ward", "party", "email", "profile", "photo", "first_name", "last_name")
DETAIL_KEYS = ("name", "ward", "party", "email", "photo", "first_name", "last_name")


@dataclass(frozen=True)
class JsonConfig:
    """How to read one council's JSON roster. Construct with :meth:`from_mapping`.

    Fields are :class:`~scrapers.fields.Field`: a dotted path and the transforms of its
    text. With ``detail_template``, one more request per councillor (the template with its
    id) gives the ``detail`` fields, read at ``detail_record`` in that document.
    """

    records: str  # dotted path to the list of councillors; "" when the document is the list
    id: Field  # dotted path within a record
    name: Field | None = None  # required unless the detail request gives it
    ward: Field | None = None  # likewise
    party: Field | None = None
    email: Field | None = None
    profile: Field | None = None  # path to a profile URL
    profile_template: str | None = None  # e.g. "https://x.example/councillor/{id}"
    photo: Field | None = None
    first_name: Field | None = None  # used, with last_name, when the name's path gives nothing
    last_name: Field | None = None
    detail_template: str | None = None  # one request per councillor: "https://x.example/api/member?ref={id}"
    detail_record: str = ""  # dotted path to the councillor in that document ("" when it is the document)
    detail: dict | None = None  # field name → Field, read from the detail document

    def __post_init__(self) -> None:
        for key in FIELD_KEYS:
            object.__setattr__(self, key, _as_field(key, getattr(self, key)))
        for key in ("records", "profile_template", "detail_template", "detail_record"):
            value = getattr(self, key)
            if value is not None and not isinstance(value, str):
                raise ValueError(f"json config: {key!r} must be a string, not {type(value).__name__}")
        _check_path("records", self.records, may_be_empty=True)
        _check_path("detail_record", self.detail_record, may_be_empty=True)
        for key in ("profile_template", "detail_template"):
            if getattr(self, key) is not None:
                _check_template(key, getattr(self, key))
        object.__setattr__(self, "detail", self._detail())
        detail = self.detail or {}
        if detail and self.detail_template is None:
            raise ValueError("json config: 'detail' needs 'detail_template', the request for each councillor")
        if self.detail_template is not None and not detail:
            raise ValueError("json config: 'detail_template' needs 'detail', the fields read from it")
        named = self.name is not None or self.first_name is not None or "name" in detail or "first_name" in detail
        needed = [k for k, ok in (("name", named), ("ward", self.ward is not None or "ward" in detail)) if not ok]
        if needed:
            raise missing("json", needed)
        for where in ({"first_name": self.first_name, "last_name": self.last_name}, detail):
            if ("first_name" in where and where["first_name"] is not None) != (
                "last_name" in where and where["last_name"] is not None
            ):
                raise ValueError("json config: 'first_name' and 'last_name' must be given together")

    def _detail(self) -> dict | None:
        if self.detail is None:
            return None
        if not isinstance(self.detail, dict) or not self.detail:
            raise ValueError("json config: 'detail' must be a mapping of fields read from each councillor's document")
        unknown = sorted(str(k) for k in self.detail if k not in DETAIL_KEYS)
        if unknown:
            raise ValueError(f"json config: 'detail' has unknown key(s) {', '.join(repr(k) for k in unknown)}")
        return {key: _as_field(f"detail.{key}", value) for key, value in self.detail.items() if value is not None}

    @classmethod
    def from_mapping(cls, mapping: dict) -> JsonConfig:
        """Validate a council's configuration row. Raises ``ValueError`` on bad configuration."""
        values = config_values(cls, mapping, "json", field_keys=FIELD_KEYS, mappings=("detail",))
        detail = values.get("detail") or {}
        needed = [k for k in ("records", "id") if k not in values]
        needed += [k for k in ("name", "ward") if k not in values and k not in detail]
        if "name" in needed and ("first_name" in values or "first_name" in detail):
            needed.remove("name")
        if needed:
            raise missing("json", needed)
        return cls(**values)


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


def _document(content: bytes):
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceError(f"not UTF-8: {exc.reason} at byte {exc.start}") from None
    try:
        return json.loads(text)
    except RecursionError:
        raise SourceError("not JSON: nested too deeply") from None
    except ValueError as exc:  # JSONDecodeError, or an integer too long to convert
        raise SourceError(f"not JSON: {tidy(str(exc))[:200]}") from None


def parse_json_roster(content: bytes, url: str, config: JsonConfig) -> Roster:
    """Parse a JSON roster with ``config``.

    Raises :class:`SourceError` when the bytes are not the document the configuration
    describes (not JSON, no list at ``records``, a record that is not an object or lacks
    an id, name or ward). An empty list parses to a roster with no councillors; judging
    whether that is plausible is the caller's job. Vacancies and repeated ids are dropped.
    With ``detail`` configured, a name or ward the detail documents give is not yet
    required here (:func:`parse_detail_record`).
    """
    records = _get(_document(content), config.records)
    if not isinstance(records, list):
        where = f"at {config.records!r}" if config.records else "at the top level"
        found = "nothing" if records is _MISSING else _json_type(records)
        raise SourceError(f"no list {where} (found {found})")
    councillors: list[ScrapedCouncillor] = []
    vacancies: list[str] = []
    seen: set[str] = set()
    for index, record in enumerate(records):
        if not isinstance(record, dict):
            raise SourceError(f"record {index} is not an object (found {_json_type(record)})")
        councillor = _councillor(record, index, url, config)
        if isinstance(councillor, Vacancy):
            vacancies.append(councillor.ward)
        elif councillor is not None and councillor.source_id not in seen:
            seen.add(councillor.source_id)
            councillors.append(councillor)
    wards = sorted({c.ward for c in councillors if c.ward} | {w for w in vacancies if w})
    return Roster(councillors=councillors, wards=wards, vacancies=vacancies)


def _reader(record: dict, index: int):
    def field(spec: Field | None, *, markup: bool = True) -> str:
        return spec.value(_text(_get(record, spec.place), index, spec.place, markup=markup)) if spec else ""

    return field


def _name(field, name: Field | None, first: Field | None, last: Field | None) -> str:
    raw_name = field(name)
    if not raw_name and first is not None:
        raw_name = tidy(f"{field(first)} {field(last)}")
    return raw_name


def _councillor(record: dict, index: int, url: str, config: JsonConfig) -> ScrapedCouncillor | Vacancy | None:
    field = _reader(record, index)
    detail = config.detail or {}
    raw_name = _name(field, config.name, config.first_name, config.last_name)
    if raw_name and is_vacancy(raw_name):
        return Vacancy(field(config.ward))
    source_id = field(config.id)
    if not raw_name and not ("name" in detail or "first_name" in detail):
        raise SourceError(f"record {index} has no name at {config.name.place if config.name else 'first_name'!r}")
    if not source_id:
        raise SourceError(f"record {index} ({raw_name or 'unnamed'!r}) has no id at {config.id.place!r}")
    ward = field(config.ward)
    if not ward and "ward" not in detail:
        raise SourceError(f"record {index} ({raw_name!r}) has no ward at {config.ward.place!r}")
    profile = web_url(field(config.profile, markup=False), url)
    if profile is None and config.profile_template:
        profile = web_url(config.profile_template.format(id=quote(source_id, safe="")), url)
    return ScrapedCouncillor(
        source_id=source_id,
        name=clean_name(raw_name) if raw_name else "",
        raw_name=raw_name,
        ward=ward,
        party=field(config.party),
        email=email_address(field(config.email)),
        profile_url=profile,
        photo_url=photo_url(field(config.photo, markup=False), url),
    )


def detail_url(config: JsonConfig, councillor: ScrapedCouncillor, roster_url: str) -> str | None:
    """The request for one councillor's detail document: ``detail_template`` with their id."""
    if config.detail_template is None:
        return None
    return web_url(config.detail_template.format(id=quote(councillor.source_id, safe="")), roster_url)


def parse_detail_record(content: bytes, url: str, config: JsonConfig, councillor: ScrapedCouncillor):
    """``councillor`` completed from their detail document; None for a vacancy. Raises :class:`SourceError`
    when the document is not the one configured, or the councillor is still without a name or ward."""
    record = _get(_document(content), config.detail_record)
    if not isinstance(record, dict):
        where = f"at {config.detail_record!r}" if config.detail_record else "at the top level"
        raise SourceError(f"{councillor.source_id}: no object {where} of the detail document")
    field = _reader(record, 0)
    detail = config.detail or {}
    changes: dict = {}
    raw_name = _name(field, detail.get("name"), detail.get("first_name"), detail.get("last_name"))
    if raw_name:
        if is_vacancy(raw_name):
            return None
        changes |= {"name": clean_name(raw_name), "raw_name": raw_name}
    for key, attribute in (("ward", "ward"), ("party", "party")):
        if value := field(detail.get(key)):
            changes[attribute] = value
    if email := email_address(field(detail.get("email"))):
        changes["email"] = email
    if photo := photo_url(field(detail.get("photo"), markup=False), url):
        changes["photo_url"] = photo
    completed = replace(councillor, **changes)
    if not completed.name:
        raise SourceError(f"{councillor.source_id}: the detail document has no name")
    if not completed.ward:
        raise SourceError(f"{completed.raw_name!r}: the detail document has no ward")
    return completed
