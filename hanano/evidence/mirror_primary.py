"""The primary a mirror follows, over HTTP with the mirror's token: its /tlog/ resources."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager

import httpx2 as httpx

from hanano.evidence.blobs import CHUNK


class Unreachable(Exception):
    """The primary did not answer as a tlog-tiles server does (network, status)."""


class Ahead:
    """Bodies fetched in order on a pool of threads, at most `ahead` beyond the one read;
    `close` drops what is still waiting (a caller that stops early, refused)."""

    def __init__(
        self, fetch: Callable[[str], bytes], paths: list[str], ahead: int, workers: int
    ) -> None:
        self._fetch = fetch
        self._paths = iter(paths)
        self._ahead = ahead
        self._pool = ThreadPoolExecutor(workers)
        self._waiting: deque[Future[bytes]] = deque()
        self._fill()

    def _fill(self) -> None:
        while len(self._waiting) <= self._ahead:
            path = next(self._paths, None)
            if path is None:
                return
            self._waiting.append(self._pool.submit(self._fetch, path))

    def __iter__(self) -> Ahead:
        return self

    def __next__(self) -> bytes:
        if not self._waiting:
            self.close()
            raise StopIteration
        try:
            body = self._waiting.popleft().result()
        except BaseException:
            self.close()
            raise
        self._fill()
        return body

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> Ahead:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


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

    def stream(self, paths: list[str], ahead: int = 32) -> Ahead:
        """Each path's body in order, fetched up to `ahead` in advance while the caller works.
        The first fetches start now, not at the first read, so that they overlap whatever the
        caller does before it reads (a mirror checks the hash tiles meanwhile)."""
        return Ahead(self.fetch, paths, ahead, self.workers)

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
