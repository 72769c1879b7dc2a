"""`verify` against the fixed signature vectors (a fixed clock), rotation and refusals. No server needed."""
import json
from pathlib import Path
from typing import Any, Dict, List

import pytest

from herald_client import WebhookVerificationError, sign, signature_header, verify, verify_or_raise

_HERE = Path(__file__).resolve().parent
_CANDIDATES = [
    _HERE.parents[2] / "crates" / "herald" / "tests" / "conformance" / "signature-vectors.json",
    Path("/work/shared/conformance/signature-vectors.json"),
]


def _vectors() -> List[Dict[str, Any]]:
    for path in _CANDIDATES:
        if path.exists():
            loaded: List[Dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))["x_webhook_signature"]
            return loaded
    raise AssertionError(f"signature-vectors.json not found in {[str(p) for p in _CANDIDATES]}")


VECTORS = _vectors()


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_vector(vector: Dict[str, Any]) -> None:
    body = vector["body"].encode("utf-8")
    secrets = [vector["secret"]] + ([vector["previous_secret"]] if "previous_secret" in vector else [])
    for secret in secrets:  # during a rotation, either secret alone is enough
        assert verify(body, vector["header"], secret, now=vector["t"]) is vector["valid"]
    assert verify(body, vector["header"], secrets, now=vector["t"]) is vector["valid"]
    if vector["valid"]:
        verify_or_raise(body, vector["header"], vector["secret"], now=vector["t"] + 300)
        assert signature_header(body, secrets[::-1], vector["t"]) == vector["header"]
    else:
        with pytest.raises(WebhookVerificationError, match="no signature"):
            verify_or_raise(body, vector["header"], vector["secret"], now=vector["t"])


def test_tolerance() -> None:
    vector = VECTORS[0]
    body, header, secret, t = vector["body"].encode(), vector["header"], vector["secret"], vector["t"]
    assert verify(body, header, secret, now=t - 300) and verify(body, header, secret, now=t + 300)
    assert not verify(body, header, secret, now=t + 301)
    assert not verify(body, header, secret, now=t - 301)
    assert verify(body, header, secret, tolerance=86400, now=t + 3600)
    with pytest.raises(WebhookVerificationError, match="tolerance"):
        verify_or_raise(body, header, secret, now=t + 301)
    assert not verify(body, header, secret)  # the real clock: years later


def test_malformed_headers() -> None:
    secret = VECTORS[0]["secret"]
    good = sign(b"{}", secret, 1000)
    for header, reason in [
        ("", "no timestamp"),
        (f"v1={good}", "no timestamp"),
        ("t=1000", "no v1"),
        (f"t=abc,v1={good}", "not unix seconds"),
        (f"t=-1000,v1={good}", "not unix seconds"),
    ]:
        assert not verify(b"{}", header, secret, now=1000)
        with pytest.raises(WebhookVerificationError, match=reason):
            verify_or_raise(b"{}", header, secret, now=1000)
    assert verify(b"{}", f"t=1000, v1=deadbeef, v1={good}, v2=whatever", secret, now=1000)
    assert verify("{}", f"t=1000,v1={good}", secret, now=1000)  # str bodies are UTF-8
    assert not verify(b"{}", f"t=1000,v1={good.upper()}", secret, now=1000)
    with pytest.raises(WebhookVerificationError):
        verify_or_raise(b"{}", f"t=1000,v1={good}", [], now=1000)
