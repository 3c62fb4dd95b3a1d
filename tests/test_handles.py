"""The account normaliser: every case in the shared table, free text, and properties."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cllr.handles import PLATFORMS, NotAnAccount, find_handles, normalise

CASES = json.loads((Path(__file__).parent / "fixtures/platforms/normalisation/cases.json").read_text("utf-8"))["cases"]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"case{c['id']}")
def test_normalisation_cases(case):
    if case["key"] is None:
        with pytest.raises(NotAnAccount):
            normalise(case["input"], case["field"])
        return
    handle = normalise(case["input"], case["field"])
    assert (handle.key, handle.url) == (case["key"], case["url"])
    assert handle.platform in PLATFORMS


@pytest.mark.parametrize(
    ("text", "keys"),
    [
        ("Twitter - @CllrPWallace", ["twitter:cllrpwallace"]),
        ("Follow me on Twitter @cllr_jo and Bluesky: jo.bsky.social", ["twitter:cllr_jo", "bluesky:jo.bsky.social"]),
        ("Mastodon: @jo@toot.wales", ["mastodon:jo@toot.wales"]),
        ("Surgeries at the library. Blog - https://jo.example.org/2024/01/hello/", ["web:https://jo.example.org"]),
        ("Facebook: https://www.facebook.com/CllrJo.Example.", ["facebook:cllrjoexample"]),
        ("Email jo.smith@cardiff.gov.uk or call 029 2087 2087", []),
        ("Say hello @someone at the market", []),  # an unlabelled @name names no platform
        ("tweet @a_b and see x.com/c_d", ["twitter:a_b", "twitter:c_d"]),
        ("https://bsky.app/profile/jo.bsky.social twice https://bsky.app/profile/JO.bsky.social", ["bluesky:jo.bsky.social"]),
        ("Share: https://twitter.com/intent/tweet?text=hi", []),
    ],
)
def test_find_handles_in_free_text(text, keys):
    assert [h.key for h in find_handles(text)] == keys


@pytest.mark.parametrize(
    "value",
    ["javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,x", "file:///etc/passwd", "vbscript:x",
     "mailto:jo@example.org", "https://user:pw@x.com/jo", "http://127.0.0.1/", "https://[::1]/", "ftp://x.com/jo"],
)  # fmt: skip
def test_unsafe_or_local_addresses_are_refused(value):
    with pytest.raises(NotAnAccount):
        normalise(value)


URLISH = st.builds(
    lambda scheme, host, path: f"{scheme}{host}/{path}",
    st.sampled_from(["https://", "http://", "", "//", "HTTPS://www."]),
    st.sampled_from(["twitter.com", "x.com", "bsky.app", "facebook.com", "m.facebook.com", "instagram.com",
                     "youtube.com", "linkedin.com", "tiktok.com", "mastodon.social", "example.org", "t.co"]),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40),
)  # fmt: skip
FIELD = st.sampled_from([None, "any", "twitter", "bluesky", "mastodon", "facebook", "instagram", "youtube", "blog"])


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(max_size=80), URLISH), FIELD)
def test_normalise_only_ever_refuses_with_not_an_account(value, field):
    try:
        handle = normalise(value, field)
    except NotAnAccount:
        return
    assert handle.url.startswith(("https://", "http://"))
    assert not any(ch.isspace() or ord(ch) < 32 for ch in handle.url)
    # Idempotent: the canonical URL normalises to the same key.
    assert normalise(handle.url, handle.platform).key == handle.key


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=300))
def test_find_handles_never_raises(text):
    for handle in find_handles(text):
        assert handle.platform in PLATFORMS
