"""The account normaliser: the shared table of cases, more edge cases, free text, and properties."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cllr.handles import PLATFORMS, Handle, NotAnAccount, find_handles, normalise

CASES = json.loads((Path(__file__).parent / "fixtures/platforms/normalisation/cases.json").read_text("utf-8"))["cases"]
ACCEPTED = [c for c in CASES if c["key"] is not None]


def test_the_shared_table_is_loaded():
    assert len(CASES) >= 50
    assert ACCEPTED and len(ACCEPTED) < len(CASES)


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"case{c['id']}")
def test_shared_normalisation_cases(case):
    if case["key"] is None:
        with pytest.raises(NotAnAccount):
            normalise(case["input"], case["field"])
        return
    handle = normalise(case["input"], case["field"])
    assert (handle.key, handle.url) == (case["key"], case["url"])
    assert handle.platform == case["key"].split(":")[0]
    assert handle.platform in PLATFORMS


# The rows of research/platforms.md §5 that are not in cases.json, and more edge cases:
# (id, field, input, key, url); key None means refused.
MORE_CASES = [
    ("md3", "any", "http://www.twitter.com/CllrJaneSmith/", "twitter:cllrjanesmith", "https://x.com/CllrJaneSmith"),
    ("md6", "any", "x.com/@CllrJaneSmith", "twitter:cllrjanesmith", "https://x.com/CllrJaneSmith"),
    (
        "md9",
        "any",
        "https://twitter.com/intent/follow?screen_name=CllrJaneSmith&ref_src=twsrc%5Etfw",
        "twitter:cllrjanesmith",
        "https://x.com/CllrJaneSmith",
    ),
    ("md12", "any", "https://twitter.com/intent/tweet?text=Vote&via=CllrJaneSmith", None, None),
    ("md15", "twitter", "#LocalElections", None, None),
    ("md18", "any", "https://twitter.com/i/user/783214", "twitter:id:783214", "https://x.com/i/user/783214"),
    ("md21", "twitter", "Cllr_Jane_Smith_Labour", None, None),
    ("md24", "any", "https://nitter.net/CllrJaneSmith", "twitter:cllrjanesmith", "https://x.com/CllrJaneSmith"),
    (
        "md27",
        "any",
        "https://bsky.app/profile/did:plc:6wpkkitfdkgthatfvspcfmjo",
        "bluesky:did:plc:6wpkkitfdkgthatfvspcfmjo",
        "https://bsky.app/profile/did:plc:6wpkkitfdkgthatfvspcfmjo",
    ),
    ("md30", "bluesky", "janesmith", "bluesky:janesmith.bsky.social", "https://bsky.app/profile/janesmith.bsky.social"),
    (
        "md33",
        "mastodon",
        "@JaneSmith@mastodon.social",
        "mastodon:janesmith@mastodon.social",
        "https://mastodon.social/@JaneSmith",
    ),
    (
        "md36",
        "any",
        "https://mastodon.social/@JaneSmith",
        "mastodon:janesmith@mastodon.social",
        "https://mastodon.social/@JaneSmith",
    ),
    (
        "md39",
        "any",
        "https://mastodon.social/@JaneSmith@toot.wales",
        "mastodon:janesmith@toot.wales",
        "https://toot.wales/@JaneSmith",
    ),
    (
        "md42",
        "mastodon",
        "acct:JaneSmith@social.example.org",
        "mastodon:janesmith@social.example.org",
        "https://social.example.org/@JaneSmith",
    ),
    (
        "md45",
        "any",
        "https://m.facebook.com/cllrjanesmith/?ref=page_internal",
        "facebook:cllrjanesmith",
        "https://www.facebook.com/cllrjanesmith",
    ),
    (
        "md48",
        "any",
        "https://www.facebook.com/profile.php?id=100064123456789&mibextid=ZbWKwL",
        "facebook:id:100064123456789",
        "https://www.facebook.com/profile.php?id=100064123456789",
    ),
    (
        "md51",
        "any",
        "https://www.facebook.com/people/Jane-Smith/100079510762644/",
        "facebook:id:100079510762644",
        "https://www.facebook.com/profile.php?id=100079510762644",
    ),
    (
        "md54",
        "any",
        "https://www.facebook.com/cllrjanesmith/posts/pfbid0abcDEF",
        "facebook:cllrjanesmith",
        "https://www.facebook.com/cllrjanesmith",
    ),
    ("md57", "any", "https://www.facebook.com/share/1AbCdEfGh/", None, None),
    (
        "md60",
        "any",
        "instagram.com/cllr_jane?igsh=MWZ1eXJ5b2k",
        "instagram:cllr_jane",
        "https://www.instagram.com/cllr_jane/",
    ),
    (
        "md63",
        "any",
        "https://www.threads.com/@Cllr.Jane.Smith/post/C9xYz12AbCd",
        "threads:cllr.jane.smith",
        "https://www.threads.com/@cllr.jane.smith",
    ),
    (
        "md66",
        "any",
        "https://www.youtube.com/user/JaneSmithCllr",
        "youtube:user:janesmithcllr",
        "https://www.youtube.com/user/JaneSmithCllr",
    ),
    (
        "md69",
        "any",
        "https://uk.linkedin.com/in/jane-smith-57338a4",
        "linkedin:in:jane-smith-57338a4",
        "https://www.linkedin.com/in/jane-smith-57338a4/",
    ),
    (
        "md72",
        "any",
        "https://www.tiktok.com/@cllrjanesmith?lang=en",
        "tiktok:cllrjanesmith",
        "https://www.tiktok.com/@cllrjanesmith",
    ),
    (
        "md75",
        "any",
        "https://www.google.com/url?q=https://www.facebook.com/cllrjanesmith&sa=D&ust=1",
        "facebook:cllrjanesmith",
        "https://www.facebook.com/cllrjanesmith",
    ),
    # Reserved words are whole segments; a handle merely starting with one is fine.
    ("home-prefix", "any", "https://x.com/homeofjo", "twitter:homeofjo", "https://x.com/homeofjo"),
    ("i-prefix", "any", "https://x.com/i_am_jo", "twitter:i_am_jo", "https://x.com/i_am_jo"),
    (
        "x-intent-user-id",
        "any",
        "https://x.com/intent/user?user_id=12345",
        "twitter:id:12345",
        "https://x.com/i/user/12345",
    ),
    ("x-i-web-status", "any", "https://x.com/i/web/status/123", None, None),
    ("fxtwitter", "any", "https://fxtwitter.com/CllrJo/status/1", "twitter:cllrjo", "https://x.com/CllrJo"),
    ("x-field-prose", "twitter", "@CllrJo (personal account)", "twitter:cllrjo", "https://x.com/CllrJo"),
    ("labelled-value", "any", "Twitter:@CllrJo", "twitter:cllrjo", "https://x.com/CllrJo"),
    # In a platform's own field a dotted name is a username, not a website.
    ("instagram-dotted", "instagram", "@Cllr.Jo", "instagram:cllr.jo", "https://www.instagram.com/cllr.jo/"),
    ("facebook-dotted", "facebook", "Cllr.Jo.Smith", "facebook:cllrjosmith", "https://www.facebook.com/Cllr.Jo.Smith"),
    ("instagram-host-only", "instagram", "instagram.com", None, None),
    (
        "bluesky-host",
        "any",
        "https://jo.bsky.social",
        "bluesky:jo.bsky.social",
        "https://bsky.app/profile/jo.bsky.social",
    ),
    (
        "bluesky-at-handle",
        "any",
        "at://jo.bsky.social",
        "bluesky:jo.bsky.social",
        "https://bsky.app/profile/jo.bsky.social",
    ),
    ("bluesky-bad-did", "any", "did:plc:short", None, None),
    ("mastodon-mention", "any", "@Jo@Toot.Wales", "mastodon:jo@toot.wales", "https://toot.wales/@Jo"),
    ("mastodon-no-server", "mastodon", "@jo", None, None),
    (
        "mastodon-actor-status",
        "any",
        "https://toot.wales/users/Jo/statuses/1",
        "mastodon:jo@toot.wales",
        "https://toot.wales/@Jo",
    ),
    ("threads-federated", "mastodon", "@cllr.jo@threads.net", "threads:cllr.jo", "https://www.threads.com/@cllr.jo"),
    ("not-fediverse-server", "mastodon", "@jo@x.com", None, None),
    ("substack-user", "any", "https://substack.com/@jo", "web:https://substack.com/@jo", "https://substack.com/@jo"),
    (
        "medium-post",
        "any",
        "https://medium.com/@Jo/my-post-123",
        "web:https://medium.com/@jo",
        "https://medium.com/@Jo",
    ),
    (
        "facebook-numeric",
        "any",
        "https://www.facebook.com/100064123456789",
        "facebook:id:100064123456789",
        "https://www.facebook.com/profile.php?id=100064123456789",
    ),
    (
        "facebook-name-id",
        "any",
        "https://www.facebook.com/Jane-Smith-1234567890/",
        "facebook:id:1234567890",
        "https://www.facebook.com/profile.php?id=1234567890",
    ),
    ("facebook-pages-category", "any", "https://www.facebook.com/pages/category/Politician/x", None, None),
    (
        "facebook-l-php",
        "any",
        "https://l.facebook.com/l.php?u=https%3A%2F%2Fx.com%2FCllrJo&h=AT0",
        "twitter:cllrjo",
        "https://x.com/CllrJo",
    ),
    (
        "proofpoint",
        "any",
        "https://urldefense.com/v3/__https://twitter.com/CllrJo__;!!abc$",
        "twitter:cllrjo",
        "https://x.com/CllrJo",
    ),
    ("instagram-reel", "any", "https://www.instagram.com/reel/C1a2B3c4D5e/", None, None),
    ("instagram-double-dot", "instagram", "cllr..jo", None, None),
    (
        "youtube-feed",
        "any",
        "https://www.youtube.com/feeds/videos.xml?channel_id=UC9PBzalIcEQCsiIkq36PyUA",
        "youtube:channel:UC9PBzalIcEQCsiIkq36PyUA",
        "https://www.youtube.com/channel/UC9PBzalIcEQCsiIkq36PyUA",
    ),
    ("youtube-watch", "any", "https://www.youtube.com/watch?v=dQw4w9WgXcQ", None, None),
    ("youtube-bad-channel", "any", "https://www.youtube.com/channel/UCshort", None, None),
    (
        "youtube-legacy-name",
        "any",
        "https://www.youtube.com/JaneSmith/videos",
        "youtube:custom:janesmith",
        "https://www.youtube.com/c/JaneSmith",
    ),
    (
        "youtube-dot-segments",
        "any",
        "https://www.youtube.com/../c/./JaneSmith",
        "youtube:custom:janesmith",
        "https://www.youtube.com/c/JaneSmith",
    ),
    (
        "linkedin-unicode",
        "any",
        "https://www.linkedin.com/in/jos%C3%A9-garc%C3%ADa/",
        "linkedin:in:josé-garcía",
        "https://www.linkedin.com/in/jos%C3%A9-garc%C3%ADa/",
    ),
    ("linkedin-post", "any", "https://www.linkedin.com/posts/jane_activity-123", None, None),
    ("vm-tiktok", "any", "https://vm.tiktok.com/ZMabc123/", None, None),
    ("go-bsky", "any", "https://go.bsky.app/AbC123", None, None),
    ("linktree-admin", "any", "https://linktr.ee/admin", None, None),
    (
        "website-http",
        "website",
        "http://www.jo.example.org/about-me",
        "web:https://jo.example.org",
        "http://www.jo.example.org/",
    ),
    ("website-bare-host", "blog", "jo.example.org.", "web:https://jo.example.org", "https://jo.example.org/"),
    (
        "website-idn",
        "any",
        "https://bücher.example.org/",
        "web:https://xn--bcher-kva.example.org",
        "https://xn--bcher-kva.example.org/",
    ),
    ("website-not-a-host", "website", "janesmith", None, None),
    ("email-in-twitter-field", "twitter", "jo@example.org", None, None),
    ("wrapped", "any", "<“https://x.com/CllrJo”>", "twitter:cllrjo", "https://x.com/CllrJo"),
    ("nbsp", "twitter", "\u00a0@CllrJo\u00a0", "twitter:cllrjo", "https://x.com/CllrJo"),
    ("bidi", "twitter", "\u202a@CllrJo\u202c", "twitter:cllrjo", "https://x.com/CllrJo"),
]


@pytest.mark.parametrize(("field", "value", "key", "url"), [c[1:] for c in MORE_CASES], ids=[c[0] for c in MORE_CASES])
def test_more_normalisation_cases(field, value, key, url):
    if key is None:
        with pytest.raises(NotAnAccount):
            normalise(value, field)
        return
    handle = normalise(value, field)
    assert (handle.key, handle.url) == (key, url)


@pytest.mark.parametrize(
    ("value", "field", "display", "needs_lookup"),
    [
        ("https://twitter.com/CllrJaneSmith", None, "CllrJaneSmith", False),
        ("@JaneSmith.bsky.social", "bluesky", "janesmith.bsky.social", False),
        ("janesmith", "bluesky", "janesmith.bsky.social", True),  # guessed: only resolveHandle can confirm it
        ("JaneSmith@Mastodon.Social", "mastodon", "@JaneSmith@mastodon.social", False),
        ("https://www.instagram.com/Cllr.Jane.Smith/", None, "cllr.jane.smith", False),
        ("https://www.youtube.com/channel/UC9PBzalIcEQCsiIkq36PyUA", None, "UC9PBzalIcEQCsiIkq36PyUA", False),
        ("https://m.youtube.com/@CllrJaneSmith/featured", None, "@CllrJaneSmith", True),
        ("https://www.youtube.com/c/JaneSmithCouncillor", None, "JaneSmithCouncillor", True),
        ("https://www.youtube.com/user/JaneSmithCllr", None, "JaneSmithCllr", True),
        ("https://www.facebook.com/CllrJane.Smith", None, "CllrJane.Smith", False),
        ("https://janesmith.example.org/2024/05/my-post/", "blog", "janesmith.example.org", False),
    ],
)
def test_display_handle_and_lookup_flag(value, field, display, needs_lookup):
    handle = normalise(value, field)
    assert (handle.handle, handle.needs_lookup) == (display, needs_lookup)


@pytest.mark.parametrize(
    ("value", "field", "reason"),
    [
        ("https://t.co/AbC123xyz", None, "redirect lookup"),
        ("https://bit.ly/3xYz", None, "redirect lookup"),
        ("https://lnkd.in/eAbC", None, "redirect lookup"),
        ("https://fb.me/cllrjo", None, "redirect lookup"),
        ("https://www.facebook.com/share/1AbCdEfGh/", None, "redirect lookup"),
        ("https://go.bsky.app/AbC", None, "redirect lookup"),
        ("jane.smith@example-council.gov.uk", None, "e-mail"),
        ("N/A", "twitter", "placeholder"),
        ("none", "facebook", "placeholder"),
        ("-", None, "placeholder"),
        ("TBC", "bluesky", "placeholder"),
        ("", None, "placeholder"),
        ("  \u200b ", None, "placeholder"),
        ("https://bsky.app/profile/handle.invalid", None, "DID"),
    ],
)
def test_refusals_say_why(value, field, reason):
    with pytest.raises(NotAnAccount, match=reason):
        normalise(value, field)


@pytest.mark.parametrize(
    "value",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(document.cookie)",
        "data:text/html,<script>x</script>",
        "file:///etc/passwd",
        "vbscript:msgbox(1)",
        "mailto:jo@example.org",
        "tel:+442920872087",
        "twitter://user?screen_name=CllrJo",
        "https://user:pw@x.com/jo",
        "http://127.0.0.1/",
        "https://[::1]/",
        "http://localhost/@jo",
        "https://intranet.local/jo",
        "https://x.com:8080/jo",
        "ftp://x.com/jo",
        "https://example.org/" + "a" * 3000,
    ],
)
@pytest.mark.parametrize("field", [None, "website", "twitter", "mastodon"])
def test_unsafe_or_private_addresses_are_refused(value, field):
    with pytest.raises(NotAnAccount):
        normalise(value, field)


@pytest.mark.parametrize("value", ["javascript:alert(1)", "javascript://x.com/%0aalert(1)", "data:,x", "file:///x"])
def test_other_schemes_are_refused_as_links(value):
    with pytest.raises(NotAnAccount, match=r"^a [a-z]+: link, not a web address$"):
        normalise(value, "website")


def test_non_text_is_refused_not_crashed():
    for value in (None, 42, b"https://x.com/jo", ["x.com/jo"]):
        with pytest.raises(NotAnAccount):
            normalise(value)  # type: ignore[arg-type]


def test_an_unknown_field_is_treated_as_generic():
    assert normalise("https://x.com/CllrJo", "Some Column").key == "twitter:cllrjo"
    with pytest.raises(NotAnAccount):
        normalise("@CllrJo", "Some Column")


@pytest.mark.parametrize("case", ACCEPTED, ids=lambda c: f"case{c['id']}")
def test_canonical_forms_normalise_to_the_same_key(case):
    handle = normalise(case["input"], case["field"])
    assert normalise(handle.url).key == handle.key
    assert normalise(handle.url, handle.platform) == normalise(handle.url)
    assert normalise(handle.key).key == handle.key  # a stored key reads back as itself


# Free text: (text, keys found, in order).
FREE_TEXT = [
    ("Twitter - @CllrPWallace", ["twitter:cllrpwallace"]),
    ("Follow me on Twitter @cllr_jo", ["twitter:cllr_jo"]),
    ("Bluesky: jo.bsky.social", ["bluesky:jo.bsky.social"]),
    ("Mastodon: @jo@toot.wales", ["mastodon:jo@toot.wales"]),
    ("Facebook: https://www.facebook.com/CllrJo", ["facebook:cllrjo"]),
    ("Follow me on Twitter @cllr_jo and Bluesky: jo.bsky.social", ["twitter:cllr_jo", "bluesky:jo.bsky.social"]),
    ("Surgeries: first Saturday, 10am, Central Library. Twitter: @CllrJo.", ["twitter:cllrjo"]),
    ("Twitter/X: @jo_x", ["twitter:jo_x"]),
    ("Twitter:\u00a0@Cllr\u200bJo", ["twitter:cllrjo"]),  # scraped text: no-break space, zero-width space
    ("X (formerly Twitter): @jo_y", ["twitter:jo_y"]),
    ("Twitter:\n@jo_next_line", ["twitter:jo_next_line"]),
    ("I'm @cllr_jo on Twitter and @jo.smith on Instagram", ["twitter:cllr_jo", "instagram:jo.smith"]),
    ("YouTube: @CllrJo", ["youtube:handle:cllrjo"]),
    ("Blog - https://jo.example.org/2024/01/hello/", ["web:https://jo.example.org"]),
    (
        "Read my blog (https://jo.example.org/about). Or see x.com/CllrJo, facebook.com/CllrJo.Smith.",
        ["web:https://jo.example.org", "twitter:cllrjo", "facebook:cllrjosmith"],
    ),
    ("see uk.linkedin.com/in/jane-smith for my CV", ["linkedin:in:jane-smith"]),
    ("tweet @a_b and see x.com/c_d", ["twitter:a_b", "twitter:c_d"]),
    ("Bluesky: bsky.app/profile/jo.bsky.social", ["bluesky:jo.bsky.social"]),  # "bsky.app" is part of the link
    (
        "https://bsky.app/profile/jo.bsky.social twice https://bsky.app/profile/JO.bsky.social",
        ["bluesky:jo.bsky.social"],
    ),
    (
        "Outlook mangled it: https://eur02.safelinks.protection.outlook.com/?url=https%3A%2F%2Fx.com%2FCllrJo&data=05",
        ["twitter:cllrjo"],
    ),
    # Not accounts:
    ("Email jo.smith@cardiff.gov.uk or call 029 2087 2087", []),
    ("E-mail: cllr.jo@www.example.org", []),
    ("Twitter: jo@example.org", []),  # an e-mail address, even next to a platform word
    ("Say hello @someone at the market", []),  # an unlabelled @name names no platform
    ("Twitter\n@someone_else", []),  # a label on one line does not claim the next line's @name
    ("Twitter: follow me!", []),
    ("3 x @jo", []),  # a lower-case x is a letter, not X
    ("Share: https://twitter.com/intent/tweet?text=hi", []),
    ("Short link https://t.co/AbC123", []),
    ("", []),
]


@pytest.mark.parametrize(("text", "keys"), FREE_TEXT, ids=[f"text{i}" for i in range(len(FREE_TEXT))])
def test_find_handles_in_free_text(text, keys):
    assert [h.key for h in find_handles(text)] == keys


def test_normalise_reads_prose_in_a_field():
    assert normalise("Follow me at https://twitter.com/CllrJo.", "twitter").key == "twitter:cllrjo"
    assert normalise("Bluesky: jo.bsky.social or Twitter: @CllrJo", "twitter").key == "twitter:cllrjo"
    with pytest.raises(NotAnAccount, match="no account"):
        normalise("Please contact me by email", "twitter")


def test_find_handles_is_fast_on_long_hostile_text():
    text = ("Twitter: @a " * 5000) + ("@a@b." * 5000) + ("x.com/" * 5000)
    assert [h.key for h in find_handles(text)] == ["twitter:a"]


# Properties -----------------------------------------------------------------------------

FIELDS = st.sampled_from(
    [
        None,
        "any",
        "twitter",
        "x",
        "bluesky",
        "mastodon",
        "facebook",
        "instagram",
        "threads",
        "youtube",
        "linkedin",
        "tiktok",
        "blog",
        "website",
    ]
)
SEGMENTS = st.one_of(
    st.sampled_from(
        [
            "@Jo",
            "@jo@toot.wales",
            "Jo.Smith",
            "jo_1",
            "users",
            "web",
            "status",
            "123",
            "profile",
            "in",
            "c",
            "channel",
            "UC9PBzalIcEQCsiIkq36PyUA",
            "jo.bsky.social",
            "did:plc:z72i7hdynmk6r22z27h6tvur",
            "pages",
            "people",
            "p",
            "pg",
            "groups",
            "pfbid02abcdefgh",
            "intent",
            "share",
            "home",
            "i",
            "%40jo",
            "%2541",
            "%C3%A9",
            "%20",
            "%00",
            "..",
            ".",
            "#!",
            "@",
        ]
    ),
    st.text(max_size=10),
)
URLISH = st.builds(
    lambda scheme, host, segments, query: f"{scheme}{host}/{'/'.join(segments)}{query}",
    st.sampled_from(["https://", "http://", "", "//", "HTTPS://www.", "javascript:", "at://"]),
    st.sampled_from(
        [
            "twitter.com",
            "x.com",
            "mobile.twitter.com",
            "nitter.net",
            "bsky.app",
            "facebook.com",
            "m.facebook.com",
            "instagram.com",
            "threads.net",
            "youtube.com",
            "youtu.be",
            "linkedin.com",
            "uk.linkedin.com",
            "tiktok.com",
            "linktr.ee",
            "mastodon.social",
            "medium.com",
            "example.org",
            "t.co",
            "bücher.example",
            "eur02.safelinks.protection.outlook.com",
        ]
    ),
    st.lists(SEGMENTS, max_size=4),
    st.sampled_from(["", "?screen_name=Jo", "?id=123", "?url=https%3A%2F%2Fx.com%2FJo", "?utm_source=x", "#!/jo"]),
)
HANDLEISH = st.builds(
    lambda prefix, body, suffix: prefix + body + suffix,
    st.sampled_from(["", "@", "acct:", "did:plc:", "twitter:", "X: ", "youtube:handle:", "facebook:id:", "web:"]),
    st.text(alphabet="abcXYZ019_.-@:/é \u200b", max_size=24),
    st.sampled_from(["", ".", ".bsky.social", "@toot.wales", "/", ")"]),
)


def check_accepted(handle: Handle) -> None:
    assert handle.platform in PLATFORMS and handle.key.startswith(f"{handle.platform}:")
    assert handle.url.startswith("https://") or (handle.platform == "web" and handle.url.startswith("http://"))
    assert not any(ch.isspace() or ord(ch) < 32 or 0x7F <= ord(ch) <= 0x9F for ch in handle.url)
    assert not any(ch.isspace() for ch in handle.key)
    # Idempotent: the canonical URL and the key read back as the same account.
    again = normalise(handle.url, handle.platform)
    assert (again.key, again.url) == (handle.key, handle.url)
    assert normalise(handle.url).key == handle.key
    assert normalise(handle.key).key == handle.key


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(max_size=60), URLISH, HANDLEISH), FIELDS)
def test_normalise_refuses_only_with_not_an_account_and_is_idempotent(value, field):
    try:
        handle = normalise(value, field)
    except NotAnAccount as exc:
        assert str(exc)  # always a reason
        return
    check_accepted(handle)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.one_of(
            URLISH,
            HANDLEISH,
            st.text(max_size=15),
            st.sampled_from(["Twitter:", "X -", "Bluesky", "@jo_1", "jo@toot.wales", "\n"]),
        ),
        max_size=6,
    ).map(" ".join)
)
def test_find_handles_never_raises_and_finds_canonical_accounts(text):
    handles = find_handles(text)
    assert len({h.key for h in handles}) == len(handles)
    for handle in handles:
        check_accepted(handle)


# Free text is searched only where a link or a label can start: the same matches as trying every position.
_PIECES = st.sampled_from(
    [
        "Twitter - @ann_example",
        "twitter: @Ann",
        "X @ann",
        "Follow me on Bluesky: ann.bsky.social",
        "@ann on Instagram",
        "https://x.com/ann",
        "www.facebook.com/annexample",
        "m.facebook.com/ann.example",
        "see x.com/ann/",
        "https://www.youtube.com/@ann",
        "foo.bar.facebook.com/x",
        "mail ann@example.org",
        "@ann@mastodon.social",
        "İstanbul",  # its lower case is longer
        "Blog: https://ann.example/blog",
        "tweets",
        " ",
        "\n",
        "-",
        "/",
        ".",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_PIECES, st.text(max_size=12)), max_size=12))
def test_free_text_is_read_at_its_anchors_exactly_as_at_every_position(pieces):
    from cllr.handles import _LABELLED, _URL_IN_TEXT, _labelled, _links_in_text

    text = "".join(pieces)
    assert [m.span() for m in _links_in_text(text)] == [m.span() for m in _URL_IN_TEXT.finditer(text)]
    assert [m.span() for m in _labelled(text)] == [m.span() for m in _LABELLED.finditer(text)]
