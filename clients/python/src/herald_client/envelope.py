"""The event envelope: what a receiver gets, what polling and the stream give.

Written by hand because the OpenAPI document describes ``EnvelopeView`` as an
object with no properties; its four keys are fixed by Herald's contract
(``{"id","type","created_at","data"}``, in that order on the wire).
"""
from typing import Any, Dict, List, Optional, TypedDict

__all__ = ["Envelope", "EnvelopePage"]


class Envelope(TypedDict):
    """One stored event, exactly as its receivers get it."""

    #: `evt_` and a ULID: unique, and the same on every attempt (deduplicate on it).
    id: str
    #: Its event type (`project.completed`).
    type: str
    #: When Herald accepted it: RFC 3339, UTC, whole seconds.
    created_at: str
    #: The producer's object, as published.
    data: Dict[str, Any]


class _EnvelopePageRequired(TypedDict):
    data: List[Envelope]


class EnvelopePage(_EnvelopePageRequired, total=False):
    """A page of events (`GET …/events`), typed with :class:`Envelope`."""

    #: Pass as `cursor` (or, when polling, as `after`) for the next page; null on the last page.
    next_cursor: Optional[str]
