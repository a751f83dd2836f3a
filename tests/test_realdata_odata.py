"""OData client against a local HTTP server: paging, retries with back-off, timeouts, errors.

The server (:class:`FixtureServer`) runs on 127.0.0.1 on a random port in a
thread, serves the JSON files in ``tests/fixtures/odata`` and is shut down in
teardown. Each route answers from a list of responses (the last one repeats)
and counts its requests, so retry behaviour is asserted exactly; ``sleep`` is
patched so back-off costs no time.
"""

from __future__ import annotations

import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from indicators.realdata.odata import ODataClient, ODataError, ODataTimeoutError

FIXTURES = Path(__file__).parent / "fixtures" / "odata"
MAX_REQUESTS = 200  # a runaway client fails the test instead of hanging


@dataclass
class Reply:
    status: int = 200
    file: str | None = None
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


class FixtureServer:
    """A tiny OData fixture server. ``routes[(path, query_marker)] = [Reply, ...]``."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], list[Reply]] = {}
        self.hits: dict[tuple[str, str], int] = {}
        self.log: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                server.log.append(self.path)
                if len(server.log) > MAX_REQUESTS:
                    self.send_error(599, "too many requests in one test")
                    return
                parsed = urllib.parse.urlsplit(self.path)
                query = urllib.parse.unquote(parsed.query)
                key = next(
                    (
                        k
                        for k in sorted(server.routes, key=lambda k: -len(k[1]))
                        if k[0] == parsed.path and k[1] in query
                    ),
                    None,
                )
                if key is None:
                    body = (FIXTURES / "errors" / "404.json").read_bytes()
                    return self._send(Reply(404, body=body))
                n = server.hits.get(key, 0)
                server.hits[key] = n + 1
                replies = server.routes[key]
                self._send(replies[min(n, len(replies) - 1)])

            def _send(self, r: Reply) -> None:
                if r.delay:
                    time.sleep(r.delay)
                body = r.body if r.body is not None else (FIXTURES / r.file).read_bytes()
                body = body.replace(b"{base}", server.base.encode())
                try:
                    self.send_response(r.status)
                    self.send_header("Content-Type", "application/json; charset=utf-8")
                    self.send_header("Content-Length", str(len(body)))
                    for k, v in r.headers.items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client timed out and went away

            def log_message(self, *args):  # keep pytest output clean
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}/ODataApi/odata/"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def route(self, path: str, *replies: Reply, query: str = "") -> None:
        self.routes[("/ODataApi/odata/" + path.lstrip("/"), query)] = list(replies)

    def count(self, path: str, query: str = "") -> int:
        return self.hits.get(("/ODataApi/odata/" + path.lstrip("/"), query), 0)

    def serve_kwb(self) -> None:
        """Routes for the KWB 2019 and 2018 fixture tables."""
        for tid in ("84583NED", "84286NED"):
            self.route(f"{tid}/TableInfos", Reply(file=f"{tid}/TableInfos.json"))
            self.route(f"{tid}/DataProperties", Reply(file=f"{tid}/DataProperties.json"))
            self.route(f"{tid}/WijkenEnBuurten", Reply(file=f"{tid}/WijkenEnBuurten.json"))
        self.route("84583NED/TypedDataSet", Reply(file="84583NED/TypedDataSet.page1.json"))
        self.route(
            "84583NED/TypedDataSet",
            Reply(file="84583NED/TypedDataSet.page2.json"),
            query="$skiptoken=4",
        )
        self.route("84286NED/TypedDataSet", Reply(file="84286NED/TypedDataSet.json"))

    def __enter__(self) -> FixtureServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def server():
    with FixtureServer() as s:
        yield s


@pytest.fixture
def waits():
    return []


@pytest.fixture
def client(server, waits):
    return ODataClient(server.base, timeout=2.0, max_retries=3, backoff=1.0, sleep=waits.append)


# ------------------------------------------------------------------ paging
def test_follows_odata_nextlink_across_two_pages(server, client):
    server.serve_kwb()
    pages = list(client.iter_pages("84583NED/TypedDataSet"))
    assert len(pages) == 2
    assert pages[0].next_link and "$skiptoken=4" in pages[0].next_link
    rows = [r for p in pages for r in p.rows]
    assert [r["WijkenEnBuurten"].strip() for r in rows] == [
        "NL00", "GM0917", "WK091701", "BU09170101", "BU09170102", "GM1954", "GM0935",
    ]  # fmt: skip
    assert server.count("84583NED/TypedDataSet") == 1
    assert server.count("84583NED/TypedDataSet", "$skiptoken=4") == 1


def test_follows_v4_at_odata_nextlink(server, client):
    server.route("v4/Observations", Reply(file="v4/Observations.page1.json"))
    server.route("v4/Observations", Reply(file="v4/Observations.page2.json"), query="$skip=2")
    rows = client.get_all("v4/Observations")
    assert [r["WijkenEnBuurten"] for r in rows] == ["GM0917", "BU09170101", "GM1954"]
    assert rows[1]["Value"] is None  # missing stays missing


def test_url_adds_json_format_and_encodes_the_filter(client):
    url = client.url("84583NED/TypedDataSet", {"$filter": "substringof('0917',WijkenEnBuurten)"})
    assert "%24format=json" in url and "substringof%28%270917%27" in url


def test_paging_loop_is_detected(server, client):
    loop = b'{"value": [], "odata.nextLink": "{base}loop/Items"}'
    server.route("loop/Items", Reply(body=loop))
    with pytest.raises(ODataError, match="paging loop"):
        list(client.iter_pages(server.base + "loop/Items"))


def test_refuses_nextlink_to_another_host(server, client):
    evil = b'{"value": [], "odata.nextLink": "http://example.org/steal"}'
    server.route("evil/Items", Reply(body=evil))
    with pytest.raises(ODataError, match="outside the service root"):
        list(client.iter_pages("evil/Items"))
    assert server.count("evil/Items") == 1


# ------------------------------------------------------------------ retries
def test_429_honours_retry_after_then_succeeds(server, client, waits):
    server.route(
        "84583NED/TableInfos",
        Reply(429, file="errors/429.json", headers={"Retry-After": "7"}),
        Reply(file="84583NED/TableInfos.json"),
    )
    rows = client.get_all("84583NED/TableInfos")
    assert rows[0]["Identifier"] == "84583NED"
    assert waits == [7.0]
    assert server.count("84583NED/TableInfos") == 2


def test_retry_after_as_http_date(server, client, waits):
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    server.route(
        "x/Items",
        Reply(429, file="errors/429.json", headers={"Retry-After": when}),
        Reply(body=b'{"value": []}'),
    )
    client.get_all("x/Items")
    assert len(waits) == 1 and 25 <= waits[0] <= 30


def test_5xx_retries_with_exponential_backoff(server, client, waits):
    server.route(
        "84583NED/TableInfos",
        Reply(500, file="errors/500.json"),
        Reply(503, file="errors/500.json"),
        Reply(502, body=b"Bad gateway"),
        Reply(file="84583NED/TableInfos.json"),
    )
    assert client.get_all("84583NED/TableInfos")
    assert waits == [1.0, 2.0, 4.0]
    assert server.count("84583NED/TableInfos") == 4


def test_gives_up_after_max_retries_with_a_clear_error(server, client, waits):
    server.route("84583NED/TableInfos", Reply(500, file="errors/500.json"))
    with pytest.raises(ODataError) as exc:
        client.get_all("84583NED/TableInfos")
    msg = str(exc.value)
    assert "HTTP 500" in msg and "An error has occurred." in msg
    assert "gave up after 4 attempt(s)" in msg and "84583NED/TableInfos" in msg
    assert server.count("84583NED/TableInfos") == 4  # 1 + max_retries
    assert waits == [1.0, 2.0, 4.0]


def test_backoff_is_capped():
    c = ODataClient("http://127.0.0.1:9/", backoff=2.0, max_backoff=10.0)
    assert [c.backoff_delay(k) for k in range(5)] == [2.0, 4.0, 8.0, 10.0, 10.0]


def test_too_long_retry_after_fails_instead_of_waiting(server, client, waits):
    server.route("x/Items", Reply(429, file="errors/429.json", headers={"Retry-After": "3600"}))
    with pytest.raises(ODataError, match="retry after 3600 s"):
        client.get_all("x/Items")
    assert waits == []


def test_4xx_other_than_429_fails_at_once_with_the_server_message(server, client, waits):
    with pytest.raises(ODataError) as exc:
        client.get_all("99999NED/TypedDataSet")
    assert "HTTP 404" in str(exc.value) and "No HTTP resource was found" in str(exc.value)
    assert waits == [] and len(server.log) == 1


# ------------------------------------------------------------------ timeouts and bodies
def test_times_out_cleanly(server, waits):
    server.route("slow/Items", Reply(body=b'{"value": []}', delay=1.0))
    c = ODataClient(server.base, timeout=0.2, max_retries=1, sleep=waits.append)
    t0 = time.monotonic()
    with pytest.raises(ODataTimeoutError, match=r"no answer within 0.2 s; gave up after 2"):
        c.get_all("slow/Items")
    assert time.monotonic() - t0 < 1.5
    assert waits == [1.0]
    assert server.count("slow/Items") == 2


def test_malformed_json_raises_a_clear_error(server, client, waits):
    server.route("84583NED/TypedDataSet", Reply(file="errors/malformed.json"))
    with pytest.raises(ODataError, match="malformed JSON in the response") as exc:
        client.get_all("84583NED/TypedDataSet")
    assert "body starts with" in str(exc.value)
    assert waits == []  # a broken body is not retried


def test_json_that_is_not_a_collection_is_rejected(server, client):
    server.route("x/Items", Reply(body=b'{"odata.metadata": "x"}'))
    with pytest.raises(ODataError, match="no 'value' list"):
        client.get_all("x/Items")


def test_connection_refused_is_retried_then_reported(waits):
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens here now
    c = ODataClient(f"http://127.0.0.1:{port}/", timeout=1, max_retries=2, sleep=waits.append)
    with pytest.raises(ODataError, match="connection failed"):
        c.get_all("x")
    assert waits == [1.0, 2.0]


def test_base_url_must_be_http():
    with pytest.raises(ODataError, match="http"):
        ODataClient("file:///etc/")
