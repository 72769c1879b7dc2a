"""Publishing and what follows: delivery to a real receiver, idempotency, batches, retry, disable and enable,
recover, test events, stats, secret rotation."""
import datetime

import pytest

from herald_client import Conflict, HeraldClient, verify, verify_or_raise
from herald_support import (
    PROJECT_COMPLETED,
    Receiver,
    credits_low,
    fresh_secret,
    wait_for_deliveries,
    wait_until,
)


def test_publish_is_delivered_signed(herald: HeraldClient, account: str, receiver: Receiver) -> None:
    endpoint = herald.create_endpoint(account, receiver.url)
    assert endpoint["secret"].startswith("whsec_")
    published = herald.publish(account, PROJECT_COMPLETED)
    event = published["event"]
    assert published["deliveries"] == 1
    assert event["type"] == "project.completed" and event["data"] == PROJECT_COMPLETED["data"]

    [delivery] = wait_for_deliveries(herald, account, event["id"])
    assert delivery["endpoint_id"] == endpoint["id"]
    [request] = receiver.wait_for(lambda rs: any(r.json()["id"] == event["id"] for r in rs), "the webhook")
    assert request.header("X-Webhook-ID") == event["id"]
    assert request.header("X-Webhook-Event") == "project.completed"
    assert request.header("X-Webhook-Delivery") == delivery["id"]
    assert verify(request.body, request.header("X-Webhook-Signature"), endpoint["secret"])
    verify_or_raise(request.body, request.header("X-Webhook-Signature"), endpoint["secret"])
    assert not verify(request.body, request.header("X-Webhook-Signature"), fresh_secret())
    assert not verify(request.body + b" ", request.header("X-Webhook-Signature"), endpoint["secret"])
    assert request.json() == herald.get_event(account, event["id"])

    detail = herald.get_delivery(account, delivery["id"])
    assert detail["status"] == "succeeded"
    assert [a["response_status"] for a in detail["attempts"]] == [200]


def test_idempotency_key_gives_the_same_event(herald: HeraldClient, account: str, receiver: Receiver) -> None:
    herald.create_endpoint(account, receiver.url)
    first = herald.publish(account, credits_low(10), idempotency_key="low-10")
    again = herald.publish(account, credits_low(10), idempotency_key="low-10")
    assert again == first
    other = herald.publish(account, credits_low(10), idempotency_key="low-10-b")
    assert other["event"]["id"] != first["event"]["id"]
    with pytest.raises(Conflict) as refused:
        herald.publish(account, credits_low(11), idempotency_key="low-10")
    assert refused.value.status == 409
    events = [e["id"] for e in herald.iter_events(account)]
    assert sorted(events) == sorted([first["event"]["id"], other["event"]["id"]])
    wait_for_deliveries(herald, account, first["event"]["id"])
    assert len(herald.list_deliveries(account, event_id=first["event"]["id"])["data"]) == 1


def test_batch(herald: HeraldClient, account: str, receiver: Receiver) -> None:
    herald.create_endpoint(account, receiver.url, event_types=["credits.*"])
    batch = herald.publish_batch(account, [credits_low(1), credits_low(2), {"type": "credits.depleted",
                                                                              "data": {"balance": 0}}])
    assert [e["type"] for e in batch["events"]] == ["credits.low", "credits.low", "credits.depleted"]
    assert [e["data"]["balance"] for e in batch["events"]] == [1, 2, 0]
    assert batch["deliveries"] == 3
    for event in batch["events"]:
        wait_for_deliveries(herald, account, event["id"])
    assert {e["id"] for e in herald.iter_events(account)} == {e["id"] for e in batch["events"]}


def test_retry_resends_now(herald: HeraldClient, account: str, receiver: Receiver) -> None:
    receiver.status = 500
    herald.create_endpoint(account, receiver.url)
    event = herald.publish(account, credits_low(5))["event"]
    [delivery] = wait_until(
        lambda: herald.list_deliveries(account, event_id=event["id"])["data"],
        lambda ds: len(ds) == 1 and ds[0]["attempt_count"] >= 1,
        "the first attempt",
    )
    assert delivery["status"] == "pending" and delivery["last_response_status"] == 500
    assert delivery["next_attempt_at"]

    receiver.status = 200
    herald.retry_delivery(account, delivery["id"])
    done = wait_until(lambda: herald.get_delivery(account, delivery["id"]), lambda d: d["status"] == "succeeded",
                      "the retry to succeed")
    assert [a["response_status"] for a in done["attempts"]] == [500, 200]
    assert len(receiver.for_event(event["id"])) == 2


