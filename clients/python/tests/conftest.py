"""Fixtures for the tests that talk to a real Herald.

The Herald under test is named by ``HERALD_URL`` and ``HERALD_ADMIN_TOKEN``
(set by the lead's harness, or by hand; see the README's Development
section). Without them, every test that needs a server fails with a message
saying so; the tests that need none (signature vectors, generated models) run
anyway.
"""
import os
from typing import Iterator

import pytest

from herald_client import HeraldClient
from herald_support import Receiver, unique_id


def _server() -> "tuple[str, str]":
    url = os.environ.get("HERALD_URL", "").rstrip("/")
    token = os.environ.get("HERALD_ADMIN_TOKEN", "")
    if not url or not token:
        pytest.fail(
            "HERALD_URL and HERALD_ADMIN_TOKEN must name a running Herald (started with --dev, since the "
            "tests' receivers listen on 127.0.0.1), e.g. HERALD_URL=http://127.0.0.1:8090 "
            "HERALD_ADMIN_TOKEN=$(cat herald-data/admin-token)",
            pytrace=False,
        )
    return url, token


@pytest.fixture
def herald_url() -> str:
    return _server()[0]


@pytest.fixture
def admin_token() -> str:
    return _server()[1]


@pytest.fixture
def herald(herald_url: str, admin_token: str) -> HeraldClient:
    """A client with the admin token."""
    return HeraldClient(herald_url, admin_token, timeout=30.0)


@pytest.fixture
def account(herald: HeraldClient) -> str:
    """The id of a new account of this test's own."""
    return herald.create_account(unique_id(), "Python client test")["id"]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A webhook receiver on 127.0.0.1, in a thread, recording what it gets."""
    r = Receiver()
    try:
        yield r
    finally:
        r.stop()
