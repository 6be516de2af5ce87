"""A polite HTTP client for the paper services.

One request at a time, at least ``min_interval`` seconds between the starts of two requests (arXiv asks
for 3 s), retries with exponential back-off on what a service can recover from (429, 5xx, timeouts,
dropped connections), and ``Retry-After`` honoured. The clock and the sleep are injectable so tests can
check the waits without waiting.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from landscape.errors import LandscapeError

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# The largest answer accepted (after decompression); the services' largest pages are a few MB.
MAX_RESPONSE_BYTES = 64 * 1024**2
_CHUNK = 64 * 1024


class _TooSlow(Exception):
    """The whole answer did not arrive within the deadline."""


def _deadline_adapter():
    """A requests adapter that remembers its open sockets, so a watchdog can cut a request that is
    still waiting at its deadline (a server dripping header bytes never trips a per-read timeout)."""
    import socket
    import weakref

    from requests.adapters import HTTPAdapter
    from urllib3.connection import HTTPConnection, HTTPSConnection
    from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

    class DeadlineAdapter(HTTPAdapter):
        def __init__(self):
            self.connections = weakref.WeakSet()
            super().__init__()

        def init_poolmanager(self, *args, **kwargs):
            super().init_poolmanager(*args, **kwargs)
            live = self.connections

            def tracked(base):
                class Tracked(base):
                    def connect(self):
                        super().connect()
                        live.add(self)

                return Tracked

            self.poolmanager.pool_classes_by_scheme = {
                "http": type("Pool", (HTTPConnectionPool,), {"ConnectionCls": tracked(HTTPConnection)}),
                "https": type("Pool", (HTTPSConnectionPool,), {"ConnectionCls": tracked(HTTPSConnection)}),
            }

        def cut(self):
            """Shut every open socket down: a read blocked on it returns at once."""
            for connection in list(self.connections):
                sock = getattr(connection, "sock", None)
                if sock is not None:
                    try:
                        sock.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass

    return DeadlineAdapter()


# Looked up when a client is made (not at import), so tests can swap them for a fake clock.
DEFAULT_CLOCK = time.monotonic
DEFAULT_SLEEP = time.sleep


def progress_log(log=None, quiet: bool = False):
    """Where a fetcher's one-line progress goes: ``log`` when given, else stderr unless ``quiet``.

    One line a page, on stderr, so a user of the Python API or a notebook is not left in silence.
    """
    if log is not None:
        return log
    if quiet:
        return lambda message: None
    import sys

    return lambda message: print(message, file=sys.stderr, flush=True)


def resolve_base_url(base_url: str | None, env_var: str, default: str) -> str:
    """The endpoint to use: ``--base-url``, else the environment variable, else the public service."""
    url = base_url or os.environ.get(env_var) or default
    if not url.startswith(("http://", "https://")):
        raise LandscapeError(f"base URL must start with http:// or https://, got {url!r}")
    return url


@dataclass
class Response:
    """What a successful request gave: the final URL, status, body bytes and headers."""

    url: str
    status: int
    content: bytes
    headers: dict = field(default_factory=dict)


def _retry_after(value: str | None) -> float | None:
    """Seconds asked for by a ``Retry-After`` header (a number of seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


class PoliteClient:
    """GET requests with a minimum interval, retries, back-off and timeouts.

    Parameters
    ----------
    source : str
        Name of the service, used in every message (``"arXiv"``).
    min_interval : float
        Seconds between the starts of two requests (retries included).
    timeout : float
        Seconds one request may take in total (connecting, waiting and reading the whole body), so a
        server that drips bytes cannot hold a fetch.
    max_bytes : int
        The largest body accepted (default ``MAX_RESPONSE_BYTES``); a larger one stops the fetch.
    retries : int
        Retries after the first try for 429, 5xx, timeouts and connection errors.
    backoff : float
        First back-off in seconds; doubles on each retry (capped at ``max_wait``).
    max_wait : float
        The longest single wait, ``Retry-After`` included.
    user_agent : str or None
        The ``User-Agent`` header.
    clock, sleep : callables or None
        Monotonic clock and sleep function (default: ``time.monotonic`` and ``time.sleep``).
    log : callable or None
        Called with one-line progress messages (retries, waits).
    """

    def __init__(
        self,
        source: str,
        *,
        min_interval: float = 1.0,
        timeout: float = 30.0,
        max_bytes: int = MAX_RESPONSE_BYTES,
        retries: int = 4,
        backoff: float = 2.0,
        max_wait: float = 300.0,
        user_agent: str | None = None,
        clock=None,
        sleep=None,
        log=None,
    ):
        if min_interval < 0 or timeout <= 0 or retries < 0 or backoff < 0:
            raise LandscapeError(
                "min_interval, retries and backoff must be >= 0 and timeout > 0, got "
                f"min_interval={min_interval}, timeout={timeout}, retries={retries}, backoff={backoff}"
            )
        self.source = source
        self.min_interval = float(min_interval)
        self.timeout = float(timeout)
        self.max_bytes = int(max_bytes)
        self.retries = int(retries)
        self.backoff = float(backoff)
        self.max_wait = float(max_wait)
        self.user_agent = user_agent or _default_user_agent()
        self.clock = clock or DEFAULT_CLOCK
        self.sleep = sleep or DEFAULT_SLEEP
        self.log = log or (lambda message: None)
        self.request_times: list[float] = []  # clock() at the start of every request, for the record
        self.waits: list[tuple[str, float]] = []  # ("interval" | "retry", seconds) for every sleep
        self._session = None
        self._adapter = None

    # -- internals --------------------------------------------------------------------------------

    def _wait(self, kind: str, seconds: float) -> None:
        if seconds > 0:
            self.waits.append((kind, seconds))
            self.sleep(seconds)

    def _respect_interval(self) -> None:
        if self.request_times:
            due = self.request_times[-1] + self.min_interval
            self._wait("interval", due - self.clock())

    def _get_session(self):
        if self._session is None:
            import requests

            self._session = requests.Session()
            self._session.headers["User-Agent"] = self.user_agent
            self._adapter = _deadline_adapter()
            for scheme in ("http://", "https://"):
                self._session.mount(scheme, self._adapter)
        return self._session

    def _read_body(self, resp, deadline: float, where: str) -> bytes:
        """The body, read in pieces as they arrive, within the deadline and the size cap."""
        chunks, size = [], 0
        while True:
            if time.monotonic() > deadline:
                raise _TooSlow
            chunk = resp.raw.read1(_CHUNK, decode_content=True)
            if not chunk:
                return b"".join(chunks)
            size += len(chunk)
            if size > self.max_bytes:
                resp.close()
                raise self._fail(
                    where,
                    f"the answer is larger than {self.max_bytes:,} bytes (http.MAX_RESPONSE_BYTES); stopped",
                )
            chunks.append(chunk)

    def _fail(self, where: str, message: str) -> LandscapeError:
        return LandscapeError(f"{self.source}, {where}: {message}" if where else f"{self.source}: {message}")

    # -- the one public call ----------------------------------------------------------------------

    def get(
        self, url: str, params: dict | None = None, *, where: str = "", headers: dict | None = None, accept=()
    ) -> Response:
        """GET ``url``; return the response of the first success or raise ``LandscapeError``.

        ``where`` names the page in messages, e.g. ``"page 3 (start=200)"``. Error statuses listed in
        ``accept`` are returned too, for services that explain errors in the body (arXiv's 400).
        """
        import requests
        import urllib3

        session = self._get_session()
        attempts = self.retries + 1
        for attempt in range(1, attempts + 1):
            self._respect_interval()
            self.request_times.append(self.clock())
            retry_after = None
            deadline = time.monotonic() + self.timeout
            watchdog = threading.Timer(self.timeout, self._adapter.cut)
            watchdog.daemon = True
            watchdog.start()
            late = f"no answer within {self.timeout:g} s"
            try:
                try:
                    resp = session.get(url, params=params, headers=headers, timeout=self.timeout, stream=True)
                    try:
                        body = self._read_body(resp, deadline, where)
                    finally:
                        resp.close()
                finally:
                    watchdog.cancel()
            except (requests.Timeout, _TooSlow, urllib3.exceptions.ReadTimeoutError):
                problem = late
            except (urllib3.exceptions.ProtocolError, urllib3.exceptions.DecodeError) as exc:
                broken = f"connection broken while reading ({_why(exc)})"
                problem = late if time.monotonic() >= deadline else broken
            except requests.ConnectionError as exc:
                problem = late if time.monotonic() >= deadline else f"connection failed ({_why(exc)})"
            except requests.RequestException as exc:  # invalid URL and the like: retrying cannot help
                if time.monotonic() < deadline:
                    raise self._fail(where, f"request to {url} failed: {exc}") from exc
                problem = late  # cut by the watchdog
            else:
                if resp.status_code < 400 or resp.status_code in accept:
                    # bytes, not text: requests guesses Latin-1 for text/* without a charset
                    return Response(resp.url, resp.status_code, body, dict(resp.headers))
                problem = f"HTTP {resp.status_code} {resp.reason or ''}".rstrip()
                if resp.status_code not in RETRY_STATUSES:
                    text = body.decode("utf-8", "replace")
                    raise self._fail(where, f"{problem} from {resp.url}: {_short(text)}")
                retry_after = _retry_after(resp.headers.get("Retry-After"))
            if attempt == attempts:
                raise self._fail(where, f"gave up after {attempts} tries: {problem} ({url})")
            wait = min(self.backoff * 2 ** (attempt - 1), self.max_wait)
            if retry_after is not None:
                if retry_after > self.max_wait:
                    raise self._fail(
                        where, f"{problem}; the service asks to wait {retry_after:.0f} s (Retry-After)"
                    )
                wait = max(wait, retry_after)
            self.log(
                f"{self.source}, {where or url}: {problem}; retry {attempt} of {self.retries} in {wait:g} s"
            )
            self._wait("retry", wait)
        raise AssertionError("unreachable")  # the loop returns or raises


def _why(exc: Exception) -> str:
    return f"{type(exc).__name__}: {_short(str(exc))}"


def _short(text: str, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit] + " …"


def _default_user_agent() -> str:
    from landscape import __version__

    return f"landscape/{__version__} (paper landscape builder; python-requests)"
