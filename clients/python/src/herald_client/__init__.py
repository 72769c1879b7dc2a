"""Herald's Python client: publish events, manage endpoints, read deliveries, follow events, verify webhooks.

    from herald_client import HeraldClient, verify

    herald = HeraldClient("http://127.0.0.1:8090", admin_token)
    herald.publish("acme", {"type": "credits.low", "data": {"balance": 10, "threshold": 100}})

Standard library only. Answers are the ``TypedDict``s of :mod:`herald_client.models`
(generated from Herald's OpenAPI document); errors are :mod:`herald_client.errors`.
"""
from .client import UNSET, HeraldClient
from .envelope import Envelope, EnvelopePage
from .errors import (
    ApiError,
    BadRequest,
    Conflict,
    Forbidden,
    HeraldError,
    NetworkError,
    NotFound,
    PayloadTooLarge,
    RateLimited,
    ServerError,
    ServiceUnavailable,
    Unauthorized,
    Unavailable,
    UnprocessableEntity,
    ValidationError,
    WebhookVerificationError,
)
from .pagination import Paginator
from .polling import BEGINNING, Poller
from .stream import EventStream, StreamEvent
from .verify import DEFAULT_TOLERANCE, sign, signature_header, verify, verify_or_raise

__version__ = "0.1.0"

__all__ = [
    "HeraldClient",
    "UNSET",
    "Envelope",
    "EnvelopePage",
    "Paginator",
    "Poller",
    "BEGINNING",
    "EventStream",
    "StreamEvent",
    "verify",
    "verify_or_raise",
    "sign",
    "signature_header",
    "DEFAULT_TOLERANCE",
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
]
