"""A small OData (v3 and v4) JSON client: paging, retries with back-off, clean timeouts.

Plain :mod:`urllib` on purpose: the client needs exact control over what the
published clients (``cbsodata``, ``cbsodata4``) do not expose or do
differently, namely retries on HTTP 429 and 5xx that honour ``Retry-After``,
a timeout per request, the raw bytes of every page (they are stored as
snapshots and checksummed), and refusing a ``nextLink`` that points to another
host. It also adds no dependency.

Both JSON payload shapes are read:

* OData v3 JSON light (CBS ``opendata.cbs.nl/ODataApi/odata/<id>/``):
  ``{"odata.metadata": ..., "value": [...], "odata.nextLink": ...}``, errors as
  ``{"odata.error": {"message": {"value": ...}}}``.
* OData v4 (CBS ``datasets.cbs.nl/odata/v1/CBS/<id>/``, formerly
  ``odata4.cbs.nl``): ``{"@odata.context": ..., "value": [...],
  "@odata.nextLink": ...}``, errors as ``{"error": {"code": ..., "message":
  ...}}``; single entities (CBS's ``Properties``) are a plain object with
  ``@odata.context`` and no ``value`` (:meth:`ODataClient.get_entity`).

Paging follows ``odata.nextLink`` / ``@odata.nextLink``. CBS's v3 service
returns at most 10,000 rows per response and then a ``nextLink`` with a
``$skip``; the v4 service pages ``Observations`` the same way. CBS's v4
observation format (``Id, Measure, ValueAttribute, Value`` plus one column
per dimension) is turned into a wide table by
:func:`indicators.realdata.cbs.read_table`.

Notes
-----
Back-off: the wait before retry *k* (0-based) is ``min(max_backoff,
backoff * 2**k)`` seconds, unless the response has a ``Retry-After`` header
(seconds or an HTTP date), which is used instead (capped at
``max_retry_after``; a longer requested wait raises :class:`ODataError`).
There is no random jitter, so the waits are deterministic and testable. Only
``429`` and ``5xx`` responses, connection errors and timeouts are retried;
other ``4xx`` errors fail at once with the server's message.
"""

from __future__ import annotations

import email.utils
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from indicators import __version__
from indicators.exceptions import IndicatorsError

USER_AGENT = f"limburg-indicators/{__version__} (+https://www.limburg.nl)"
NEXT_LINK_KEYS = ("odata.nextLink", "@odata.nextLink")


class ODataError(IndicatorsError):
    """An OData request failed: names the URL, the HTTP status (if any) and the reason."""

    def __init__(self, message: str, *, url: str, status: int | None = None) -> None:
        self.url = url
        self.status = status
        where = f"HTTP {status} " if status is not None else ""
        super().__init__(f"{where}{message} ({url})")


class ODataTimeoutError(ODataError):
    """The server did not answer within the timeout (after all retries)."""


@dataclass(frozen=True)
class Page:
    """One response page: the URL requested, its raw bytes and the decoded JSON."""

    url: str
    body: bytes
    data: dict[str, Any]
    accessed: datetime

    @property
    def rows(self) -> list[dict[str, Any]]:
        value = self.data.get("value", [])
        return value if isinstance(value, list) else []

    @property
    def version(self) -> int | None:
        """OData protocol version of the payload: 3 (``odata.metadata``), 4 (``@odata.context``).

        >>> Page("u", b"", {"@odata.context": "x", "value": []}, None).version
        4
        >>> Page("u", b"", {"odata.metadata": "x", "value": []}, None).version
        3
        """
        if any(k.startswith("@odata.") for k in self.data):
            return 4
        if any(k.startswith("odata.") for k in self.data):
            return 3
        return None

    @property
    def next_link(self) -> str | None:
        for key in NEXT_LINK_KEYS:
            link = self.data.get(key)
            if link:
                return str(link)
        return None


