"""The polite HTTP client, against a real HTTP server on 127.0.0.1 (no network beyond it).

``FakeServer`` and ``FakeClock`` are shared by the other ``test_fetch_*`` files.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from landscape.errors import LandscapeError
from landscape.fetch.http import PoliteClient, resolve_base_url

DATA = Path(__file__).resolve().parent / "data" / "fetch"


class FakeClock:
    """A monotonic clock that only moves when something sleeps: waits are computed, never waited."""

    def __init__(self, start: float = 1000.0):
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class FakeServer:
    """An HTTP server on an ephemeral port of 127.0.0.1 in a thread.

    ``route(path, query) -> (status, body, headers)`` answers each GET (``query`` maps names to the
    first value; a ``"delay"`` header in the answer holds the reply back that many seconds, a
    ``"drip"`` header sends the body one byte every that many seconds).
    Every request is recorded in ``requests`` as ``(path, query)``.
    """

    def __init__(self, route):
        self.route = route
        self.requests: list[tuple[str, dict]] = []
        self.raw_headers: list[dict] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's naming)
                parts = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
                server.requests.append((parts.path, query))
                server.raw_headers.append(dict(self.headers))
                status, body, headers = server.route(parts.path, query)
                headers = dict(headers or {})
                delay = float(headers.pop("delay", 0))
                drip = float(headers.pop("drip", 0))
                if delay:
                    server.stop_event.wait(delay)
                if isinstance(body, str):
                    body = body.encode()
                try:
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, str(value))
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    if drip:
                        for i in range(len(body)):
                            if server.stop_event.wait(drip):
                                return
                            self.wfile.write(body[i : i + 1])
                            self.wfile.flush()
                    else:
                        self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout test)

            def log_message(self, *args):
                pass

        self.stop_event = threading.Event()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.handle_error = lambda request, address: None
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.02,), daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop_event.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def fake_client(source="Test", *, min_interval=3.0, timeout=5.0, retries=3, clock=None):
    clock = clock or FakeClock()
    return PoliteClient(
        source, min_interval=min_interval, timeout=timeout, retries=retries, clock=clock, sleep=clock.sleep
    )


def test_requests_are_spaced_by_the_minimum_interval_without_sleeping():
    with FakeServer(lambda path, query: (200, "ok", {})) as server:
        client = fake_client(min_interval=3.0)
        for _ in range(4):
            assert client.get(server.url + "/q").content == b"ok"
    gaps = [b - a for a, b in zip(client.request_times, client.request_times[1:], strict=False)]
    assert len(server.requests) == 4
    assert gaps == [3.0, 3.0, 3.0]
    assert client.waits == [("interval", 3.0)] * 3


def test_time_already_spent_counts_towards_the_interval():
    clock = FakeClock()
    with FakeServer(lambda path, query: (200, "ok", {})) as server:
        client = fake_client(min_interval=3.0, clock=clock)
        client.get(server.url)
        clock.now += 2.5  # parsing took 2.5 s
        client.get(server.url)
    assert client.waits == [("interval", 0.5)]
    assert client.request_times[1] - client.request_times[0] == 3.0


def test_retry_after_503_honours_retry_after():
    answers = iter([(503, "busy", {"Retry-After": "7"}), (200, "fine", {})])
    with FakeServer(lambda path, query: next(answers)) as server:
        client = fake_client(min_interval=3.0)
        assert client.get(server.url, where="page 1").content == b"fine"
    assert len(server.requests) == 2
    assert client.waits == [("retry", 7.0)]  # Retry-After (7 s) beats the first back-off (2 s)
    assert client.request_times[1] - client.request_times[0] >= 7.0


def test_back_off_doubles_on_429_and_5xx():
    answers = iter([(429, "slow down", {}), (500, "oops", {}), (502, "bad gateway", {}), (200, "ok", {})])
    with FakeServer(lambda path, query: next(answers)) as server:
        client = fake_client(min_interval=0.0, retries=3)
        client.get(server.url)
    assert [w for kind, w in client.waits if kind == "retry"] == [2.0, 4.0, 8.0]


def test_gives_up_with_the_source_page_and_status_named():
    with FakeServer(lambda path, query: (503, "down for maintenance", {})) as server:
        client = fake_client("arXiv", retries=2)
        with pytest.raises(
            LandscapeError, match=r"arXiv, page 3 \(start=200\): gave up after 3 tries: HTTP 503"
        ):
            client.get(server.url, where="page 3 (start=200)")
    assert len(server.requests) == 3


def test_client_errors_are_not_retried():
    with FakeServer(lambda path, query: (404, "no such endpoint", {})) as server:
        client = fake_client("OpenAlex")
        with pytest.raises(LandscapeError, match=r"OpenAlex, page 1: HTTP 404 .*no such endpoint"):
            client.get(server.url + "/nowhere", where="page 1")
    assert len(server.requests) == 1


def test_retry_after_a_timeout():
    answers = iter([(200, "too late", {"delay": 3.0}), (200, "in time", {})])
    with FakeServer(lambda path, query: next(answers)) as server:
        client = fake_client(min_interval=0.0, timeout=1.0)
        assert client.get(server.url).content == b"in time"
    assert len(server.requests) == 2
    assert client.waits == [("retry", 2.0)]


def test_timeout_every_time_gives_a_clear_error():
    with FakeServer(lambda path, query: (200, "late", {"delay": 1.0})) as server:
        client = fake_client("Hugging Face papers", min_interval=0.0, timeout=0.1, retries=1)
        with pytest.raises(
            LandscapeError, match=r"Hugging Face papers, day 2024-03-11: .*no answer within 0.1 s"
        ):
            client.get(server.url, where="day 2024-03-11")


def test_retry_after_longer_than_the_limit_stops_with_the_wait_named():
    with FakeServer(lambda path, query: (429, "quota", {"Retry-After": "86400"})) as server:
        client = fake_client("OpenAlex")
        with pytest.raises(LandscapeError, match=r"asks to wait 86400 s"):
            client.get(server.url, where="page 4")
    assert client.waits == []


def test_connection_refused_is_retried_then_reported():
    with FakeServer(lambda path, query: (200, "", {})) as server:
        url = server.url
    client = fake_client("arXiv", min_interval=0.0, retries=1)
    with pytest.raises(LandscapeError, match="arXiv, page 1: gave up after 2 tries: connection failed"):
        client.get(url, where="page 1")


def test_base_url_resolution(monkeypatch):
    monkeypatch.delenv("LANDSCAPE_ARXIV_URL", raising=False)
    assert resolve_base_url(None, "LANDSCAPE_ARXIV_URL", "http://default") == "http://default"
    monkeypatch.setenv("LANDSCAPE_ARXIV_URL", "http://mirror.example/api")
    assert resolve_base_url(None, "LANDSCAPE_ARXIV_URL", "http://default") == "http://mirror.example/api"
    assert resolve_base_url("http://cli", "LANDSCAPE_ARXIV_URL", "http://default") == "http://cli"
    with pytest.raises(LandscapeError, match="must start with http"):
        resolve_base_url("ftp://x", "LANDSCAPE_ARXIV_URL", "http://default")


def test_timeout_is_a_total_deadline_against_a_dripping_server():
    import time

    with FakeServer(lambda path, query: (200, b"x" * 100, {"drip": 0.05})) as server:
        client = fake_client(min_interval=0.0, timeout=1.0, retries=1)
        began = time.monotonic()
        with pytest.raises(LandscapeError, match=r"gave up after 2 tries: no answer within 1 s"):
            client.get(server.url)
        assert time.monotonic() - began < 3.5  # two tries of 1 s, not 100 bytes x 0.05 s each


def test_a_body_over_the_size_cap_stops_the_fetch():
    body = b"<feed>" + b"x" * 200_000
    with FakeServer(lambda path, query: (200, body, {})) as server:
        client = PoliteClient("Test", min_interval=0.0, timeout=5.0, retries=2, max_bytes=100_000)
        with pytest.raises(LandscapeError, match=r"Test, page 1: the answer is larger than 100,000 bytes"):
            client.get(server.url, where="page 1")
    assert len(server.requests) == 1  # not retried
    with FakeServer(lambda path, query: (200, body, {})) as server:
        assert PoliteClient("Test", min_interval=0.0).get(server.url).content == body


def test_a_server_dripping_its_headers_is_cut_at_the_deadline():
    import socket
    import time

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    stop = threading.Event()

    def drip():  # answers every connection with a status line, one byte every 0.05 s, forever
        while not stop.is_set():
            try:
                listener.settimeout(0.1)
                conn, _ = listener.accept()
            except OSError:
                continue
            with conn:
                conn.recv(4096)
                for byte in b"HTTP/1.1 200 OK\r\n" + b"X-Slow: " + b"x" * 10_000:
                    if stop.wait(0.05):
                        break
                    try:
                        conn.sendall(bytes([byte]))
                    except OSError:
                        break

    thread = threading.Thread(target=drip, daemon=True)
    thread.start()
    try:
        client = fake_client(min_interval=0.0, timeout=1.0, retries=0)
        began = time.monotonic()
        with pytest.raises(LandscapeError, match="no answer within 1 s"):
            client.get(f"http://127.0.0.1:{listener.getsockname()[1]}/")
        assert time.monotonic() - began < 2.5
    finally:
        stop.set()
        thread.join(2)
        listener.close()
