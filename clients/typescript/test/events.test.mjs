// Polling (`…/events?after=`) and the live stream, including a resume after a real cut connection.
import assert from "node:assert/strict";
import { test } from "node:test";
import { BadRequestError, BEGINNING } from "herald-client";
import { adminClient, heraldEnv, newAccount, startProxy, waitFor } from "./helpers.mjs";

const herald = adminClient();
const low = (balance) => ({ type: "credits.low", data: { balance, threshold: 100 } });

async function publishMany(account, n, from = 0) {
  const ids = [];
  for (let i = 0; i < n; i++) ids.push((await herald.events.publish(account, low(from + i))).event.id);
  return ids;
}

test("polling: every event after an id, oldest first, once; then on from where it stopped", async () => {
  const acc = await newAccount(herald, "poll");
  const ids = await publishMany(acc.id, 5);

  const poller = herald.events.poll(acc.id, BEGINNING, { limit: 2 });
  const got = [];
  for await (const e of poller) got.push(e.id);
  assert.deepEqual(got, ids);
  assert.equal(poller.lastId, ids[4]);

  const more = await publishMany(acc.id, 3, 5);
  const next = [];
  for await (const e of herald.events.poll(acc.id, poller.lastId, { limit: 2 })) next.push(e.id);
  assert.deepEqual(next, more);

  // One page.
  const page = await herald.events.poll(acc.id, ids[1], { limit: 2 }).page();
  assert.deepEqual(page.data.map((e) => e.id), ids.slice(2, 4));
  assert.equal(page.nextCursor, ids[3], "next_cursor is the last event, the next `after`");
  const upToDate = await herald.events.poll(acc.id, more[2]).page();
  assert.deepEqual(upToDate.data, []);

  // Filtered by type.
  await herald.events.publish(acc.id, { type: "credits.depleted", data: { balance: 0 } });
  const depleted = [];
  for await (const e of herald.events.poll(acc.id, BEGINNING, { type: "credits.depleted" })) depleted.push(e.type);
  assert.deepEqual(depleted, ["credits.depleted"]);

  // The newest-first list agrees.
  const listed = await herald.events.list(acc.id, { type: "credits.low", limit: 3 }).toArray();
  assert.deepEqual(listed.map((e) => e.id), [...ids, ...more].reverse());
});

test("polling with follow: waits for new events until aborted", async () => {
  const acc = await newAccount(herald, "follow");
  const controller = new AbortController();
  const got = [];
  const done = (async () => {
    for await (const e of herald.events.poll(acc.id, BEGINNING, { follow: true, intervalMs: 50, signal: controller.signal })) {
      got.push(e.id);
    }
  })();
  const ids = await publishMany(acc.id, 3);
  await waitFor("three polled events", () => got.length >= 3);
  controller.abort();
  await done; // ends quietly
  assert.deepEqual(got, ids);
});

/** Iterates a stream in the background into `events`. */
function collect(stream) {
  const events = [];
  const done = (async () => {
    for await (const e of stream) events.push(e);
  })();
  return { events, done };
}

test("stream: gets events, and after cut connections resumes from the last id, with no loss and no repeat", async () => {
  const { url } = heraldEnv();
  const proxy = await startProxy(url);
  const acc = await newAccount(herald, "stream");
  const client = adminClient({ baseUrl: proxy.url });
  const stream = client.events.stream(acc.id, { retryDelayMs: 20 });
  const { events, done } = collect(stream);
  try {
    // The opening `id:` (no event) gives the stream its position.
    await waitFor("the stream to open", () => stream.lastEventId !== undefined);
    assert.equal(stream.connections, 1);

    // Cut before any event, and hold reconnections while events are published:
    // only a resume from the opening id can give them.
    proxy.hold();
    proxy.cut();
    const first = await publishMany(acc.id, 3);
    await waitFor("the stream to try again", () => proxy.waiting > 0);
    proxy.release();
    await waitFor("the first three events", () => events.length >= 3);

    // Cut again in the middle, publish while it is away.
    proxy.hold();
    proxy.cut();
    const second = await publishMany(acc.id, 3, 3);
    await waitFor("the stream to try again", () => proxy.waiting > 0);
    proxy.release();
    const third = await publishMany(acc.id, 2, 6);
    await waitFor("all eight events", () => events.length >= 8);

    const expected = [...first, ...second, ...third];
    assert.deepEqual(events.map((e) => e.id), expected, "each event once, in commit order");
    assert.ok(stream.connections >= 3, `reconnected (${stream.connections} connections)`);
    assert.equal(stream.lastEventId, expected.at(-1));
    const e = events[0];
    assert.equal(e.type, "credits.low");
    assert.equal(e.event.id, e.id);
    assert.deepEqual(e.event.data, { balance: 0, threshold: 100 });
    assert.equal(e.raw, JSON.stringify(e.event), "the stored bytes, compact");
  } finally {
    stream.close();
    await done;
    await proxy.close();
  }
  // A closed stream ends its iteration; publishing afterwards changes nothing.
  const count = events.length;
  await herald.events.publish(acc.id, low(99));
  assert.equal(events.length, count);
});

test("stream: filters types, project_id and person_id; resumes from a given id; ends on break", async () => {
  const acc = await newAccount(herald, "streamfilter");
  const before = (await herald.events.publish(acc.id, low(1))).event.id;
  const controller = new AbortController();
  const stream = herald.events.stream(acc.id, { types: ["project.*"], projectId: 7, lastEventId: before, signal: controller.signal });
  const { events, done } = collect(stream);
  const published = [];
  const pub = async (type, data) => published.push((await herald.events.publish(acc.id, { type, data })).event);
  await pub("project.created", { project_id: 6, project_type: "scene_project" });
  await pub("credits.depleted", { balance: 0 });
  await pub("project.created", { project_id: 7, project_type: "scene_project", person_id: 1 });
  await pub("project.processing", { project_id: 7, project_type: "scene_project", progress: 50 });
  await waitFor("the two events of project 7", () => events.length >= 2);
  controller.abort();
  await done;
  assert.deepEqual(events.map((e) => e.id), [published[2].id, published[3].id]);
  assert.deepEqual(events.map((e) => e.type), ["project.created", "project.processing"]);

  // person_id, from the beginning; a `break` closes it.
  const byPerson = herald.events.stream(acc.id, { personId: 1, lastEventId: BEGINNING });
  for await (const e of byPerson) {
    assert.equal(e.id, published[2].id);
    break;
  }
});

test("stream: a refused filter is thrown as a 400, not retried", async () => {
  const acc = await newAccount(herald, "streambad");
  const stream = herald.events.stream(acc.id, { types: "no.such.type" });
  const error = await (async () => {
    for await (const _ of stream) assert.fail("no event expected");
  })().catch((e) => e);
  assert.ok(error instanceof BadRequestError, String(error));
  assert.ok(error.errors.some((e) => e.parameter === "types"), JSON.stringify(error.errors));
});
