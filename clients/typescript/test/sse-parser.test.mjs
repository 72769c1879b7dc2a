// The SSE parser alone, on bodies cut at awkward places (no Herald, no HTTP):
// line ends split across chunks, multi-line data, comments, a last event cut short.
import assert from "node:assert/strict";
import { test } from "node:test";
import { readEvents } from "herald-client";

function body(...chunks) {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const c of chunks) controller.enqueue(typeof c === "string" ? encoder.encode(c) : c);
      controller.close();
    },
  });
}

async function all(stream) {
  const out = [];
  for await (const e of readEvents(stream)) out.push(e);
  return out;
}

test("Herald's framing: opening id, events, comments", async () => {
  const events = await all(
    body(": following the events after evt_0\nid: evt_0\n\nid: evt_1\nevent: credits.low\ndata: {\"a\":1}\n\n: keep-alive\n\n"),
  );
  assert.deepEqual(events, [{ id: "evt_0" }, { id: "evt_1", event: "credits.low", data: '{"a":1}' }]);
});

test("every split point, CRLF and CR line ends, and multi-byte characters give the same events", async () => {
  const text = "\uFEFFid: a\r\nevent: t\r\ndata: Zoë\r\ndata: second\r\n\r\nid: b\rdata: x\r\rretry: 250\n\n";
  const bytes = new TextEncoder().encode(text);
  const want = [{ id: "a", event: "t", data: "Zoë\nsecond" }, { id: "b", data: "x" }, { retry: 250 }];
  for (let cut = 0; cut <= bytes.length; cut++) {
    assert.deepEqual(await all(body(bytes.slice(0, cut), bytes.slice(cut))), want, `split at ${cut}`);
  }
});

test("an event cut off before its blank line is not dispatched", async () => {
  const events = await all(body("id: evt_1\ndata: {}\n\nid: evt_2\ndata: {\"half\""));
  assert.deepEqual(events.map((e) => e.id), ["evt_1"]);
});
