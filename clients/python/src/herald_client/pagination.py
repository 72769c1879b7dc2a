"""Iterating a cursor-paginated list across all its pages.

Herald's lists answer ``{"data": [...], "next_cursor": ...}``; a
:class:`Paginator` asks for the next page with that cursor until it is null,
so the caller sees one flat sequence of items (or, with :meth:`Paginator.pages`,
one list per page).
"""
from typing import Callable, Generic, Iterator, List, Optional, Tuple, TypeVar

from .errors import HeraldError

__all__ = ["Paginator", "FetchPage"]

T = TypeVar("T")

#: Fetches one page given a cursor (None for the first): its items and its `next_cursor`.
FetchPage = Callable[[Optional[str]], Tuple[List[T], Optional[str]]]


class Paginator(Generic[T]):
    """Every item of a list, page after page, fetched lazily as iteration goes.

    Iterate it more than once and the pages are fetched again from the first.
    """

    def __init__(self, fetch: "FetchPage[T]") -> None:
        self._fetch = fetch

    def pages(self) -> Iterator[List[T]]:
        """Each page's items, in order; stops after the page whose `next_cursor` is null."""
        cursor: Optional[str] = None
        seen = set()
        while True:
            items, next_cursor = self._fetch(cursor)
            yield items
            if not next_cursor:
                return
            if next_cursor in seen:
                raise HeraldError(f"the list gave the cursor {next_cursor!r} twice; stopping")
            seen.add(next_cursor)
            cursor = next_cursor

    def __iter__(self) -> Iterator[T]:
        for page in self.pages():
            yield from page

    def to_list(self) -> List[T]:
        """All items of all pages."""
        return list(self)
