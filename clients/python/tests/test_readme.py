"""The first ```python block of this client's README, and that of Herald's
own README (its quickstart), each run as written against the platform's
sample receiver.

The seed receiver runs as a subprocess with a `whsec_…` secret, and each
block runs as a script with HERALD_URL, HERALD_ADMIN_TOKEN and RECEIVER_URL
in its environment, and the secret as WEBHOOK_SECRET (this README) or
SECRET (Herald's, as its quickstart's `export SECRET` gives it).
"""
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Iterator, List, Tuple

import pytest

from herald_support import fresh_secret, wait_until

PACKAGE = Path(__file__).resolve().parents[1]
README = PACKAGE / "README.md"
REPOSITORY = PACKAGE.parents[1]
SEED = REPOSITORY / "crates" / "herald" / "tests" / "conformance" / "seed_receiver.py"


def first_python_block(readme: Path = README) -> str:
    match = re.search(r"^```python\n(.*?)^```", readme.read_text(encoding="utf-8"), re.S | re.M)
    assert match, f"{readme} has no ```python block"
    return match.group(1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def seed_receiver(tmp_path: Path) -> Iterator[Tuple[str, str, Path]]:
    """The seed receiver on a free port: (its URL, its secret, its log)."""
    secret, port, log = fresh_secret(), free_port(), tmp_path / "received.jsonl"
    env = dict(os.environ, WEBHOOK_SECRET=secret, PORT=str(port), LOG=str(log))
    output = open(tmp_path / "seed_receiver.out", "w")
    process = subprocess.Popen([sys.executable, str(SEED)], env=env, stdout=output, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/webhooks/twin-actor"
    try:
        deadline = time.monotonic() + 30
        while True:  # until it answers (a GET on its POST route: 405)
            try:
                urllib.request.urlopen(url, timeout=2)
                break
            except urllib.error.HTTPError:
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError("the seed receiver did not start: "
                                         + (tmp_path / "seed_receiver.out").read_text())
                time.sleep(0.05)
        yield url, secret, log
    finally:
        process.terminate()
        process.wait(timeout=10)
        output.close()


def run_block(block: str, env: dict, tmp_path: Path) -> str:
    """Runs `block` as a script with `env` added; its output, after checking it succeeded."""
    script = tmp_path / "readme_example.py"
    script.write_text(block, encoding="utf-8")
    source = str(PACKAGE / "src")
    env = dict(os.environ, **env,
               PYTHONPATH=os.pathsep.join(p for p in [source, os.environ.get("PYTHONPATH", "")] if p))
    done = subprocess.run([sys.executable, str(script)], env=env, cwd=tmp_path, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    return done.stdout


def test_readme_example_runs(herald_url: str, admin_token: str, seed_receiver: Tuple[str, str, Path],
                             tmp_path: Path) -> None:
    url, secret, log = seed_receiver
    env = dict(HERALD_URL=herald_url, HERALD_ADMIN_TOKEN=admin_token, RECEIVER_URL=url, WEBHOOK_SECRET=secret)
    assert "resent" in run_block(first_python_block(), env, tmp_path)
    received = [json.loads(line) for line in log.read_text().splitlines()]
    assert len(received) == 2 and all(r["accepted"] for r in received)


def test_heralds_quickstart_with_the_python_client_runs(herald_url: str, admin_token: str,
                                                         seed_receiver: Tuple[str, str, Path],
                                                         tmp_path: Path) -> None:
    url, secret, log = seed_receiver
    env = dict(HERALD_URL=herald_url, HERALD_ADMIN_TOKEN=admin_token, RECEIVER_URL=url, SECRET=secret)
    assert "resent" in run_block(first_python_block(REPOSITORY / "README.md"), env, tmp_path)

    def received() -> List[str]:
        return log.read_text().splitlines() if log.exists() else []

    # The resend goes after retry's answer: wait for it, then check both were accepted.
    lines = wait_until(received, lambda lines: len(lines) >= 2, "the delivery and its resend at the receiver")
    assert len(lines) == 2 and all(json.loads(line)["accepted"] for line in lines), lines
