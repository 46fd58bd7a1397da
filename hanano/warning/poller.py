"""The poller of foreign CAP feeds: each registered URL fetched in turn, every new alert imported.

A feed is a CAP Atom or RSS feed (entries linking to CAP documents, or carrying them inline) or a
single CAP document. Fetches are conditional (ETag / If-Modified-Since), bounded in time and size,
and follow at most three redirects. Each alert is imported once, through `import_cap`, whatever
the number of times the feed lists it (sender and identifier name it); a linked document read
whole is not fetched again. A failure of one feed or one document is recorded with the feed and
logged; it never stops the others or the poller.

XML is parsed only by defusedxml with DTDs forbidden, as a stream, so a feed or a document
declaring an entity is refused whole and nothing it points at is fetched. A feed registered with
a signing certificate has each of its documents checked against it; a refused one is recorded
(hanano.warning.refusals), kept as an error of the feed and tried again at the next poll.
"""

from __future__ import annotations

import hashlib
import io
import logging
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlparse

import httpx2 as httpx
from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException
from sqlalchemy import Connection, select

from hanano.clock import SystemClock, isoformat
from hanano.domain import Runtime
from hanano.errors import Problem
from hanano.warning.cap import ForeignCapError, xml_root_name
from hanano.warning.feeds import feed_trust
from hanano.warning.foreign import Origin, import_cap, read_cap
from hanano.warning.signatures import TrustedCert
from hanano.warning.tables import feed_items, feed_state, feeds

log = logging.getLogger(__name__)
ACTOR = "hanano:feeds"
ACCEPT = (
    "application/atom+xml, application/rss+xml, application/cap+xml, "
    "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.1"
)
MAX_LINKS = 200


class FetchError(Exception):
    pass


@dataclass
class PollOutcome:
    """What one pass over one feed did."""

    feed_id: str
    status: str  # ok, not_modified or failed
    imported: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    etag: str | None = None
    last_modified: str | None = None


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _entry_links(element: Any) -> list[str]:
    links = [c for c in element if _local(c.tag) == "link" and c.get("href")]
    typed = [c for c in links if "cap" in (c.get("type") or "").lower()]
    plain = [c for c in links if c.get("rel") in (None, "alternate", "enclosure")]
    return [c.get("href") for c in (typed or plain[:1])]


def _item_links(element: Any) -> list[str]:
    found = []
    for child in element:
        if _local(child.tag) == "link" and (child.text or "").strip():
            found.append(child.text.strip())
        elif _local(child.tag) == "enclosure" and child.get("url"):
            found.append(child.get("url"))
    return found


def feed_contents(document: bytes, base: str) -> tuple[list[str], bool]:
    """The CAP documents an Atom or RSS feed links to, as absolute http(s) URLs, and whether it
    carries alerts inline; read as a stream, each entry dropped once read."""
    found: list[str] = []
    inline = False
    try:
        for _, element in SafeET.iterparse(io.BytesIO(document), events=("end",), forbid_dtd=True):
            name = _local(element.tag)
            if name == "entry":
                found.extend(_entry_links(element))
            elif name == "item":
                found.extend(_item_links(element))
            elif name == "alert":
                inline = True
            else:
                continue
            element.clear()
    except DefusedXmlException as exc:
        raise FetchError(f"refused: the feed declares a DTD or entities ({exc})") from exc
    except SafeET.ParseError as exc:
        raise FetchError(f"not XML: {exc}") from exc
    out: list[str] = []
    for href in found:
        url = urljoin(base, href.strip())
        if urlparse(url).scheme in ("http", "https") and url not in out:
            out.append(url)
    return out[:MAX_LINKS], inline


def root_name(document: bytes) -> str:
    try:
        return xml_root_name(document)
    except ForeignCapError as exc:
        raise FetchError(str(exc)) from exc


