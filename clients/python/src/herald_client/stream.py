"""The live stream: Server-Sent Events from ``GET …/events/stream``, resumed on every drop.

Herald sends one SSE event per Herald event (``id:`` the event id, ``event:``
its type, ``data:`` the envelope on one line) and opens every stream with an
``id:`` of its starting position and no event. :class:`EventStream` keeps the
last id it saw (that opening one included) and, when the connection drops or
the server ends the stream, reconnects with ``Last-Event-ID`` set to it: the
server resumes right after that event, so nothing is lost and nothing comes
twice.
"""
import http.client
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, Iterator, List, Optional

from ._http import Query, Transport
from .envelope import Envelope
from .errors import ApiError, NetworkError, RateLimited, ServerError, ServiceUnavailable

__all__ = ["EventStream", "StreamEvent", "SSEParser", "Frame"]


@dataclass(frozen=True)
class StreamEvent:
    """One event of the stream."""

    #: The event id (`evt_…`), the SSE `id:`.
    id: str
    #: The event type, the SSE `event:`.
    type: str
    #: The envelope, parsed.
    envelope: Envelope
    #: The `data:` exactly as sent: the envelope's stored bytes, as text.
    raw: str


@dataclass
class Frame:
    """What one SSE block (up to a blank line) said."""

    id: Optional[str] = None
    event: Optional[str] = None
    data: List[str] = field(default_factory=list)
    comments: List[str] = field(default_factory=list)
    retry_ms: Optional[int] = None


class SSEParser:
    """Turns the stream's lines into frames, as the SSE standard reads them."""

    def __init__(self) -> None:
        self._frame = Frame()

    def feed(self, line: str) -> Optional[Frame]:
        """One line (its end of line removed); the frame it completes, if it is blank."""
        if line == "":
            frame, self._frame = self._frame, Frame()
            return frame
        if line.startswith(":"):
            self._frame.comments.append(line[1:].lstrip(" "))
            return None
        name, sep, value = line.partition(":")
        if sep and value.startswith(" "):
            value = value[1:]
        if name == "id" and "\0" not in value:
            self._frame.id = value
        elif name == "event":
            self._frame.event = value
        elif name == "data":
            self._frame.data.append(value)
        elif name == "retry" and value.isdigit():
            self._frame.retry_ms = int(value)
        return None


class _Dropped(Exception):
    """The connection ended, or failed, while reading."""


class EventStream:
    """Iterate it for :class:`StreamEvent`s; it reconnects by itself until :meth:`close`.

    Reconnecting waits 0 s the first time after a healthy connection, then
    0.25 s doubling up to `max_delay`; `max_retries` failed reconnections in a
    row (None: no limit) raise the last error. An answer that retrying cannot
    fix (400, 401, 403, 404) is raised at once.
    """

    def __init__(self, transport: Transport, path: str, query: Query, *, last_event_id: Optional[str] = None,
                 read_timeout: float = 60.0, max_retries: Optional[int] = None, initial_delay: float = 0.25,
                 max_delay: float = 5.0, sleep: Callable[[float], None] = time.sleep) -> None:
        self._transport = transport
        self._path = path
        self._query = query
        #: The last id the stream gave (an event's, or the opening position); resumes from here.
        self.last_event_id = last_event_id
        self.read_timeout = read_timeout
        self.max_retries = max_retries
        self.initial_delay = initial_delay
        self.max_delay = max_delay
        self._sleep = sleep
        self._conn: Optional[http.client.HTTPConnection] = None
        self._response: Optional[http.client.HTTPResponse] = None
        self._parser = SSEParser()
        self._pending: List[StreamEvent] = []
        self._delay = 0.0
        self._closed = False
        self._lock = threading.Lock()
        #: How many times the stream connected (the first time included).
        self.connections = 0

    # -- connection ------------------------------------------------------------

    def open(self) -> "EventStream":
        """Connect now and read the opening position; raises if Herald refuses."""
        if self._response is None:
            self._connect()
            self._read_opening()
        return self

    def _connect(self) -> None:
        headers: Dict[str, str] = {"Accept": "text/event-stream", "Cache-Control": "no-cache"}
        if self.last_event_id:
            headers["Last-Event-ID"] = self.last_event_id
        conn, response = self._transport.open(self._path, query=self._query, headers=headers,
                                              timeout=self.read_timeout)
        with self._lock:
            self._conn, self._response = conn, response
            self._parser = SSEParser()
        self.connections += 1

    def _read_opening(self) -> None:
        """Read up to the first frame: the opening `id:` (kept as `last_event_id`)."""
        try:
            event = self._next_frame_event()
        except _Dropped:
            self._drop()
            return
        if event is not None:
            self._pending.append(event)

    def _reconnect(self) -> None:
        failures = 0
        while True:
            if self._closed:
                return
            if self._delay:
                self._sleep(self._delay)
            self._delay = min(max(self.initial_delay, self._delay * 2), self.max_delay)
            try:
                self._connect()
                self._read_opening()
                return
            except (NetworkError, RateLimited, ServiceUnavailable, ServerError):
                failures += 1
                if self.max_retries is not None and failures > self.max_retries:
                    raise
            except ApiError:
                raise

    def disconnect(self) -> None:
        """Cut the current connection (as a network failure would); iteration reconnects and resumes.

        Safe to call from another thread, even while the iterating one waits for data.
        """
        with self._lock:
            conn = self._conn
        sock = getattr(conn, "sock", None) if conn is not None else None
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def close(self) -> None:
        """Close the stream for good: iteration ends."""
        self._closed = True
        self.disconnect()
        self._drop()

    def _drop(self) -> None:
        with self._lock:
            conn, self._conn, self._response = self._conn, None, None
        if conn is not None:
            conn.close()

    def __enter__(self) -> "EventStream":
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reading ---------------------------------------------------------------

    def _readline(self) -> str:
        response = self._response
        if response is None:
            raise _Dropped()
        try:
            raw = response.readline()
        except (OSError, http.client.HTTPException, ValueError, AttributeError) as e:
            raise _Dropped() from e
        if not raw:
            raise _Dropped()
        return raw.decode("utf-8", "replace").rstrip("\r\n")

    def _next_frame_event(self) -> Optional[StreamEvent]:
        """Read one frame; the event it carries, if any. Ids update `last_event_id` as they come."""
        while True:
            frame = self._parser.feed(self._readline())
            if frame is None:
                continue
            self._delay = 0.0
            if frame.id is not None:
                self.last_event_id = frame.id
            if not frame.data:
                return None
            raw = "\n".join(frame.data)
            envelope: Envelope = json.loads(raw)
            event_id = frame.id if frame.id is not None else envelope.get("id", "")
            return StreamEvent(id=event_id, type=frame.event or envelope.get("type", "message"),
                               envelope=envelope, raw=raw)

    def __iter__(self) -> Iterator[StreamEvent]:
        return self

    def __next__(self) -> StreamEvent:
        while True:
            if self._pending:
                return self._pending.pop(0)
            if self._closed:
                raise StopIteration
            if self._response is None:
                self._reconnect()
                continue
            try:
                event = self._next_frame_event()
            except _Dropped:
                self._drop()
                continue
            if event is not None:
                return event