def test_disable_skips_and_enable_redelivers(herald: HeraldClient, account: str, receiver: Receiver) -> None:
    endpoint = herald.create_endpoint(account, receiver.url)
    disabled = herald.disable_endpoint(account, endpoint["id"])
    assert disabled["enabled"] is False and disabled["disabled_cause"] == "manual"
    event = herald.publish(account, credits_low(3))["event"]
    [skipped] = wait_for_deliveries(herald, account, event["id"], status="skipped")
    with pytest.raises(Conflict):
        herald.retry_delivery(account, skipped["id"])

    enabled = herald.enable_endpoint(account, endpoint["id"], redeliver_missed=True)
    assert enabled["enabled"] is True and enabled["disabled_cause"] is None
    wait_for_deliveries(herald, account, event["id"])
    receiver.wait_for(lambda rs: any(r.json()["id"] == event["id"] for r in rs), "the redelivery")


def test_recover_resends_skipped_deliveries(herald: HeraldClient, account: str, receiver: Receiver) -> None:
    endpoint = herald.create_endpoint(account, receiver.url)
    since = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=5)
    herald.disable_endpoint(account, endpoint["id"])
    events = [herald.publish(account, credits_low(n))["event"] for n in (1, 2)]
    for event in events:
        wait_for_deliveries(herald, account, event["id"], status="skipped")
    with pytest.raises(Conflict):
        herald.recover_endpoint(account, endpoint["id"], since)
    herald.enable_endpoint(account, endpoint["id"])  # without redeliver_missed: they stay skipped
    assert all(d["status"] == "skipped" for d in herald.list_deliveries(account)["data"])

    recovery = herald.recover_endpoint(account, endpoint["id"], since)
    assert recovery["id"].startswith("rcv_") and recovery["endpoint_id"] == endpoint["id"]
    done = wait_until(lambda: herald.get_recovery(account, endpoint["id"], recovery["id"]),
                      lambda r: r["status"] != "running", "the recovery to finish")
    assert done["status"] == "done" and done["queued"] == 2
    for event in events:
        wait_for_deliveries(herald, account, event["id"])


def test_test_event_and_stats(herald: HeraldClient, account: str, receiver: Receiver) -> None:
    endpoint = herald.create_endpoint(account, receiver.url)
    delivery = herald.send_test_event(account, endpoint["id"], "project.completed")
    assert delivery["endpoint_id"] == endpoint["id"] and delivery["event_type"] == "project.completed"
    wait_until(lambda: herald.get_delivery(account, delivery["id"]), lambda d: d["status"] == "succeeded",
               "the test event's delivery")
    [request] = receiver.wait_for(lambda rs: len(rs) >= 1, "the test event")
    assert request.json()["type"] == "project.completed"
    assert herald.get_event(account, delivery["event_id"])["id"] == delivery["event_id"]
    assert [e["id"] for e in herald.iter_events(account)] == []  # test events are not listed

    stats = wait_until(lambda: herald.get_endpoint_stats(account, endpoint["id"]), lambda s: s["succeeded"] >= 1,
                       "the stats to count the attempt")
    assert len(stats["hours"]) == 24
    assert stats["failed"] == 0 and stats["success_rate"] == 1.0
    assert sum(h["succeeded"] for h in stats["hours"]) == stats["succeeded"]


def test_rotation_signs_with_both_secrets(herald: HeraldClient, account: str, receiver: Receiver) -> None:
    old = fresh_secret()
    endpoint = herald.create_endpoint(account, receiver.url, secret=old)
    assert endpoint["secret"] == old
    new = herald.rotate_endpoint_secret(account, endpoint["id"])
    assert new != old and new.startswith("whsec_")
    assert herald.get_endpoint_secret(account, endpoint["id"]) == new

    event = herald.publish(account, credits_low(7))["event"]
    wait_for_deliveries(herald, account, event["id"])
    [request] = receiver.wait_for(lambda rs: len(rs) >= 1, "the webhook")
    header = request.header("X-Webhook-Signature")
    assert header.count("v1=") == 2
    assert verify(request.body, header, old)
    assert verify(request.body, header, new)
    assert verify(request.body, header, [fresh_secret(), new])
    assert not verify(request.body, header, fresh_secret())

    chosen = fresh_secret()
    assert herald.rotate_endpoint_secret(account, endpoint["id"], grace_seconds=0, secret=chosen) == chosen
