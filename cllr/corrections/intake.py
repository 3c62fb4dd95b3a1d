"""The corrections intake: a small ASGI service (Starlette) beside the static site.

Councils use a JSON API with their credential as a bearer token, or a plain HTML form
(the token typed into the form: no cookies, nothing ambient for another site to use);
the public uses the "suggest a correction" form, which only ever goes to review.

Every request body is limited (64 KiB; 256 KiB for a CSV), every operation is checked by
``cllr.corrections.operations``; every submission is a row of the audit, and every refusal is
counted in its hour's tally (``RefusalTally``: by address, channel, status and credential), so
that a flood of refused requests adds to counts rather than rows.
A council may also send its whole roster (``PUT /api/v1/roster``, or the form at
``/council/roster``): read by ``cllr.corrections.roster_csv`` and kept for the next run
(``cllr.corrections.published``). Rate limits are counted from the database, so they hold
across processes and restarts: per credential, per address and per credential prefix for
failed credentials, and per address for public suggestions; over a limit the answer is 429
with ``Retry-After``. Behind a reverse proxy the client's address is read from
``X-Forwarded-For`` only from the configured trusted proxies.
Browser form posts must come from the intake's own pages (``Sec-Fetch-Site``, else ``Origin``).

Start it with ``cllr intake`` (docs/corrections.md).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from datetime import timedelta
from importlib.resources import files
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from cllr.corrections import operations as ops
from cllr.corrections import published
from cllr.corrections.accounts_csv import parse_csv
from cllr.corrections.credentials import TOKEN, verify
from cllr.corrections.roster_csv import MAX_BYTES as ROSTER_LIMIT
from cllr.corrections.roster_csv import parse_roster_csv
from cllr.site.views import gather_people
from models import Council, Councillor
from models.base import utcnow
from models.corrections import Correction, CorrectionEvent, RefusalTally
from models.db import Database

JSON_LIMIT = 64 * 1024
CSV_LIMIT = 256 * 1024
ROSTER_FORM_LIMIT = 3 * ROSTER_LIMIT  # a form's body is the CSV URL-encoded: up to three times as long
WINDOW = timedelta(hours=1)
PER_CREDENTIAL = 60  # submissions (requests) per credential per hour
FAILED_PER_ADDRESS = 20  # refused credentials per address before a lockout (an hour, doubling to a day)
FAILED_PER_PREFIX = 50  # refused tokens naming one credential prefix, from anywhere, before it is locked likewise
LOCKOUT_MAX = timedelta(days=1)
PUBLIC_PER_ADDRESS = 10  # public suggestions per address per hour
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


class Intake:
    """The service's state: the database and where the site is (for links back)."""

    def __init__(
        self,
        db: Database,
        *,
        site_url: str | None = None,
        public_url: str | None = None,
        trusted_proxies: Iterable[str] = (),
    ):
        self.db = db
        self.site_url = (site_url or "").rstrip("/")
        # the origin browsers see (behind a TLS proxy, https://), when configured (CLLR_INTAKE_URL)
        self.origin = _origin_of(public_url) if public_url else None
        self.proxies = [ipaddress.ip_network(item, strict=False) for item in trusted_proxies]
        from cllr.site.environment import environment  # the site's own Jinja2 set-up: autoescaping, filters

        self.templates = environment()

    # Plumbing ------------------------------------------------------------------------

    def page(self, name: str, status: int = 200, **context) -> HTMLResponse:
        context = {
            "error": None,
            "problems": None,
            "values": {},
            "councillor": None,
            "corrections": [],
            "council": False,
            "received": None,
        } | context
        html = self.templates.get_template(f"intake/{name}").render(site_url=self.site_url, **context)
        return HTMLResponse(html, status_code=status, headers=HEADERS)

    @staticmethod
    def json(body: dict, status: int = 200, headers: dict | None = None) -> JSONResponse:
        return JSONResponse(body, status_code=status, headers={**HEADERS, **(headers or {})})

    def address(self, request: Request) -> str | None:
        """The client's address: the connection's, or, when that is a trusted proxy (CLLR_TRUSTED_PROXIES),
        the nearest address in ``X-Forwarded-For`` that is not one of them (what a client writes there
        itself lies beyond the proxies and is never taken)."""
        peer = request.client.host if request.client else None
        if not self._trusted(peer):
            return peer
        hops = [h.strip() for h in ",".join(request.headers.getlist("x-forwarded-for")).split(",") if h.strip()]
        for hop in reversed(hops):
            if not self._trusted(hop):
                try:
                    return str(ipaddress.ip_address(hop))
                except ValueError:
                    return peer  # a malformed hop: the proxy's own address, never the client's word
        return peer

    def _trusted(self, address: str | None) -> bool:
        try:
            ip = ipaddress.ip_address(address or "")
        except ValueError:
            return False
        return any(ip in network for network in self.proxies)

    async def body(self, request: Request, limit: int) -> bytes:
        declared = request.headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            raise ops.Refused(413, f"the body is larger than {limit // 1024} KiB")
        data = bytearray()
        async for chunk in request.stream():
            data += chunk
            if len(data) > limit:
                raise ops.Refused(413, f"the body is larger than {limit // 1024} KiB")
        return bytes(data)

    def credential(self, session: Session, request: Request, token: str | None, channel: str):
        """The request's credential, or a refusal (counted, S-11): 429 when the credential prefix it names
        has failed too often from anywhere (an attacker rotating addresses), or when a wrong token comes
        from an address that has failed too often; else 401. A valid token is never refused for other
        clients' failures at its address (a council behind the same proxy or NAT as an attacker)."""
        who = ops.Submitter(channel, self.address(request))
        named = TOKEN.fullmatch(token or "")
        prefix = named.group(1) if named else None
        if prefix and (retry := _lockout(session, RefusalTally.prefix == prefix, per=FAILED_PER_PREFIX)):
            message = "too many failed attempts with this credential: it is locked for a while"
            ops.refuse_quietly(session, who, ops.Refused(429, message), prefix=prefix)
            raise _TooMany(retry, message)
        try:
            credential = verify(session, token)
            credential.last_used_at = utcnow()  # reading counts as use, as writing does
            return credential
        except ops.Refused as exc:
            retry = _lockout(session, RefusalTally.address.is_not_distinct_from(who.address), per=FAILED_PER_ADDRESS)
            if retry:
                message = "too many failed credentials from this address"
                ops.refuse_quietly(session, who, ops.Refused(429, message), prefix=prefix)
                raise _TooMany(retry, message) from None
            ops.refuse_quietly(session, who, exc, prefix=prefix)
            raise

    def refused(self, request: Request, exc: ops.Refused) -> Response:
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, _TooMany) else {}
        if request.url.path.startswith("/api/"):
            if exc.status == 401:
                headers["WWW-Authenticate"] = 'Bearer realm="corrections"'
            return self.json({"error": exc.message}, exc.status, headers)
        response = self.page("error.html", exc.status, error=exc.message)
        response.headers.update(headers)
        return response

    def same_site(self, request: Request) -> None:
        """A browser form post must come from this service's own pages (S-10): its origin is the
        configured public one (behind a TLS proxy the intake itself sees plain http), else the request's."""
        fetch_site = request.headers.get("sec-fetch-site")
        if fetch_site is not None:
            if fetch_site not in ("same-origin", "none"):
                raise ops.Refused(403, "form posts are accepted only from this service's own pages")
            return
        origin = request.headers.get("origin")
        if origin is not None:
            own = self.origin or f"{request.url.scheme}://{request.url.netloc}"
            if origin.rstrip("/").lower() != own.lower():
                raise ops.Refused(403, "form posts are accepted only from this service's own pages")

    # The JSON API ----------------------------------------------------------------------

    async def api_councillors(self, request: Request) -> Response:
        with self.db.session() as session:
            try:
                credential = self.credential(session, request, _bearer(request), "api")
                people, former = gather_people(session, credential.council_id)
                rows = [_person(p, current=True) for p in people] + [_person(p, current=False) for p in former]
                council = session.get(Council, credential.council_id)
                return self.json({"council": {"code": council.code, "name": council.name}, "councillors": rows})
            except ops.Refused as exc:
                return self.refused(request, exc)

    async def api_list(self, request: Request) -> Response:
        with self.db.session() as session:
            try:
                credential = self.credential(session, request, _bearer(request), "api")
                rows = session.scalars(
                    select(Correction)
                    .where(Correction.council_id == credential.council_id)
                    .order_by(Correction.id.desc())
                    .limit(500)
                )
                return self.json({"corrections": [_correction(c) for c in rows]})
            except ops.Refused as exc:
                return self.refused(request, exc)

    async def api_submit(self, request: Request) -> Response:
        if _media_type(request) != "application/json":
            raise ops.Refused(415, "send the corrections as application/json")
        raw = await self.body(request, JSON_LIMIT)
        with self.db.session() as session:
            try:
                credential = self.credential(session, request, _bearer(request), "api")
                who = ops.Submitter("api", self.address(request), credential)
                self.limit(session, who)
                try:
                    submission = ops.Submission.model_validate_json(raw)
                except ValidationError as exc:
                    return self.invalid(session, who, ops.problems(exc))
                created = ops.submit(session, submission.corrections, who)
                return self.json({"corrections": [_correction(c) for c in created]}, 201)
            except ops.Refused as exc:
                return self.refused(request, exc)

    async def api_submit_csv(self, request: Request) -> Response:
        if _media_type(request) != "text/csv":
            raise ops.Refused(415, "send the file as text/csv")
        raw = await self.body(request, CSV_LIMIT)
        with self.db.session() as session:
            try:
                credential = self.credential(session, request, _bearer(request), "csv")
                who = ops.Submitter("csv", self.address(request), credential)
                self.limit(session, who)
                operations, problems = parse_csv(raw)
                if problems:
                    return self.invalid(session, who, problems)
                created = ops.submit(session, operations, who)
                return self.json({"corrections": [_correction(c) for c in created]}, 201)
            except ops.Refused as exc:
                return self.refused(request, exc)

    async def api_roster(self, request: Request) -> Response:
        """``PUT /api/v1/roster``: the council's whole roster as ``text/csv``, applied at the next run."""
        if _media_type(request) != "text/csv":
            raise ops.Refused(415, "send the roster as text/csv")
        raw = await self.body(request, ROSTER_LIMIT)
        with self.db.session() as session:
            try:
                credential = self.credential(session, request, _bearer(request), "api")
                who = ops.Submitter("api", self.address(request), credential)
                self.limit(session, who)
                roster, problems = parse_roster_csv(raw)
                if problems:
                    return self.invalid(session, who, problems, what="roster")
                row = published.publish(session, roster, who)
                return self.json({"roster": _published(row)}, 202)
            except ops.Refused as exc:
                return self.refused(request, exc)

    async def api_rosters(self, request: Request) -> Response:
        """``GET /api/v1/roster``: the council's published rosters and what became of them."""
        with self.db.session() as session:
            try:
                credential = self.credential(session, request, _bearer(request), "api")
                return self.json({"rosters": published.listing(session, credential.council_id)})
            except ops.Refused as exc:
                return self.refused(request, exc)

    def limit(self, session: Session, who: ops.Submitter) -> None:
        if who.credential is not None:
            retry = _retry_after(
                session,
                CorrectionEvent.credential_id == who.credential.id,
                CorrectionEvent.action == "submitted",
                limit=PER_CREDENTIAL,
                distinct_batches=True,
            )
            message = "this credential has sent too many submissions in the last hour"
        else:
            retry = _retry_after(
                session,
                CorrectionEvent.address == who.address,
                CorrectionEvent.channel == "public",
                CorrectionEvent.action == "submitted",
                limit=PUBLIC_PER_ADDRESS,
                distinct_batches=True,
            )
            message = "too many suggestions from this address in the last hour"
        if retry:
            ops.refuse_quietly(session, who, ops.Refused(429, message))
            raise _TooMany(retry, message)

    def invalid(
        self, session: Session, who: ops.Submitter, problems: list[dict], what: str = "corrections"
    ) -> Response:
        error = "the roster is not valid" if what == "roster" else "the corrections are not valid"
        ops.refuse_quietly(session, who, ops.Refused(422, error))  # counted; the problems go back to the sender
        return self.json({"error": f"{error}; nothing was stored", "problems": problems}, 422)

    # The HTML forms ----------------------------------------------------------------------

    async def council_form(self, request: Request) -> Response:
        # Filled in from the address where a link gives it (the site's data-quality report):
        # a known operation and short values only; the page escapes them like any value.
        asked = request.query_params
        values = {k: asked.get(k, "")[:200] for k in ("councillor", "name", "party", "ward")}
        values["account"] = asked.get("account", "")[:2048]
        values["op"] = asked.get("op", "") if asked.get("op", "") in ops.OPERATIONS else ""
        return self.page("council.html", values={k: v for k, v in values.items() if v})

    async def council_post(self, request: Request) -> Response:
        self.same_site(request)
        form = _form(await self.body(request, CSV_LIMIT), request)
        values = {k: v for k, v in form.items() if k != "token" and v}
        with self.db.session() as session:
            try:
                try:
                    credential = self.credential(session, request, form.get("token"), "form")
                except ops.Refused as exc:
                    if exc.status != 401:
                        raise
                    return self.page("council.html", exc.status, error=exc.message, values=values)
                who = ops.Submitter("form", self.address(request), credential)
                self.limit(session, who)
                if form.get("csv", "").strip():
                    operations, problems = parse_csv(form["csv"].encode())
                else:
                    operations, problems = _one_operation(values)
                if problems:
                    self.invalid(session, who, problems)
                    return self.page("council.html", 422, problems=problems, values=values)
                created = ops.submit(session, operations, who)
                return self.page("thanks.html", 201, corrections=[_correction(c) for c in created], council=True)
            except ops.Refused as exc:
                return self.refused(request, exc)

    async def roster_form(self, request: Request) -> Response:
        return self.page("roster.html")

    async def roster_post(self, request: Request) -> Response:
        """The council form's roster: the same CSV, pasted, with the credential typed in."""
        self.same_site(request)
        form = _form(await self.body(request, ROSTER_FORM_LIMIT), request)
        values = {"csv": form.get("csv", "")}
        with self.db.session() as session:
            try:
                try:
                    credential = self.credential(session, request, form.get("token"), "form")
                except ops.Refused as exc:
                    if exc.status != 401:
                        raise
                    return self.page("roster.html", exc.status, error=exc.message, values=values)
                who = ops.Submitter("form", self.address(request), credential)
                self.limit(session, who)
                roster, problems = parse_roster_csv(form.get("csv", "").encode("utf-8"))
                if problems:
                    self.invalid(session, who, problems, what="roster")
                    return self.page("roster.html", 422, problems=problems, values=values)
                row = published.publish(session, roster, who)
                return self.page("roster.html", 202, received=_published(row))
            except ops.Refused as exc:
                return self.refused(request, exc)

    async def suggest_form(self, request: Request) -> Response:
        slug = request.query_params.get("councillor", "")[:120]
        with self.db.session() as session:
            try:
                councillor = session.scalar(select(Councillor).where(Councillor.slug == slug)) if slug else None
                return self.page("suggest.html", councillor=councillor, values={"councillor": slug})
            except ops.Refused as exc:
                return self.refused(request, exc)

    async def suggest_post(self, request: Request) -> Response:
        self.same_site(request)
        form = _form(await self.body(request, JSON_LIMIT), request)
        values = {k: v for k, v in form.items() if v and k != "website"}
        with self.db.session() as session:
            try:
                who = ops.Submitter("public", self.address(request))
                if form.get("website"):  # the honeypot: people never see it, form-filling robots do
                    ops.refuse_quietly(session, who, ops.Refused(400, "honeypot field filled"))
                    return self.page("thanks.html", 200, corrections=[], council=False)
                self.limit(session, who)
                operations, problems = _one_operation(values)
                if problems:
                    self.invalid(session, who, problems)
                    return self.page("suggest.html", 422, problems=problems, values=values, councillor=None)
                created = ops.submit(session, operations, who)
                return self.page("thanks.html", 201, corrections=[_correction(c) for c in created], council=False)
            except ops.Refused as exc:
                return self.refused(request, exc)

    async def health(self, request: Request) -> Response:
        return self.json({"ok": True})

    async def stylesheet(self, request: Request) -> Response:
        return FileResponse(Path(str(files("site_templates"))) / "static" / "style.css", headers=HEADERS)

    async def icon(self, request: Request) -> Response:
        return FileResponse(Path(str(files("site_templates"))) / "static" / "favicon.svg", headers=HEADERS)


