"""Typed errors: each refusal raises the subclass of its status, with the problem's fields."""
import socket
from typing import Any, cast

import pytest

from herald_client import (
    ApiError,
    BadRequest,
    Conflict,
    Forbidden,
    HeraldClient,
    HeraldError,
    NetworkError,
    NotFound,
    Unauthorized,
    UnprocessableEntity,
    ValidationError,
)
from herald_client.models import PublishBody
from herald_support import unique_id


def test_422_names_the_field(herald: HeraldClient, account: str) -> None:
    bad = cast(PublishBody, {"type": "project.completed", "data": {"project_id": "forty-two",
                                                                   "project_type": "scene_project"}})
    with pytest.raises(ValidationError) as caught:
        herald.publish(account, bad)
    error = caught.value
    assert isinstance(error, UnprocessableEntity) and isinstance(error, ApiError) and isinstance(error, HeraldError)
    assert error.status == 422
    assert error.type and error.title and error.detail
    assert "/data/project_id" in error.pointers
    assert all(e["message"] for e in error.errors)


def test_404_for_what_does_not_exist(herald: HeraldClient, account: str) -> None:
    with pytest.raises(NotFound) as caught:
        herald.get_endpoint(account, "ep_01JQ8Z6X3M0000000000000000")
    assert caught.value.status == 404
    with pytest.raises(NotFound):
        herald.get_account(unique_id("missing"))


def test_401_with_a_bad_token(herald_url: str, account: str) -> None:
    with pytest.raises(Unauthorized) as caught:
        HeraldClient(herald_url, "not-a-token").get_account(account)
    assert caught.value.status == 401 and caught.value.detail


def test_403_for_an_account_key_on_admin_operations(herald: HeraldClient, herald_url: str, account: str) -> None:
    key = herald.create_account_key(account)
    assert key["key"].startswith("hk_")
    customer = HeraldClient(herald_url, key["key"])
    assert customer.get_account(account)["id"] == account  # its own account: allowed
    with pytest.raises(Forbidden) as caught:
        customer.publish(account, {"type": "credits.low", "data": {"balance": 1, "threshold": 2}})
    assert caught.value.status == 403
    with pytest.raises(Forbidden):
        customer.create_account(unique_id(), "nope")
    other = herald.create_account(unique_id(), "Another")["id"]
    with pytest.raises(NotFound):
        customer.list_endpoints(other)


def test_409_for_a_duplicate_account(herald: HeraldClient, account: str) -> None:
    with pytest.raises(Conflict) as caught:
        herald.create_account(account, "again")
    assert caught.value.status == 409 and caught.value.detail


def test_400_names_the_parameter(herald: HeraldClient, account: str) -> None:
    with pytest.raises(BadRequest) as caught:
        herald.list_deliveries(account, limit=0)
    assert caught.value.parameters == ["limit"]
    with pytest.raises(BadRequest) as caught:
        herald.list_deliveries(account, status=cast(Any, "lost"))
    assert caught.value.parameters == ["status"]


def test_network_error_is_not_an_api_error() -> None:
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(NetworkError) as caught:
        HeraldClient(f"http://127.0.0.1:{port}", "token", timeout=5).list_event_types()
    assert not isinstance(caught.value, ApiError) and isinstance(caught.value, HeraldError)
