"""Following events: pages of deliveries, polling with `after=`, and the live stream with its resumption."""
import threading
from typing import List

import pytest

from herald_client import BEGINNING, BadRequest, HeraldClient
from herald_client.models import ProjectCreatedEvent
from herald_support import Receiver, credits_low, take, wait_until


def test_deliveries_across_pages(herald: HeraldClient, account: str, receiver: Receiver) -> None:
    endpoint = herald.create_endpoint(account, receiver.url)
    ids = [herald.publish(account, credits_low(n))["event"]["id"] for n in range(7)]

    seen = [d["event_id"] for d in herald.iter_deliveries(account, limit=2)]
    assert sorted(seen) == sorted(ids) and len(seen) == 7
    pages = list(herald.iter_deliveries(account, endpoint_id=endpoint["id"], limit=2).pages())
    assert [len(p) for p in pages] == [2, 2, 2, 1]

    first = herald.list_deliveries(account, limit=2)
    assert len(first["data"]) == 2 and first["next_cursor"]
    second = herald.list_deliveries(account, limit=2, cursor=first["next_cursor"])
    assert not {d["id"] for d in first["data"]} & {d["id"] for d in second["data"]}

    wait_until(lambda: herald.list_deliveries(account, status="succeeded", limit=500)["data"],
               lambda ds: len(ds) == 7, "all 7 deliveries to succeed")
    one = [d for d in herald.iter_deliveries(account, event_id=ids[3], status="succeeded", event_type="credits.low")]
    assert [d["event_id"] for d in one] == [ids[3]]
    assert list(herald.iter_deliveries(account, status="failed")) == []

    newest_first = [e["id"] for e in herald.iter_events(account, limit=3)]
    assert newest_first == list(reversed(ids))


def test_polling(herald: HeraldClient, account: str) -> None:
    ids = [herald.publish(account, credits_low(n))["event"]["id"] for n in range(5)]

    poller = herald.poll_events(account, limit=2)
    assert [e["id"] for e in poller] == ids  # oldest first, across pages
    assert poller.position == ids[-1]

    more = [herald.publish(account, credits_low(n))["event"]["id"] for n in (5, 6)]
    assert [e["id"] for e in herald.poll_events(account, after=poller.position)] == more

    events, next_cursor = herald.events_after(account, BEGINNING, limit=3)
    assert [e["id"] for e in events] == ids[:3] and next_cursor == ids[2]
    events, next_cursor = herald.events_after(account, more[-1])
    assert events == [] and next_cursor is None
    assert [e["id"] for e in herald.poll_events(account, after=ids[1], type="credits.low", limit=500)] == \
        ids[2:] + more


def test_polling_follow_waits_for_new_events(herald: HeraldClient, account: str) -> None:
    first = herald.publish(account, credits_low(1))["event"]["id"]
    poller = herald.poll_events(account, follow=True, interval=0.05)
    iterator = iter(poller)
    assert next(iterator)["id"] == first
    later = herald.publish(account, credits_low(2))["event"]["id"]
    assert next(iterator)["id"] == later


def test_stream_gets_events_and_resumes_after_a_drop(herald: HeraldClient, account: str) -> None:
    stream = herald.stream_events(account, max_retries=10)
    try:
        opening = stream.last_event_id
        assert opening is not None and opening.startswith("evt_")
        published: List[str] = [herald.publish(account, credits_low(n))["event"]["id"] for n in range(3)]
        got = take(stream, 3)
        assert [e.id for e in got] == published
        assert got[0].type == "credits.low" and got[0].envelope["id"] == published[0]
        assert got[0].raw == '{"id":"%s","type":"credits.low","created_at":"%s","data":{"balance":0,' \
            '"threshold":1000}}' % (published[0], got[0].envelope["created_at"])

        stream.disconnect()  # the connection drops; the next events come over a new one
        published += [herald.publish(account, credits_low(n))["event"]["id"] for n in range(3, 6)]
        got += take(stream, 3)
        assert [e.id for e in got] == published  # nothing lost, nothing twice
        assert stream.connections == 2
        assert stream.last_event_id == published[-1]
    finally:
        stream.close()
    assert list(stream) == []


def test_stream_resumes_from_its_opening_position(herald: HeraldClient, account: str) -> None:
    stream = herald.stream_events(account, max_retries=10)
    try:
        stream.disconnect()  # dropped before any event: only the opening `id:` was seen
        ids = [herald.publish(account, credits_low(n))["event"]["id"] for n in range(2)]
        assert [e.id for e in take(stream, 2)] == ids
        assert stream.connections == 2
    finally:
        stream.close()


def test_stream_disconnected_from_another_thread(herald: HeraldClient, account: str) -> None:
    stream = herald.stream_events(account, max_retries=10)
    ids: List[str] = []

    def cut_then_publish() -> None:  # whether or not the reader is waiting yet, nothing may be lost
        stream.disconnect()
        ids.extend(herald.publish(account, credits_low(n))["event"]["id"] for n in range(2))

    worker = threading.Thread(target=cut_then_publish)
    try:
        worker.start()
        got = [e.id for e in take(stream, 2)]
        worker.join()
        assert got == ids
    finally:
        stream.close()


def test_stream_resumes_from_a_given_id_with_filters(herald: HeraldClient, account: str) -> None:
    created: ProjectCreatedEvent = {"type": "project.created",
                                    "data": {"project_id": 43, "project_type": "scene_project"}}
    before = herald.publish(account, credits_low(0))["event"]["id"]
    herald.publish(account, created)  # another project
    herald.publish(account, credits_low(1))  # another type
    wanted = herald.publish(account, {"type": "project.processing", "data": {
        "project_id": 42, "project_type": "scene_project", "progress": 10}})["event"]["id"]
    stream = herald.stream_events(account, types=["project.*"], project_id=42, last_event_id=before,
                                  max_retries=10)
    try:
        [event] = take(stream, 1)
        assert event.id == wanted and event.type == "project.processing"
        assert event.envelope["data"]["progress"] == 10
    finally:
        stream.close()


def test_stream_refusals_are_raised(herald: HeraldClient, account: str) -> None:
    with pytest.raises(BadRequest) as caught:
        herald.stream_events(account, types="no such type")
    assert caught.value.parameters == ["types"]
