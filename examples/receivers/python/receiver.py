"""A Herald webhook receiver in Python (Flask).

It verifies every request's X-Webhook-Signature (HMAC-SHA256 of
"<t>.<raw body>" keyed by the whole secret; any v1 may match, compared in
constant time; t within 5 minutes), processes each event id once (a
redelivery is answered 200 and not processed again), and prints one line per
processed event:

    HERALD_SECRET=whsec_... PORT=9000 python3 receiver.py

POST webhooks to http://127.0.0.1:$PORT/webhook. Needs Flask
(`python3 -m pip install flask`). HOST sets the address to listen on
(127.0.0.1 by default).
"""
import hashlib
import hmac
import json
import os
import sys
import threading
import time

from flask import Flask, jsonify, request

TOLERANCE_SECONDS = 300

app = Flask(__name__)
SECRET = os.environ.get("HERALD_SECRET", "")

# Event ids already processed. In production, keep them where they survive a
# restart and are shared by every instance: a table with a unique key on the
# event id, written in the same transaction as the event's effects.
processed_ids = set()
processed_lock = threading.Lock()


def verify_signature(raw_body: bytes, header: str, secret: str) -> bool:
    """True when one of the header's v1 signatures is ours and t is recent."""
    timestamp = None
    signatures = []
    for element in header.split(","):
        key, _, value = element.strip().partition("=")
        if key == "t":
            timestamp = value
        elif key == "v1":
            signatures.append(value.encode())  # bytes: compare_digest refuses non-ASCII text
    # isascii: "²" is a digit to isdigit, but not to int.
    if timestamp is None or not (timestamp.isascii() and timestamp.isdigit()) or not signatures:
        return False
    if abs(time.time() - int(timestamp)) > TOLERANCE_SECONDS:
        return False
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + raw_body, hashlib.sha256).hexdigest().encode()
    # Compare with every v1 (during a secret rotation there are two), each in
    # constant time, without stopping at the first match.
    matched = False
    for signature in signatures:
        matched |= hmac.compare_digest(signature, expected)
    return matched


output_lock = threading.Lock()


def say(line: str) -> None:
    """One whole line on standard output: requests run on several threads."""
    with output_lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def process(event: dict) -> None:
    """The receiver's own work; here, one line on standard output."""
    say(f"processed {event['id']} {event['type']}")
    if event["type"] == "project.completed":
        say(f"  video ready: {event['data'].get('video_url')}")


@app.post("/webhook")
def webhook():
    raw_body = request.get_data()  # the bytes as received, never re-serialised JSON
    if not verify_signature(raw_body, request.headers.get("X-Webhook-Signature", ""), SECRET):
        return jsonify({"error": "invalid signature"}), 401
    try:
        event = json.loads(raw_body)
        event_id = event["id"]
    except (ValueError, KeyError, TypeError):
        return jsonify({"error": "not an event"}), 400

    with processed_lock:
        if event_id in processed_ids:
            say(f"duplicate {event_id} ignored")
            return jsonify({"received": True, "duplicate": True}), 200
        processed_ids.add(event_id)
    try:
        process(event)
    except Exception:
        # Not processed after all: forget the id so that Herald's retry is.
        with processed_lock:
            processed_ids.discard(event_id)
        raise
    return jsonify({"received": True}), 200


if __name__ == "__main__":
    if not SECRET:
        sys.exit("receiver.py: set HERALD_SECRET to the endpoint's signing secret (whsec_...)")
    app.run(host=os.environ.get("HOST", "127.0.0.1"), port=int(os.environ.get("PORT", "9000")), threaded=True)
