"""Accounts, endpoints and their settings, portal links, the event-type catalog."""
import pytest

from herald_client import HeraldClient, NotFound, UnprocessableEntity
from herald_client.models import EVENT_TYPES, ProjectCompletedEvent
from herald_support import PROJECT_COMPLETED, Receiver, credits_low, unique_id, wait_for_deliveries


def test_accounts(herald: HeraldClient) -> None:
    account_id = unique_id()
    created = herald.create_account(account_id, "Acme Studios")
    assert created["id"] == account_id and created["name"] == "Acme Studios"
    assert herald.get_account(account_id) == created
    assert any(a["id"] == account_id for a in herald.iter_accounts(limit=100))
    generated = herald.create_account(name="Generated id")
    assert generated["id"].startswith("acc_")


def test_endpoint_lifecycle(herald: HeraldClient, account: str, receiver: Receiver) -> None:
    created = herald.create_endpoint(account, receiver.url, description="first", event_types=["credits.*"])
    endpoint_id = created["id"]
    view = herald.get_endpoint(account, endpoint_id)
    assert view["url"] == receiver.url and view["description"] == "first"
    assert view["event_types"] == ["credits.*"] and view["enabled"] is True
    assert "secret" not in view
    assert herald.get_endpoint_secret(account, endpoint_id) == created["secret"]
    second = herald.create_endpoint(account, receiver.url + "/2")
    assert {e["id"] for e in herald.iter_endpoints(account, limit=1)} == {endpoint_id, second["id"]}
    assert len(herald.list_endpoints(account, limit=1)["data"]) == 1

    changed = herald.update_endpoint(account, endpoint_id, description="second")
    assert changed["description"] == "second" and changed["event_types"] == ["credits.*"]
    changed = herald.update_endpoint(account, endpoint_id, event_types=None)
    assert changed["event_types"] is None
    with pytest.raises(UnprocessableEntity) as caught:
        herald.update_endpoint(account, endpoint_id, event_types=[])
    assert caught.value.pointers == ["/event_types"]

    herald.delete_endpoint(account, endpoint_id)
    with pytest.raises(NotFound):
        herald.get_endpoint(account, endpoint_id)


def test_endpoint_settings(herald: HeraldClient, account: str, receiver: Receiver) -> None:
    endpoint = herald.create_endpoint(
        account, receiver.url,
        event_types=["project.*"],
        filter='data.project_type == "scene_project"',
        rate_limit=5,
        headers={"Authorization": "Bearer abc", "X-Tenant": "t-1"},
        ordered=True,
        description="settings",
    )
    assert endpoint["rate_limit"] == 5 and endpoint["ordered"] is True
    assert endpoint["filter"] == 'data.project_type == "scene_project"'
    assert sorted(endpoint["header_names"]) == ["Authorization", "X-Tenant"]
    assert "headers" not in endpoint
    assert herald.get_endpoint_headers(account, endpoint["id"]) == {"Authorization": "Bearer abc", "X-Tenant": "t-1"}

    skipped: ProjectCompletedEvent = {"type": "project.completed",
                                      "data": {**PROJECT_COMPLETED["data"], "project_type": "avatar_project"}}
    assert herald.publish(account, skipped)["deliveries"] == 0  # the filter leaves it out
    assert herald.publish(account, credits_low(1))["deliveries"] == 0  # not subscribed
    event = herald.publish(account, PROJECT_COMPLETED)["event"]
    wait_for_deliveries(herald, account, event["id"])
    [request] = receiver.wait_for(lambda rs: len(rs) >= 1, "the webhook")
    assert request.header("Authorization") == "Bearer abc" and request.header("X-Tenant") == "t-1"

    with pytest.raises(UnprocessableEntity) as caught:
        herald.update_endpoint(account, endpoint["id"], headers={"Host": "example.com"})
    assert caught.value.pointers == ["/headers/Host"]
    with pytest.raises(UnprocessableEntity) as caught:
        herald.update_endpoint(account, endpoint["id"], rate_limit=0)
    assert caught.value.pointers == ["/rate_limit"]
    with pytest.raises(UnprocessableEntity) as caught:
        herald.update_endpoint(account, endpoint["id"], filter="data.nope == 1")
    assert caught.value.pointers == ["/filter"]

    changed = herald.update_endpoint(account, endpoint["id"], rate_limit=100, headers={"X-Other": "2"}, ordered=False)
    assert changed["rate_limit"] == 100 and changed["ordered"] is False and changed["header_names"] == ["X-Other"]
    assert changed["filter"] == endpoint["filter"]
    cleared = herald.update_endpoint(account, endpoint["id"], rate_limit=None, headers=None, filter=None)
    assert cleared["rate_limit"] is None and cleared["header_names"] == [] and cleared["filter"] is None
    assert herald.get_endpoint_headers(account, endpoint["id"]) == {}


def test_portal_link(herald: HeraldClient, herald_url: str, account: str) -> None:
    link = herald.create_portal_link(account, expires_in_seconds=60)
    assert "/portal/login?token=" in link["url"] and link["expires_at"]
    with pytest.raises(UnprocessableEntity) as caught:
        herald.create_portal_link(account, expires_in_seconds=0)
    assert caught.value.pointers == ["/expires_in_seconds"]


def test_event_types(herald: HeraldClient) -> None:
    catalog = herald.list_event_types()["data"]
    by_type = {t["type"]: t for t in catalog}
    for name in EVENT_TYPES:
        assert by_type[name]["operational"] is False
        assert by_type[name]["schema"] is not None and by_type[name]["example"] is not None
    assert {"endpoint.disabled", "endpoint.enabled"} <= {t["type"] for t in catalog if t["operational"]}
