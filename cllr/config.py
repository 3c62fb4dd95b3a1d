"""Settings, read from the environment (prefix ``CLLR_``) with documented defaults.

Precedence: defaults here, then environment variables, then command-line options,
which the CLI passes in as overrides. Every setting is listed in docs/operations.md.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from cllr import __version__

BUNDLED_REGISTRY = Path(__file__).parent / "data" / "councils.csv"
BUNDLED_OVERRIDES = Path(__file__).parent / "data" / "council_overrides.csv"
BUNDLED_SCRAPERS = Path(__file__).parent / "data" / "council_scrapers.yaml"
BUNDLED_WARD_CODES = Path(__file__).parent / "data" / "ward_codes.csv"
BUNDLED_SHARED_INSTANCES = Path(__file__).parent / "data" / "shared_instances.csv"


def check_connect_target(host: str, target: str) -> None:
    """A ``connect_to`` pair must name a host (``*.`` for every name under a domain) and an address with
    its port (``127.0.0.1:8765`` or ``https://127.0.0.1:8443``); anything else is a one-line error."""
    name = host.removeprefix("*.")
    if not name or "*" in name or "/" in name or ":" in name:
        raise ValueError(f"{host}={target}: {host!r} is not a host name (a wildcard is '*.example')")
    scheme, _, rest = target.rpartition("://")
    address, colon, port = rest.rpartition(":")
    if (
        scheme not in ("", "http", "https")
        or not colon
        or not address
        or not port.isdigit()
        or not 0 < int(port) < 65536
    ):
        raise ValueError(f"{host}={target}: the target needs an address and a port, as 127.0.0.1:8765")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CLLR_", extra="ignore")

    data_dir: Path = Field(Path("var"), description="Where the database and the built site live.")
    database_url: str | None = Field(
        None,
        validation_alias=AliasChoices("DATABASE_URL", "CLLR_DATABASE_URL"),
        description="SQLAlchemy URL; a SQLite file in data_dir when unset.",
    )
    site_dir: Path | None = Field(None, description="Output directory of the static site.")
    registry: Path = Field(BUNDLED_REGISTRY, description="The council registry CSV.")
    overrides: Path = Field(BUNDLED_OVERRIDES, description="Per-council politeness overrides (CSV).")
    scrapers: Path = Field(
        BUNDLED_SCRAPERS, description="Selectors and field paths of HTML- and JSON-family councils (YAML)."
    )
    shared_instances: Path = Field(
        BUNDLED_SHARED_INSTANCES,
        description="Councils sharing one roster and the rules that split it (CSV: code,instance,rule,value,note).",
    )
    ward_codes: Path = Field(
        BUNDLED_WARD_CODES,
        description="Ward codes set by hand where names do not match the ONS's (CSV: council,ward,gss,note).",
    )
    # NoDecode: these are written "A,B" and "host=addr,..." in the environment, not as JSON.
    councils: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Only these council codes (all when empty)."
    )
    contact_url: str = Field(
        "https://github.com/councillors-online/councillors-online",
        description="Where site owners can reach the operators; sent in the User-Agent.",
    )
    controller: str | None = Field(
        None,
        description="Who runs this copy of the directory and decides what it holds (the data controller under UK "
        "GDPR), named on the privacy page; say it for a public site.",
    )
    privacy_contact: str | None = Field(
        None,
        description="An e-mail or web address for data-protection requests (access, correction, objection, "
        "erasure) and accessibility problems, given on the privacy and accessibility pages; "
        "CLLR_CONTACT_URL when unset.",
    )
    site_url: str | None = Field(
        None,
        description=(
            "Public URL of the published site. When set, pages carry canonical links, and an "
            "account whose profile links to its councillor's page there is verified (self-claim)."
        ),
    )
    shared_slots: bool = Field(
        False,
        description=(
            "Keep politeness slots in the database, shared by every worker process and machine: "
            "set it when several workers run against one PostgreSQL database."
        ),
    )
    intake_url: str | None = Field(
        None,
        description=(
            "Public URL of the corrections intake (`cllr intake`). When set, every councillor page "
            "links to its suggest-a-correction form and every council page to the council form."
        ),
    )
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Addresses or networks of the reverse proxies in front of `cllr intake` (comma-separated, "
        "e.g. 127.0.0.1,10.0.0.0/8): only from these is a client's address taken from X-Forwarded-For.",
    )
    bluesky_appview: str = Field("https://public.api.bsky.app", description="Bluesky AppView for public reads.")
    bluesky_identifier: str | None = Field(
        None,
        description="The operator's Bluesky account (handle or DID) that publishes one list per council of its "
        "councillors' confirmed Bluesky accounts; without it and an app password, nothing is published.",
    )
    bluesky_app_password: SecretStr | None = Field(
        None, description="An app password of that account (Bluesky's settings, App passwords), never its own password."
    )
    bluesky_pds: str = Field(
        "https://bsky.social", description="The PDS that holds the operator's account, where the lists are written."
    )
    x_bearer_token: SecretStr | None = Field(
        None, description="An operator's X API bearer token; without one, X accounts are kept without metrics."
    )
    x_monthly_cap_usd: float = Field(
        0.0, description="Most to spend on X reads in a calendar month (USD); nothing is read from X at 0."
    )
    x_api: str = Field("https://api.x.com", description="X API v2 base URL.")
    youtube_feeds: str = Field(
        "https://www.youtube.com", description="Where YouTube channel feeds (/feeds/videos.xml) are read."
    )
    connect_to: Annotated[dict[str, str], NoDecode] = Field(
        default_factory=dict,
        description=(
            "host=address:port pairs, comma-separated: connect to this local address over plain HTTP "
            "(https://address:port: over TLS) for that host name; a host may be a wildcard, "
            "'*.example' for every name under example. Used by the demo web, tests and benchmarks only."
        ),
    )
    request_delay: float = Field(1.0, description="Seconds between request starts per site.")
    bluesky_delay: float = Field(
        0.25, description="Seconds between request starts to the Bluesky AppView (its docs ask for a few a second)."
    )
    mastodon_delay: float = Field(
        1.0, description="Seconds between request starts per Mastodon server (300 requests / 5 min per address)."
    )
    profile_recheck_days: float = Field(
        7.0,
        description=(
            "A council whose roster is unchanged (304) has its profile pages read again only after this "
            "many days; 0 reads them every run."
        ),
    )
    retries: int = Field(3, description="Retries after a connection error, timeout, 408, 429 or 5xx.")
    backoff_base: float = Field(10.0, description="Seconds before the first retry; doubles each time.")
    backoff_cap: float = Field(120.0, description="Longest wait before a retry; a longer Retry-After gives up.")
    breaker_threshold: int = Field(3, description="Consecutive failed fetches that stop requests to a site.")
    conditional: bool = Field(True, description="Revalidate council pages with stored ETag/Last-Modified.")
    robots_ttl: float = Field(24 * 3600, description="Seconds a robots.txt decision is kept.")
    max_robots_bytes: int = Field(512 * 1024, description="Largest robots.txt body read.")
    max_crawl_delay: float = Field(60.0, description="A site asking for a longer Crawl-delay is skipped.")
    timeout: float = Field(30.0, description="Seconds before one request is abandoned.")
    max_response_bytes: int = Field(5 * 1024 * 1024, description="Largest body read, after decompression.")
    deadline: float = Field(
        60.0,
        gt=0,
        description="Seconds one fetch may spend on the network in all: connect, TLS, headers, body, every "
        "redirect hop and retry, however slowly the server trickles (the waits for a politeness turn do not count).",
    )
    task_time_limit: float = Field(
        6 * 3600.0,
        gt=0,
        description="Seconds a lane of councils or a batch of accounts may run: what it has not reached by then "
        "is reported failed and taken up by the next run.",
    )
    stages: Literal["all", "no-activity", "councils"] = Field(
        "all",
        description="Which stages a refresh runs: 'all'; 'no-activity' (no platform is asked: rosters, profile "
        "pages, metrics, ward codes and the site); 'councils' (rosters and profile pages alone).",
    )
    lanes: int = Field(
        48,
        ge=1,
        description="Council lanes worked on at once, one per politeness slot: a lane mostly waits for its "
        "slot's delay, so many run at once and every slot with work keeps a request in flight.",
    )
    workers: int = Field(8, ge=1, description="Activity batches (of accounts on the platforms) collected at once.")
    parse_processes: int = Field(
        1,
        ge=0,
        description="Processes that parse the profile pages beside the run's own (cllr.pipeline.parsing); "
        "0 parses them in the run's process.",
    )
    batch_size: int = Field(100, description="Accounts per activity batch.")
    activity_days: int = Field(90, description="How far back posts are collected.")

    @field_validator("connect_to", mode="before")
    @classmethod
    def _parse_pairs(cls, value):
        if isinstance(value, str):
            pairs = {}
            for item in (part.strip() for part in value.split(",")):
                if item:
                    host, equals, target = item.partition("=")
                    if not equals:
                        raise ValueError(f"{item!r} is not host=address:port")
                    pairs[host] = target
            value = pairs
        parsed = {host.strip().lower(): target.strip() for host, target in (value or {}).items()}
        for host, target in parsed.items():
            check_connect_target(host, target)
        return parsed

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _parse_networks(cls, value):
        if isinstance(value, str):
            value = value.split(",")
        networks = [item.strip() for item in value or [] if item.strip()]
        for item in networks:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(f"{item!r} is not an address or network (e.g. 10.0.0.0/8)") from None
        return networks

    @field_validator("councils", mode="before")
    @classmethod
    def _parse_codes(cls, value):
        if isinstance(value, str):
            value = value.split(",")
        return [code.strip().upper() for code in value or [] if code.strip()]

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'cllr.sqlite3').resolve()}"

    @property
    def threads(self) -> int:
        """The task runner's threads for a refresh: its lanes and its activity batches, each never waiting for the other."""
        return self.lanes + self.workers + 1

    @property
    def x_enabled(self) -> bool:
        """Whether X accounts are read: only with an operator's token and a spend cap."""
        return bool(self.x_bearer_token and self.x_bearer_token.get_secret_value() and self.x_monthly_cap_usd > 0)

    @property
    def bluesky_lists_enabled(self) -> bool:
        """Whether the operator gave a Bluesky account and an app password to publish the lists with."""
        return bool(
            self.bluesky_identifier and self.bluesky_app_password and self.bluesky_app_password.get_secret_value()
        )

    @property
    def output_dir(self) -> Path:
        return self.site_dir or self.data_dir / "site"

    @property
    def user_agent(self) -> str:
        return f"CouncillorsOnline/{__version__} (+{self.contact_url})"
