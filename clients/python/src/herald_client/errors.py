"""The exceptions the client raises.

Everything derives from :class:`HeraldError`:

- :class:`ApiError` (and a subclass per status) when Herald answered with a
  status that is not ``2xx``: it carries the ``application/problem+json`` body
  (``status``, ``type``, ``title``, ``detail``, ``errors``);
- :class:`NetworkError` when no complete answer came (refused or reset
  connection, timeout, DNS, TLS, an answer that is not HTTP);
- :class:`WebhookVerificationError` from :func:`herald_client.verify_or_raise`.
"""
import email.utils
import json
import time
from typing import Any, Dict, List, Mapping, Optional, Type, cast

from .models import FieldError

__all__ = [
    "HeraldError",
    "ApiError",
    "BadRequest",
    "Unauthorized",
    "Forbidden",
    "NotFound",
    "Conflict",
    "PayloadTooLarge",
    "UnprocessableEntity",
    "ValidationError",
    "RateLimited",
    "ServiceUnavailable",
    "Unavailable",
    "ServerError",
    "NetworkError",
    "WebhookVerificationError",
    "error_from_response",
]


class HeraldError(Exception):
    """The base of every exception this package raises."""


class ApiError(HeraldError):
    """Herald answered with a non-2xx status; the fields are its problem+json body's.

    ``errors`` lists each field at fault: ``{"pointer": "/data/project_id",
    "message": …}`` for a body field, ``{"parameter": "limit", "message": …}``
    for a query parameter or header.
    """

    def __init__(
        self,
        status: int,
        title: str,
        detail: str,
        *,
        type: str = "about:blank",
        errors: Optional[List[FieldError]] = None,
        headers: Optional[Mapping[str, str]] = None,
        body: bytes = b"",
    ) -> None:
        self.status = status
        self.type = type
        self.title = title
        self.detail = detail
        self.errors: List[FieldError] = list(errors or [])
        #: The answer's headers, names in lower case.
        self.headers: Dict[str, str] = {k.lower(): v for k, v in (headers or {}).items()}
        #: The answer's raw body.
        self.body = body
        super().__init__(f"{status} {title}: {detail}" if detail else f"{status} {title}")

    @property
    def pointers(self) -> List[str]:
        """The JSON pointers of the body fields at fault (`/data/project_id`)."""
        return [p for p in (e.get("pointer") for e in self.errors) if p is not None]

    @property
    def parameters(self) -> List[str]:
        """The query parameters or headers at fault (`limit`)."""
        return [p for p in (e.get("parameter") for e in self.errors) if p is not None]


class BadRequest(ApiError):
    """400: a malformed query parameter, header or JSON body."""


class Unauthorized(ApiError):
    """401: no token, or not a valid one."""


class Forbidden(ApiError):
    """403: an account key where only the admin token will do (or publishing to `herald`)."""


class NotFound(ApiError):
    """404: nothing of the caller's by that id (another account's objects included)."""


class Conflict(ApiError):
    """409: a duplicate id, an idempotency key reused with another body, a disabled endpoint…"""


class PayloadTooLarge(ApiError):
    """413: the body is larger than Herald takes (256 KiB)."""


class UnprocessableEntity(ApiError):
    """422: the body's values are not acceptable; `errors` has each field's pointer."""


#: Another name for :class:`UnprocessableEntity`.
ValidationError = UnprocessableEntity


class _RetryAfter(ApiError):
    @property
    def retry_after(self) -> Optional[float]:
        """Seconds to wait, from the `Retry-After` header (delay-seconds or an HTTP date)."""
        return parse_retry_after(self.headers.get("retry-after"))


class RateLimited(_RetryAfter):
    """429: too many requests; wait `retry_after` seconds."""


class ServiceUnavailable(_RetryAfter):
    """503: Herald cannot serve now (its store is unreachable, or it is shutting down)."""


#: Another name for :class:`ServiceUnavailable`.
Unavailable = ServiceUnavailable


class ServerError(ApiError):
    """Any other 5xx."""


class NetworkError(HeraldError):
    """No complete answer came: the connection failed, was cut, or timed out."""


class WebhookVerificationError(HeraldError):
    """A webhook's `X-Webhook-Signature` did not verify; the message says why."""


_BY_STATUS: Dict[int, Type[ApiError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    413: PayloadTooLarge,
    422: UnprocessableEntity,
    429: RateLimited,
    503: ServiceUnavailable,
}


def parse_retry_after(value: Optional[str]) -> Optional[float]:
    """`120` -> 120.0; an HTTP date -> the seconds until then (at least 0); else None."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - time.time())


def error_from_response(status: int, reason: str, headers: Mapping[str, str], body: bytes) -> ApiError:
    """The exception for an answer with a non-2xx `status`: the problem's fields when it has one."""
    problem: Dict[str, Any] = {}
    try:
        parsed = json.loads(body.decode("utf-8")) if body else None
        if isinstance(parsed, dict):
            problem = parsed
    except (UnicodeDecodeError, ValueError):
        pass
    cls = _BY_STATUS.get(status) or (ServerError if 500 <= status < 600 else ApiError)
    raw_errors = problem.get("errors")
    errors = [cast(FieldError, e) for e in raw_errors if isinstance(e, dict)] if isinstance(raw_errors, list) else []
    text = body.decode("utf-8", "replace").strip()
    return cls(
        status,
        str(problem.get("title") or reason or "HTTP error"),
        str(problem.get("detail") or ("" if problem else text[:500])),
        type=str(problem.get("type") or "about:blank"),
        errors=errors,
        headers=headers,
        body=body,
    )
