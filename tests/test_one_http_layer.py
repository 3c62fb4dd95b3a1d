"""Every request goes through cllr/http: no other module makes HTTP clients or requests."""

import re
from pathlib import Path

ROOT = Path(__file__).parent.parent
PACKAGES = ("cllr", "scrapers", "models", "flows")
FORBIDDEN = re.compile(
    r"httpx\.(Client|AsyncClient|get|post|stream|request|HTTPTransport)\b|import requests|urllib\.request|"
    r"http\.client|urlopen|socket\.create_connection"
)

# A client on httpx's ASGI transport calls an application in the same process, with no
# socket (the demo's council using the intake): not a request to anywhere.
IN_PROCESS = re.compile(r"httpx\.AsyncClient\(\s*transport=httpx\.ASGITransport\(app=")


def test_only_the_http_layer_makes_requests():
    offenders = []
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if path.is_relative_to(ROOT / "cllr" / "http"):
                continue
            text = path.read_text(encoding="utf-8")
            lines = text.splitlines()
            for number, line in enumerate(lines, 1):
                # A call wrapped by the formatter: the line and the next, read as one.
                joined = line + " " + (lines[number] if number < len(lines) else "").strip()
                if FORBIDDEN.search(line) and not IN_PROCESS.search(joined):
                    offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []


def test_the_user_agent_is_one_value_and_never_rotated():
    hits = []
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            hits += [path.name for _ in re.finditer(r"[\"']User-Agent[\"']\s*:", text)]
    assert hits == ["client.py"]