class _TooMany(ops.Refused):
    def __init__(self, retry_after: int, message: str):
        super().__init__(429, message)
        self.retry_after = retry_after


def create_app(
    db: Database, *, site_url: str | None = None, public_url: str | None = None, trusted_proxies: Iterable[str] = ()
) -> Starlette:
    """The intake's ASGI app. ``public_url``: where browsers reach it (``CLLR_INTAKE_URL``), whose origin
    form posts must come from; ``trusted_proxies``: the reverse proxies whose ``X-Forwarded-For`` is read."""
    intake = Intake(db, site_url=site_url, public_url=public_url, trusted_proxies=trusted_proxies)

    async def refused(request: Request, exc: ops.Refused) -> Response:
        return intake.refused(request, exc)

    routes = [
        Route("/api/v1/councillors", intake.api_councillors, methods=["GET"]),
        Route("/api/v1/corrections", intake.api_list, methods=["GET"]),
        Route("/api/v1/corrections", intake.api_submit, methods=["POST"]),
        Route("/api/v1/corrections.csv", intake.api_submit_csv, methods=["POST"]),
        Route("/api/v1/roster", intake.api_rosters, methods=["GET"]),
        Route("/api/v1/roster", intake.api_roster, methods=["PUT"]),
        Route("/council", intake.council_form, methods=["GET"]),
        Route("/council", intake.council_post, methods=["POST"]),
        Route("/council/roster", intake.roster_form, methods=["GET"]),
        Route("/council/roster", intake.roster_post, methods=["POST"]),
        Route("/suggest", intake.suggest_form, methods=["GET"]),
        Route("/suggest", intake.suggest_post, methods=["POST"]),
        Route("/health", intake.health, methods=["GET"]),
        Route("/static/style.css", intake.stylesheet, methods=["GET"]),
        Route("/static/favicon.svg", intake.icon, methods=["GET"]),
    ]
    return Starlette(routes=routes, exception_handlers={ops.Refused: refused})


