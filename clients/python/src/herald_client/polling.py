"""Polling: the events committed after a position, oldest first.

``GET /v1/accounts/{account}/events?after=<event id>`` gives the events
committed after that one, in commit order. A :class:`Poller` keeps the id of
the last event it yielded as its :attr:`Poller.position` and asks again from
there, so every event comes once, with no gap and no repeat.
"""
import time
from typing import Callable, Iterator, List, Optional, Tuple

from .envelope import Envelope

__all__ = ["Poller", "BEGINNING", "FetchAfter"]

#: A position before every event an account still has: start here to read them all.
BEGINNING = "evt_00000000000000000000000000"

#: Fetches the page of events after an event id: the events and the page's `next_cursor`.
FetchAfter = Callable[[str], Tuple[List[Envelope], Optional[str]]]


class Poller:
    """Yields the events after `after`, oldest first.

    With ``follow=False`` iteration ends once it is up to date (a page with no
    `next_cursor`); with ``follow=True`` it never ends: when up to date it
    waits `interval` seconds and asks again. :attr:`position` is the id of
    the last event yielded (keep it to resume later).
    """

    def __init__(self, fetch: FetchAfter, after: str = BEGINNING, *, follow: bool = False,
                 interval: float = 1.0, sleep: Callable[[float], None] = time.sleep) -> None:
        self._fetch = fetch
        self.position = after
        self.follow = follow
        self.interval = interval
        self._sleep = sleep

    def __iter__(self) -> Iterator[Envelope]:
        while True:
            events, next_cursor = self._fetch(self.position)
            for event in events:
                self.position = event["id"]
                yield event
            if next_cursor and events:
                continue
            if not self.follow:
                return
            if not events:
                self._sleep(self.interval)