@dataclass
class ODataClient:
    """HTTP client for OData JSON services.

    Parameters
    ----------
    base_url : str
        Service root, e.g. ``https://opendata.cbs.nl/ODataApi/odata/``.
    timeout : float
        Seconds to wait for a connection and for each read.
    max_retries : int
        Retries after the first attempt (so at most ``max_retries + 1`` requests
        per URL).
    backoff, max_backoff : float
        Exponential back-off in seconds (see the module notes).
    max_retry_after : float
        Longest ``Retry-After`` the client is willing to wait.
    max_pages : int
        Guard against endless paging.
    sleep : callable
        Injected for tests (``time.sleep`` by default).

    Examples
    --------
    >>> c = ODataClient("https://opendata.cbs.nl/ODataApi/odata/")
    >>> c.url("84583NED/TypedDataSet", {"$select": "WijkenEnBuurten"})
    'https://opendata.cbs.nl/ODataApi/odata/84583NED/TypedDataSet?%24select=WijkenEnBuurten&%24format=json'
    >>> c.backoff_delay(0), c.backoff_delay(3), c.backoff_delay(10)
    (1.0, 8.0, 60.0)
    """

    base_url: str
    timeout: float = 60.0
    max_retries: int = 5
    backoff: float = 1.0
    max_backoff: float = 60.0
    max_retry_after: float = 300.0
    max_pages: int = 10_000
    json_format_param: bool = True
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)
    user_agent: str = USER_AGENT

    def __post_init__(self) -> None:
        parts = urllib.parse.urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ODataError("base URL must be an http(s) URL", url=self.base_url)
        if not self.base_url.endswith("/"):
            self.base_url += "/"
        self.requests_made = 0

    # ------------------------------------------------------------------ URLs
    def url(self, path: str, params: dict[str, str] | None = None) -> str:
        """Absolute URL for ``path`` under the service root, with query parameters."""
        url = urllib.parse.urljoin(self.base_url, path.lstrip("/"))
        query = dict(params or {})
        if self.json_format_param and "$format" not in query:
            query["$format"] = "json"
        return url + ("?" + urllib.parse.urlencode(query) if query else "")

    def backoff_delay(self, attempt: int) -> float:
        """Seconds to wait before retry ``attempt`` (0-based) without ``Retry-After``."""
        return float(min(self.max_backoff, self.backoff * 2**attempt))

    def _same_origin(self, url: str) -> bool:
        a, b = urllib.parse.urlsplit(self.base_url), urllib.parse.urlsplit(url)
        return (a.scheme, a.netloc) == (b.scheme, b.netloc)

    # -------------------------------------------------------------- requests
    def get(self, url: str) -> Page:
        """GET one URL and decode its JSON, retrying 429/5xx/timeouts with back-off."""
        if not self._same_origin(url):
            raise ODataError(
                f"refusing to follow a URL outside the service root {self.base_url}", url=url
            )
        attempt = 0
        while True:
            try:
                return self._get_once(url)
            except _Retryable as exc:
                if attempt >= self.max_retries:
                    raise exc.final(attempts=attempt + 1) from None
                wait = exc.retry_after
                if wait is None:
                    wait = self.backoff_delay(attempt)
                elif wait > self.max_retry_after:
                    raise ODataError(
                        f"server asks to retry after {wait:.0f} s, longer than the "
                        f"maximum of {self.max_retry_after:.0f} s; try again later",
                        url=url,
                        status=exc.status,
                    ) from None
                self.sleep(wait)
                attempt += 1

    def _get_once(self, url: str) -> Page:
        req = urllib.request.Request(
            url, headers={"Accept": "application/json", "User-Agent": self.user_agent}
        )
        self.requests_made += 1
        accessed = datetime.now(UTC).replace(microsecond=0)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:  # noqa: S310
                body = resp.read()
        except urllib.error.HTTPError as exc:
            text = _read_error_body(exc)
            status = exc.code
            if status == 429 or 500 <= status <= 599:
                raise _Retryable(
                    url, status, _server_message(text), _retry_after(exc.headers.get("Retry-After"))
                ) from None
            raise ODataError(_server_message(text) or exc.reason, url=url, status=status) from None
        except TimeoutError:
            raise _Retryable(
                url, None, f"no answer within {self.timeout:g} s", None, True
            ) from None
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                raise _Retryable(
                    url, None, f"no answer within {self.timeout:g} s", None, True
                ) from None
            raise _Retryable(url, None, f"connection failed: {exc.reason}", None) from None
        except (ConnectionError, OSError) as exc:  # reset while reading
            raise _Retryable(url, None, f"connection failed: {exc}", None) from None
        try:
            data = json.loads(body.decode("utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            snippet = body[:120].decode("utf-8", "replace").replace("\n", " ")
            raise ODataError(
                f"malformed JSON in the response ({exc}); body starts with {snippet!r}", url=url
            ) from None
        if not isinstance(data, dict):
            raise ODataError("malformed OData response: expected a JSON object", url=url)
        if "odata.error" in data or "error" in data:
            raise ODataError(_server_message(body.decode("utf-8", "replace")), url=url)
        return Page(url=url, body=body, data=data, accessed=accessed)

    def get_entity(self, path: str, params: dict[str, str] | None = None) -> Page:
        """GET a single entity (no ``value`` list), e.g. CBS v4 ``<id>/Properties``."""
        page = self.get(self.url(path, params))
        if isinstance(page.data.get("value"), list):
            raise ODataError(
                "expected a single entity, got a collection ('value' list)", url=page.url
            )
        return page

    def iter_pages(self, path_or_url: str, params: dict[str, str] | None = None) -> Iterator[Page]:
        """Yield every page of a collection, following ``nextLink`` until there is none."""
        url = (
            path_or_url
            if urllib.parse.urlsplit(path_or_url).scheme
            else self.url(path_or_url, params)
        )
        seen: set[str] = set()
        for _ in range(self.max_pages):
            if url in seen:
                raise ODataError(
                    "paging loop: the server returned the same nextLink twice", url=url
                )
            seen.add(url)
            page = self.get(url)
            if "value" not in page.data or not isinstance(page.data["value"], list):
                raise ODataError(
                    "malformed OData response: no 'value' list (is this a collection?)", url=url
                )
            yield page
            nxt = page.next_link
            if not nxt:
                return
            url = urllib.parse.urljoin(url, nxt)
        raise ODataError(f"more than {self.max_pages} pages; stopping", url=url)

    def get_all(self, path: str, params: dict[str, str] | None = None) -> list[dict[str, Any]]:
        """All rows of a collection (concatenated ``value`` lists of every page)."""
        rows: list[dict[str, Any]] = []
        for page in self.iter_pages(path, params):
            rows.extend(page.rows)
        return rows


class _Retryable(Exception):
    def __init__(
        self,
        url: str,
        status: int | None,
        message: str,
        retry_after: float | None,
        timeout: bool = False,
    ) -> None:
        super().__init__(message)
        self.url, self.status, self.message = url, status, message
        self.retry_after, self.timeout = retry_after, timeout

    def final(self, attempts: int) -> ODataError:
        msg = f"{self.message}; gave up after {attempts} attempt(s)"
        cls = ODataTimeoutError if self.timeout else ODataError
        return cls(msg, url=self.url, status=self.status)


def _read_error_body(exc: urllib.error.HTTPError) -> str:
    try:
        return exc.read().decode("utf-8", "replace")
    except (OSError, AttributeError):
        return ""


def _server_message(text: str) -> str:
    """The message of an OData error body (v3 ``odata.error``, v4 ``error``), else the text."""
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, TypeError):
        return " ".join(text.split())[:200]
    if isinstance(data, dict):
        err = data.get("odata.error") or data.get("error")
        if isinstance(err, dict):
            msg = err.get("message")
            if isinstance(msg, dict):
                msg = msg.get("value")
            if msg:
                return str(msg)
    return " ".join(text.split())[:200]


def _retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or HTTP date).

    >>> _retry_after("7"), _retry_after(None), _retry_after("soon")
    (7.0, None, None)
    """
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
