"""The primary a mirror follows, over HTTP with the mirror's token: its /tlog/ resources."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager

import httpx2 as httpx

from hanano.evidence.blobs import CHUNK


class Unreachable(Exception):
    """The primary did not answer as a tlog-tiles server does (network, status)."""


class Primary:
    """The primary's /tlog/ over HTTP, with the mirror's token; `fetch` is what tests replace."""

    def __init__(self, url: str, token: str | None, timeout: float = 30.0, workers: int = 4):
        base = url.rstrip("/")
        self.url = base
        self.base = base if base.endswith("/tlog") else base + "/tlog"
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.client = httpx.Client(headers=headers, timeout=timeout)
        self.workers = workers

    def fetch(self, path: str) -> bytes:
        try:
            response = self.client.get(f"{self.base}/{path}")
        except httpx.HTTPError as exc:
            raise Unreachable(f"{path}: the primary did not answer ({exc})") from None
        if response.status_code != 200:
            raise Unreachable(
                f"{path}: the primary answered {response.status_code}: {response.text[:200]}"
            )
        return response.content

    def fetch_all(self, paths: list[str]) -> list[bytes]:
        with ThreadPoolExecutor(self.workers) as pool:
            return list(pool.map(self.fetch, paths))

    def stream(self, paths: list[str], ahead: int = 32) -> Iterator[bytes]:
        """Each path's body in order, fetched up to `ahead` in advance while the caller works."""
        with ThreadPoolExecutor(self.workers) as pool:
            waiting: deque[Future[bytes]] = deque()
            for path in paths:
                waiting.append(pool.submit(self.fetch, path))
                if len(waiting) > ahead:
                    yield waiting.popleft().result()
            while waiting:
                yield waiting.popleft().result()

    @contextmanager
    def chunks(self, path: str) -> Iterator[Iterator[bytes]]:
        """A large body (a media file) as it arrives, never whole in memory; a dropped
        connection while it is read is Unreachable too."""
        try:
            with self.client.stream("GET", f"{self.base}/{path}") as response:
                if response.status_code != 200:
                    response.read()
                    raise Unreachable(
                        f"{path}: the primary answered {response.status_code}: "
                        f"{response.text[:200]}"
                    )
                yield response.iter_bytes(CHUNK)
        except httpx.HTTPError as exc:
            raise Unreachable(f"{path}: the primary did not answer ({exc})") from None

    def close(self) -> None:
        self.client.close()