class FeedPoller:
    """Fetches every registered feed each `feed_poll_s`, in a thread of the server."""

    def __init__(self, service: Runtime, client: httpx.Client | None = None) -> None:
        self.service = service
        settings = service.settings
        self.max_bytes = settings.feed_max_bytes
        self.interval = settings.feed_poll_s
        self.client = client or httpx.Client(
            timeout=httpx.Timeout(settings.feed_timeout_s),
            follow_redirects=True,
            max_redirects=3,
            headers={"User-Agent": f"hanano/{settings.city} CAP feed reader", "Accept": ACCEPT},
        )
        self.wall = SystemClock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> FeedPoller:
        self._thread = threading.Thread(target=self._run, name="hanano-feeds", daemon=True)
        self._thread.start()
        return self

    def poke(self) -> None:
        """Poll now (a feed was just added)."""
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
        self.client.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll_all()
            except Exception:
                log.exception("feed poll failed")
            self._wake.wait(self.interval)
            self._wake.clear()

    def poll_all(self) -> list[PollOutcome]:
        with self.service.engine.connect() as conn:
            registered = [(r.feed_id, r.url, r.cert_pem) for r in conn.execute(select(feeds))]
        out = []
        for feed_id, url, pem in registered:
            if self._stop.is_set():
                break
            out.append(self.poll_feed(feed_id, url, feed_trust(pem)))
        return out

    def _registered_trust(self, feed_id: str) -> TrustedCert | None:
        with self.service.engine.connect() as conn:
            pem = conn.execute(select(feeds.c.cert_pem).where(feeds.c.feed_id == feed_id)).scalar()
        return feed_trust(pem)

    def poll_feed(self, feed_id: str, url: str, trust: TrustedCert | None = None) -> PollOutcome:
        """Fetch one feed and import what is new in it; record how it went. Without `trust`, the
        certificate the feed is registered with, if any, is looked up: a caller cannot skip it."""
        if trust is None:
            trust = self._registered_trust(feed_id)
        with self._lock:
            try:
                outcome = self._poll(feed_id, url, trust)
            except Exception as exc:
                message = (
                    str(exc) if isinstance(exc, FetchError) else f"{type(exc).__name__}: {exc}"
                )
                outcome = PollOutcome(feed_id, "failed", errors=[message])
            if outcome.errors:
                log.warning("feed %s (%s): %s", feed_id, url, "; ".join(outcome.errors))
            self._record(feed_id, outcome)
            return outcome

    def _poll(self, feed_id: str, url: str, trust: TrustedCert | None) -> PollOutcome:
        with self.service.engine.connect() as conn:
            state = conn.execute(select(feed_state).where(feed_state.c.feed_id == feed_id)).first()
        headers = {}
        if state is not None and state.etag:
            headers["If-None-Match"] = state.etag
        if state is not None and state.last_modified:
            headers["If-Modified-Since"] = state.last_modified
        status, body, response_headers = self._fetch(url, headers)
        if status == 304:
            return PollOutcome(feed_id, "not_modified")
        kind = root_name(body)
        outcome = PollOutcome(
            feed_id,
            "ok",
            etag=response_headers.get("etag"),
            last_modified=response_headers.get("last-modified"),
        )
        origin = Origin("feed", feed_id, url)
        if kind == "alert":
            self._import(body, origin, trust, outcome)
        elif kind in ("feed", "rss", "RDF"):
            links, inline = feed_contents(body, url)
            if inline:
                self._import(body, origin, trust, outcome)
            for link in links:
                self._read_linked(feed_id, link, trust, outcome)
        else:
            raise FetchError(f"neither a CAP alert nor an Atom or RSS feed: <{kind}>")
        if outcome.errors:
            outcome.status = "failed"
        return outcome

    def _read_linked(
        self, feed_id: str, link: str, trust: TrustedCert | None, outcome: PollOutcome
    ) -> None:
        digest = hashlib.sha256(link.encode()).hexdigest()
        with self.service.engine.connect() as conn:
            seen = conn.execute(
                select(feed_items.c.url_sha256).where(
                    feed_items.c.feed_id == feed_id, feed_items.c.url_sha256 == digest
                )
            ).first()
        if seen is not None:
            return
        try:
            status, body, _ = self._fetch(link, {})
            if status != 200:
                raise FetchError(f"HTTP {status}")
            if not self._import(body, Origin("feed", feed_id, link), trust, outcome):
                return  # refused: not marked read, tried again, recorded once
        except (FetchError, Problem, httpx.HTTPError) as exc:
            # Not marked read: it is tried again next time, and its error stays on the feed.
            outcome.errors.append(f"{link}: {_describe(exc)}")
            return
        now = isoformat(self.wall.now())
        self._write(
            lambda conn: conn.execute(
                feed_items.insert().values(
                    feed_id=feed_id, url_sha256=digest, url=link, read_at=now
                )
            )
        )

    def _import(
        self, document: bytes, origin: Origin, trust: TrustedCert | None, outcome: PollOutcome
    ) -> bool:
        """Import a fetched document's new alerts; False when its signature was refused."""
        # Read (and its signature checked) here, in the poller's thread, not in the writer's.
        reading = read_cap(
            document, max_bytes=self.max_bytes, trust=trust, now=self.service.clock.now()
        )
        result = self.service.execute(
            lambda tx: import_cap(tx, ACTOR, reading, only_new=True, origin=origin)
        )
        if result.refused is not None:
            outcome.errors.append(f"{origin.url}: refused: {result.refused}")
            return False
        outcome.imported.extend(
            {"foreign_id": i.foreign_id, "identifier": i.identifier, "level": i.level}
            for i in result.imported
        )
        return True

    def _fetch(self, url: str, headers: dict[str, str]) -> tuple[int, bytes, dict[str, str]]:
        limit = self.max_bytes
        try:
            with self.client.stream("GET", url, headers=headers) as response:
                if response.status_code == 304:
                    return 304, b"", {}
                if response.status_code != 200:
                    raise FetchError(f"HTTP {response.status_code}")
                length = response.headers.get("content-length", "")
                if length.isdigit() and int(length) > limit:
                    raise FetchError(f"larger than {limit} bytes")
                chunks, size = [], 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > limit:
                        raise FetchError(f"larger than {limit} bytes")
                    chunks.append(chunk)
                kept = {
                    k: response.headers[k]
                    for k in ("etag", "last-modified")
                    if k in response.headers
                }
                return 200, b"".join(chunks), kept
        except httpx.HTTPError as exc:
            raise FetchError(f"{type(exc).__name__}: {exc}") from exc

    def _record(self, feed_id: str, outcome: PollOutcome) -> None:
        now = isoformat(self.wall.now())

        def write(conn: Connection) -> None:
            if (
                conn.execute(select(feeds.c.feed_id).where(feeds.c.feed_id == feed_id)).first()
                is None
            ):
                # Removed while this fetch was under way: its state went with it, and a feed
                # added again later (same URL, same id) must start as never fetched.
                return
            row = conn.execute(select(feed_state).where(feed_state.c.feed_id == feed_id)).first()
            values: dict[str, Any] = {"checked_at": now, "status": outcome.status}
            if outcome.status == "failed":
                values["error"] = "; ".join(outcome.errors)[:4000]
                values["failures"] = (row.failures if row else 0) + 1
            else:
                values.update(error=None, failures=0, ok_at=now)
            if outcome.status == "ok" and not outcome.errors:
                # Validators only once everything the feed named was read: a feed whose linked
                # document failed is fetched whole again.
                values.update(etag=outcome.etag, last_modified=outcome.last_modified)
            values["imported"] = (row.imported if row else 0) + len(outcome.imported)
            if row is None:
                conn.execute(feed_state.insert().values(feed_id=feed_id, **values))
            else:
                conn.execute(
                    feed_state.update().where(feed_state.c.feed_id == feed_id).values(**values)
                )

        self._write(write)

    def _write(self, write: Any) -> None:
        """Operational state: through the one writer while it runs, else straight to the store."""
        sequencer = self.service.sequencer
        if sequencer.running:
            try:
                sequencer.execute(lambda tx: write(tx.conn))
                return
            except RuntimeError:
                pass
        with self.service.engine.begin() as conn:
            write(conn)


def _describe(exc: Exception) -> str:
    if isinstance(exc, Problem):
        return f"{exc.title}: {exc.detail}"
    return str(exc)


def start_feed_poller(service: Runtime) -> FeedPoller:
    """The poller thread of a server; stop() it with the server."""
    return FeedPoller(service).start()
