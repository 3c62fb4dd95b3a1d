"""Fields of a council's configuration: where a value is (a selector or a path) and how its text is
turned into the value (a pattern, a split, a reordered name, a default).

A field is written in ``council_scrapers.yaml`` either as a string, the place alone::

    ward: ".ward"

or as a mapping, the place under ``from`` and the transforms applied to its text, in this
order (docs/councils.md)::

    ward:
      from: "h1"
      pattern: "^Ward \\d+ - (.+?) - "  # the first group (or the whole match) of a regex
      split: " - "                     # split on a separator ...
      part: 1                          # ... and keep this part (0 first, -1 last)
      last_first: true                 # "Smith, Jane" → "Jane Smith"
      default: "Independent"           # when the source gives nothing

A transform that finds nothing (a pattern that does not match, a part that is not there)
gives "", so a changed page reads as a missing value, never as a wrong one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields

from cllr.names import tidy

TRANSFORMS = ("pattern", "split", "part", "last_first", "default")


@dataclass(frozen=True)
class Field:
    """Where a value is (``place``: a selector field spec or a dotted path) and how its text becomes the value."""

    place: str
    pattern: re.Pattern | None = None
    split: str | None = None
    part: int | None = None
    last_first: bool = False
    default: str | None = None

    def value(self, text: str) -> str:
        """``text`` through the transforms: pattern, split and part, reordering, then the default."""
        text = tidy(text)
        if text and self.pattern is not None:
            match = self.pattern.search(text)
            text = tidy(match.group(1) if match and self.pattern.groups else match.group(0) if match else "")
        if text and self.split is not None:
            parts = [tidy(p) for p in text.split(self.split)]
            index = 0 if self.part is None else self.part
            text = parts[index] if -len(parts) <= index < len(parts) else ""
        if text and self.last_first and "," in text:
            last, _, first = text.partition(",")
            text = tidy(f"{first} {last}")
        return text or tidy(self.default)


def read_field(family: str, key: str, value) -> Field:
    """A field as configured (a string, or a mapping with ``from`` and transforms); ``ValueError`` if malformed."""
    if isinstance(value, str):
        return Field(value)
    if not isinstance(value, dict):
        raise ValueError(
            f"{family} config: {key!r} must be a string, or a mapping with 'from', not {type(value).__name__}"
        )
    unknown = sorted(str(k) for k in value if k not in ("from", *TRANSFORMS))
    if unknown:
        raise ValueError(f"{family} config: {key!r} has unknown key(s) {', '.join(repr(k) for k in unknown)}")
    place = value.get("from")
    if not isinstance(place, str):
        raise ValueError(f"{family} config: {key!r} needs 'from', a string")
    for name in ("pattern", "split", "default"):
        if value.get(name) is not None and not isinstance(value[name], str):
            raise ValueError(f"{family} config: {key!r}: {name!r} must be a string")
    pattern = None
    if value.get("pattern") is not None:
        try:
            pattern = re.compile(value["pattern"])
        except re.error as exc:
            raise ValueError(f"{family} config: {key!r}: 'pattern' is not a valid regex: {exc}") from None
        if pattern.groups > 1:
            raise ValueError(f"{family} config: {key!r}: 'pattern' may have at most one group")
    part = value.get("part")
    if part is not None and (not isinstance(part, int) or isinstance(part, bool)):
        raise ValueError(f"{family} config: {key!r}: 'part' must be a whole number")
    if part is not None and value.get("split") is None:
        raise ValueError(f"{family} config: {key!r}: 'part' needs 'split'")
    if value.get("split") == "":
        raise ValueError(f"{family} config: {key!r}: 'split' is empty")
    last_first = value.get("last_first", False)
    if not isinstance(last_first, bool):
        raise ValueError(f"{family} config: {key!r}: 'last_first' must be true or false")
    return Field(place, pattern, value.get("split"), part, last_first, value.get("default"))


def config_values(
    cls, mapping, family: str, *, field_keys: tuple[str, ...] = (), mappings: tuple[str, ...] = ()
) -> dict:
    """A configuration mapping checked against dataclass ``cls``: the keyword arguments to build it.

    Keys whose value is None count as absent. ``field_keys`` may be fields (a string or a
    mapping with transforms: :func:`read_field`), ``mappings`` must be mappings (checked by the
    class), every other key a string. Raises ``ValueError`` with a one-line message.
    """
    if not isinstance(mapping, dict):
        raise ValueError(f"{family} config must be a mapping, not {type(mapping).__name__}")
    known = {f.name for f in fields(cls)}
    unknown = sorted(str(k) for k in mapping if k not in known)
    if unknown:
        raise ValueError(f"{family} config: unknown key(s) {', '.join(repr(k) for k in unknown)}")
    values = {k: v for k, v in mapping.items() if v is not None}
    for key, value in values.items():
        if key in field_keys:
            values[key] = read_field(family, key, value)
        elif key in mappings:
            if not isinstance(value, dict):
                raise ValueError(f"{family} config: {key!r} must be a mapping, not {type(value).__name__}")
        elif not isinstance(value, str):
            raise ValueError(f"{family} config: {key!r} must be a string, not {type(value).__name__}")
    return values


def missing(family: str, keys: list[str]) -> ValueError:
    return ValueError(f"{family} config: missing required key(s) {', '.join(repr(k) for k in keys)}")