# Helpers -----------------------------------------------------------------------------------


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _bearer(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def _form(raw: bytes, request: Request) -> dict[str, str]:
    if _media_type(request) != "application/x-www-form-urlencoded":
        raise ops.Refused(415, "send the form as application/x-www-form-urlencoded")
    try:
        fields = parse_qs(raw.decode("utf-8"), keep_blank_values=True, max_num_fields=50, strict_parsing=False)
    except (UnicodeDecodeError, ValueError):
        raise ops.Refused(400, "the form could not be read") from None
    return {key[:40]: values[0] for key, values in fields.items()}


FORM_FIELDS = ("op", "councillor", "account", "role", "name", "party", "ward", "left_on", "evidence_url", "note")


def _one_operation(values: dict[str, str]):
    """The one operation a form describes, or its problems (fields the operation does not take are dropped)."""
    record = {k: v for k, v in values.items() if k in FORM_FIELDS}
    kind = record.get("op")
    if kind not in ops.OPERATIONS:
        return [], [{"field": "op", "problem": "choose what to correct"}]
    allowed = set(ops.OPERATION_FIELDS[kind])
    try:
        return [ops.OPERATION.validate_python({k: v for k, v in record.items() if k in allowed})], []
    except ValidationError as exc:
        return [], ops.problems(exc)


def _lockout(session: Session, *where, per: int) -> int:
    """Seconds a client (``where``: an address, or a credential prefix) must wait after failing
    credentials too often; 0 if it may try.

    Each time the day's failed credentials reach another ``per``, it waits twice as long as the
    time before: an hour from the failure that reached it, then two, four, up to a day (S-11's
    exponential lockout). Failures are counted per hour (``RefusalTally``): the failure that
    reached a level is taken as its hour's last, which can only lengthen the wait.
    """
    now = utcnow()
    rows = session.execute(
        select(RefusalTally.count, RefusalTally.last_at)
        .where(*where, RefusalTally.status == 401, RefusalTally.last_at >= now - LOCKOUT_MAX)
        .order_by(RefusalTally.hour, RefusalTally.last_at)
    ).all()
    level = sum(count for count, _ in rows) // per
    if level == 0:
        return 0
    counted = 0
    for count, at in rows:
        counted += count
        if counted >= level * per:
            until = at + min(WINDOW * 2 ** (level - 1), LOCKOUT_MAX)
            return max(0, int((until - now).total_seconds()) + 1) if until > now else 0
    return 0


def _retry_after(session: Session, *where, limit: int, distinct_batches: bool = False) -> int:
    """Seconds until the count of audit rows matching ``where`` in the last hour drops below ``limit``; 0 if it is below."""
    since = utcnow() - WINDOW
    rows = select(
        CorrectionEvent.batch if distinct_batches else CorrectionEvent.id, func.min(CorrectionEvent.at).label("at")
    )
    rows = rows.where(CorrectionEvent.at >= since, *where).group_by(
        CorrectionEvent.batch if distinct_batches else CorrectionEvent.id
    )
    times = sorted(row.at for row in session.execute(rows))
    if len(times) < limit:
        return 0
    oldest_needed = times[len(times) - limit]
    return max(1, int((oldest_needed + WINDOW - utcnow()).total_seconds()) + 1)


def _person(person, *, current: bool) -> dict:
    m = person.membership
    return {
        "councillor": person.councillor.slug,
        "name": person.councillor.name,
        "ward": m.ward.name,
        "party": m.party_label,
        "current": current,
        "accounts": [
            {"url": a.account.url, "platform": a.account.platform, "level": a.level, "role": a.account.role}
            for a in person.accounts
        ],
    }


def _correction(c: Correction) -> dict:
    return {
        "id": c.id,
        "councillor": c.councillor.slug,
        "op": c.operation,
        "values": c.payload,
        "status": c.status,
        "submitted_at": c.submitted_at.isoformat(),
        "evidence_url": c.evidence_url,
    }


def _published(row) -> dict:
    return published.summary(row) | {
        "status": row.status,
        "received_at": row.received_at.isoformat(),
        "applies": "at the next refresh run, instead of reading the council's pages",
    }
