"""Checking a webhook's ``X-Webhook-Signature`` on the receiving side.

The header is ``t=<unix seconds>,v1=<hex>``; during a secret rotation's grace
period it carries one ``v1`` per secret (``t=…,v1=<previous>,v1=<current>``).
Each ``v1`` is ``hex(HMAC-SHA256(key = the whole secret, "whsec_" included,
message = "<t>.<raw body>"))``. A request is genuine when ANY ``v1`` matches
one of the receiver's secrets and ``t`` is within the tolerance of now.

Pass the body exactly as received (Flask: ``request.get_data()``), never
re-serialised JSON.
"""
import hashlib
import hmac
import time
from typing import List, Optional, Sequence, Tuple, Union

from .errors import WebhookVerificationError

__all__ = ["verify", "verify_or_raise", "sign", "signature_header", "DEFAULT_TOLERANCE"]

#: Seconds a signature's timestamp may be from now, either way.
DEFAULT_TOLERANCE = 300

Payload = Union[bytes, bytearray, memoryview, str]
Secrets = Union[str, Sequence[str]]


def _bytes(payload: Payload) -> bytes:
    return payload.encode("utf-8") if isinstance(payload, str) else bytes(payload)


def sign(payload: Payload, secret: str, timestamp: int) -> str:
    """The `v1` value (64 lower-case hex digits) for `payload` signed with `secret` at `timestamp`."""
    message = str(timestamp).encode("ascii") + b"." + _bytes(payload)
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def signature_header(payload: Payload, secrets: Secrets, timestamp: Optional[int] = None) -> str:
    """An `X-Webhook-Signature` value, one `v1` per secret in the order given (as Herald signs)."""
    t = int(time.time()) if timestamp is None else timestamp
    keys = [secrets] if isinstance(secrets, str) else list(secrets)
    return ",".join([f"t={t}"] + [f"v1={sign(payload, key, t)}" for key in keys])


def _parse(header: str) -> Tuple[int, List[str]]:
    timestamp: Optional[str] = None
    signatures: List[str] = []
    for element in header.split(","):
        key, sep, value = element.strip().partition("=")
        if not sep:
            continue
        if key == "t":
            timestamp = value
        elif key == "v1":
            signatures.append(value)
    if timestamp is None:
        raise WebhookVerificationError("malformed signature header: it has no timestamp (t=)")
    if not (timestamp.isascii() and timestamp.isdigit()) or len(timestamp) > 12:
        raise WebhookVerificationError("malformed signature header: the timestamp is not unix seconds")
    if not signatures:
        raise WebhookVerificationError("malformed signature header: it has no v1 signature")
    return int(timestamp), signatures


def verify_or_raise(payload: Payload, header: str, secret: Secrets, tolerance: int = DEFAULT_TOLERANCE, *,
                    now: Optional[float] = None) -> None:
    """Return if `header` signs `payload` with one of `secret` (a secret or a list of them); else raise.

    Raises :class:`WebhookVerificationError` saying why: a malformed header, a
    timestamp more than `tolerance` seconds from `now` (default: the clock),
    or no `v1` that matches. Every comparison is constant-time, and all of them
    are made whichever matches.
    """
    keys = [secret] if isinstance(secret, str) else list(secret)
    if not keys:
        raise WebhookVerificationError("no secret to verify with")
    timestamp, signatures = _parse(header or "")
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        raise WebhookVerificationError(
            f"signature timestamp {timestamp} is beyond the {tolerance}s tolerance of now ({int(current)})")
    body = _bytes(payload)
    expected = [sign(body, key, timestamp).encode("ascii") for key in keys]
    matched = False
    for candidate in signatures:
        given = candidate.encode("utf-8", "replace")
        for want in expected:
            matched |= hmac.compare_digest(given, want)
    if not matched:
        raise WebhookVerificationError("no signature in the header matches the secret and the body")


def verify(payload: Payload, header: str, secret: Secrets, tolerance: int = DEFAULT_TOLERANCE, *,
           now: Optional[float] = None) -> bool:
    """True when `header` signs `payload` with one of `secret` and is recent; see :func:`verify_or_raise`."""
    try:
        verify_or_raise(payload, header, secret, tolerance, now=now)
    except WebhookVerificationError:
        return False
    return True
