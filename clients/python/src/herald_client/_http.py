"""The HTTP layer: one request, one connection, standard library only.

:class:`Transport` knows Herald's base URL and token. It sends JSON, reads
JSON, turns every non-2xx answer into the matching :mod:`herald_client.errors`
exception and every failure to get an answer into :class:`NetworkError`. It
also opens the long-lived responses the live stream reads line by line.
"""
import http.client
import json
import socket
import ssl
import urllib.parse
from dataclasses import dataclass
from typing import Any, Dict, Mapping, Optional, Sequence, Tuple, Union

from .errors import NetworkError, error_from_response

__all__ = ["Transport", "Response", "Query", "quote"]

#: Query parameters: None values are left out; lists are not used by Herald.
Query = Mapping[str, Union[str, int, bool, None]]

_NO_BODY = object()

USER_AGENT = "herald-client-python/0.1.0"


def quote(segment: str) -> str:
    """One path segment, percent-encoded (`/` included)."""
    return urllib.parse.quote(segment, safe="")


@dataclass(frozen=True)
class Response:
    """A complete 2xx answer."""

    status: int
    headers: Dict[str, str]
    body: bytes

    def json(self) -> Any:
        """The body parsed as JSON (None for an empty body)."""
        return json.loads(self.body.decode("utf-8")) if self.body else None


class Transport:
    """Sends requests to one Herald with one bearer token."""

    def __init__(self, base_url: str, token: str, *, timeout: float = 30.0,
                 ssl_context: Optional[ssl.SSLContext] = None) -> None:
        parts = urllib.parse.urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"base_url must be an http:// or https:// URL, not {base_url!r}")
        self.scheme = parts.scheme
        self.host = parts.hostname
        self.port = parts.port
        self.prefix = parts.path.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.ssl_context = ssl_context
        self.base_url = f"{parts.scheme}://{parts.netloc}{self.prefix}"

    def connection(self, timeout: Optional[float] = None) -> http.client.HTTPConnection:
        """A new, not yet connected, connection to Herald."""
        t = self.timeout if timeout is None else timeout
        if self.scheme == "https":
            return http.client.HTTPSConnection(self.host, self.port, timeout=t, context=self.ssl_context)
        return http.client.HTTPConnection(self.host, self.port, timeout=t)

    def target(self, path: str, query: Optional[Query] = None) -> str:
        """`path` under the base URL, with the non-None `query` parameters."""
        target = self.prefix + path
        if query:
            pairs: Sequence[Tuple[str, str]] = [
                (k, _query_value(v)) for k, v in query.items() if v is not None
            ]
            if pairs:
                target += "?" + urllib.parse.urlencode(pairs)
        return target

    def headers(self, extra: Optional[Mapping[str, str]] = None) -> Dict[str, str]:
        headers = {"Authorization": f"Bearer {self.token}", "User-Agent": USER_AGENT}
        headers.update(extra or {})
        return headers

    def request(self, method: str, path: str, *, query: Optional[Query] = None, body: Any = _NO_BODY,
                headers: Optional[Mapping[str, str]] = None) -> Response:
        """Send one request; the 2xx answer, or raise ApiError / NetworkError."""
        all_headers = self.headers(headers)
        payload: Optional[bytes] = None
        if body is not _NO_BODY:
            payload = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
            all_headers["Content-Type"] = "application/json"
        all_headers["Accept"] = "application/json, application/problem+json"
        conn = self.connection()
        try:
            try:
                conn.request(method, self.target(path, query), body=payload, headers=all_headers)
                answer = conn.getresponse()
                data = answer.read()
            except (OSError, http.client.HTTPException) as e:
                raise NetworkError(f"{method} {self.base_url}{path}: {describe(e)}") from e
            answer_headers = {k.lower(): v for k, v in answer.getheaders()}
            if not 200 <= answer.status < 300:
                raise error_from_response(answer.status, answer.reason, answer_headers, data)
            return Response(answer.status, answer_headers, data)
        finally:
            conn.close()

    def json(self, method: str, path: str, **kwargs: Any) -> Any:
        """`request`, then its body parsed as JSON."""
        return self.request(method, path, **kwargs).json()

    def open(self, path: str, *, query: Optional[Query] = None, headers: Optional[Mapping[str, str]] = None,
             timeout: Optional[float] = None) -> Tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
        """A GET whose 2xx answer is left open to be read as it comes; the caller closes the connection."""
        conn = self.connection(timeout)
        try:
            conn.request("GET", self.target(path, query), headers=self.headers(headers))
            answer = conn.getresponse()
        except (OSError, http.client.HTTPException) as e:
            conn.close()
            raise NetworkError(f"GET {self.base_url}{path}: {describe(e)}") from e
        if not 200 <= answer.status < 300:
            try:
                data = answer.read()
            except (OSError, http.client.HTTPException):
                data = b""
            finally:
                conn.close()
            raise error_from_response(answer.status, answer.reason, {k.lower(): v for k, v in answer.getheaders()},
                                      data)
        return conn, answer


def _query_value(value: Union[str, int, bool]) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def describe(error: BaseException) -> str:
    """A short account of a network failure."""
    if isinstance(error, socket.timeout):
        return "timed out"
    text = str(error) or type(error).__name__
    return f"{type(error).__name__}: {text}"
