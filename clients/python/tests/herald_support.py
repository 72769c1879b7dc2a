"""Helpers for the tests: a real webhook receiver, and waiting on Herald with a deadline.

Nothing here sleeps to synchronise: :func:`wait_until` asks Herald again until
the answer is the one wanted (or a deadline passes), and :class:`Receiver`
wakes its waiters when a request arrives.
"""
import http.server
import json
import socketserver
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterator, List, Optional, TypeVar

from herald_client import EventStream, HeraldClient, StreamEvent
from herald_client.models import CreditsLowEvent, DeliveryView, ProjectCompletedEvent

T = TypeVar("T")

DEADLINE = 30.0

PROJECT_COMPLETED: ProjectCompletedEvent = {
    "type": "project.completed",
    "data": {
        "project_id": 42,
        "project_type": "scene_project",
        "video_url": "https://storage.twin.actor/videos/project_42_final.mp4",
        "duration_seconds": 50,
        "credits_used": 500,
    },
}


def unique_id(prefix: str = "py") -> str:
    """An id no other test (nor another suite on the same Herald) uses."""
    return f"{prefix}-{uuid.uuid4().hex[:16]}"


def credits_low(balance: int) -> CreditsLowEvent:
    return {"type": "credits.low", "data": {"balance": balance, "threshold": 1000}}


def wait_until(fetch: Callable[[], T], done: Callable[[T], bool], what: str, timeout: float = DEADLINE) -> T:
    """Call `fetch` until `done` holds for its result; that result. Fails after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = fetch()
        if done(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}; last seen: {value!r}")
        time.sleep(0.05)  # the interval between two polls of the API


def wait_for_deliveries(herald: HeraldClient, account: str, event_id: str, status: str = "succeeded",
                        count: int = 1) -> List[DeliveryView]:
    """The deliveries of `event_id`, once `count` of them have `status`."""
    page = wait_until(
        lambda: herald.list_deliveries(account, event_id=event_id),
        lambda p: sum(1 for d in p["data"] if d["status"] == status) >= count,
        f"{count} delivery(ies) of {event_id} to be {status}",
    )
    return page["data"]


@dataclass
class Received:
    """One request the receiver got."""

    path: str
    headers: Dict[str, str]
    body: bytes

    def header(self, name: str) -> str:
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        raise KeyError(name)

    def json(self) -> Any:
        return json.loads(self.body)


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    owner: "Receiver"


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        owner = self.server.owner
        status = owner.status
        owner.record(Received(self.path, {k: v for k, v in self.headers.items()}, body))
        answer = json.dumps({"status": status}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class Receiver:
    """An HTTP server on 127.0.0.1 (a port of its own) that answers `status` and records each request."""

    def __init__(self) -> None:
        self.status = 200
        self.requests: List[Received] = []
        self._changed = threading.Condition()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.owner = self
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/hook"

    def record(self, request: Received) -> None:
        with self._changed:
            self.requests.append(request)
            self._changed.notify_all()

    def wait_for(self, done: Callable[[List[Received]], bool], what: str,
                 timeout: float = DEADLINE) -> List[Received]:
        """Block until `done(requests)` holds (woken by each request); the requests."""
        with self._changed:
            if not self._changed.wait_for(lambda: done(self.requests), timeout):
                raise AssertionError(f"timed out after {timeout}s waiting for {what}; got {len(self.requests)}")
            return list(self.requests)

    def for_event(self, event_id: str) -> List[Received]:
        with self._changed:
            return [r for r in self.requests if header_of(r, "X-Webhook-ID") == event_id]

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def take(stream: EventStream, n: int, timeout: float = DEADLINE) -> List[StreamEvent]:
    """The next `n` events of `stream`; fails if they do not all come within `timeout` seconds."""
    watchdog = threading.Timer(timeout, stream.close)
    watchdog.daemon = True
    watchdog.start()
    got: List[StreamEvent] = []
    try:
        iterator: Iterator[StreamEvent] = iter(stream)
        while len(got) < n:
            try:
                got.append(next(iterator))
            except StopIteration:
                break
    finally:
        watchdog.cancel()
    if len(got) < n:
        raise AssertionError(f"the stream gave {len(got)} of {n} events within {timeout}s: {[e.id for e in got]}")
    return got


def fresh_secret() -> str:
    """A `whsec_…` secret of the form Herald takes: standard base64 of 32 random bytes."""
    import base64
    import os

    return "whsec_" + base64.b64encode(os.urandom(32)).decode()


def header_of(request: Received, name: str) -> Optional[str]:
    try:
        return request.header(name)
    except KeyError:
        return None
