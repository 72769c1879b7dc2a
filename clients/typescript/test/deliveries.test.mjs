// The delivery log: pages, retry, disable and enable, recover, test events, stats.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { ConflictError } from "herald-client";
import { adminClient, deliveryOf, newAccount, startReceiver, waitFor, waitForDelivery } from "./helpers.mjs";

const herald = adminClient();
const secrets = new Set();
let receiver;
before(async () => {
  receiver = await startReceiver({ secrets: () => [...secrets] });
});
after(() => receiver.close());

async function setup(prefix, endpointBody = {}) {
  const acc = await newAccount(herald, prefix);
  const ep = await herald.endpoints.create(acc.id, { url: receiver.url, ...endpointBody });
  secrets.add(ep.secret);
  return { acc, ep };
}

const low = (balance) => ({ type: "credits.low", data: { balance, threshold: 100 } });

test("iterating deliveries with limit=2 across pages gives each of 7 exactly once", async () => {
  const { acc } = await setup("pages");
  const batch = await herald.events.publishBatch(acc.id, Array.from({ length: 7 }, (_, i) => low(i)));
  const eventIds = batch.events.map((e) => e.id).sort();

  const seen = [];
  for await (const d of herald.deliveries.list(acc.id, { limit: 2 })) seen.push(d);
  assert.equal(seen.length, 7);
  assert.equal(new Set(seen.map((d) => d.id)).size, 7, "no delivery twice");
  assert.deepEqual(seen.map((d) => d.event_id).sort(), eventIds, "every event's delivery");

  // Page by page: 2, 2, 2, 1, the last without a cursor.
  const sizes = [];
  for await (const page of herald.deliveries.list(acc.id, { limit: 2 }).pages()) {
    sizes.push(page.data.length);
    if (page.data.length < 2) assert.equal(page.nextCursor, null);
  }
  assert.deepEqual(sizes, [2, 2, 2, 1]);

  // One page, then the next by its cursor.
  const list = herald.deliveries.list(acc.id, { limit: 2 });
  const first = await list.page();
  assert.equal(first.data.length, 2);
  assert.ok(first.nextCursor);
  const second = await list.page(first.nextCursor);
  assert.equal(second.data.length, 2);
  assert.notDeepEqual(second.data.map((d) => d.id), first.data.map((d) => d.id));

  // Filters.
  const one = await herald.deliveries.list(acc.id, { event_id: batch.events[3].id }).toArray();
  assert.deepEqual(one.map((d) => d.event_id), [batch.events[3].id]);
  const none = await herald.deliveries.list(acc.id, { event_type: "project.completed" }).toArray();
  assert.deepEqual(none, []);
  await waitFor("all 7 succeeded", async () => (await herald.deliveries.list(acc.id, { status: "succeeded" }).toArray()).length === 7);
});

test("retry resends now: a delivery pending after a 500 succeeds once the receiver is back", async () => {
  const failing = await startReceiver({ status: 500 });
  try {
    const acc = await newAccount(herald, "retry");
    const ep = await herald.endpoints.create(acc.id, { url: failing.url });
    const published = await herald.events.publish(acc.id, low(1));
    const delivery = await deliveryOf(herald, acc.id, published.event.id);
    const failed = await waitForDelivery(herald, acc.id, delivery.id, (d) => d.attempt_count >= 1, "the first attempt");
    assert.equal(failed.status, "pending", "a failed attempt leaves it pending, with the next one scheduled");
    assert.equal(failed.attempts[0].response_status, 500);
    assert.equal(failed.attempts[0].error, "status");
    assert.equal(failed.last_response_status, 500);
    assert.ok(failed.next_attempt_at);
    const listed = (await herald.deliveries.list(acc.id, { endpoint_id: ep.id }).toArray())[0];
    assert.equal(listed.last_error, "status");

    failing.setStatus(200);
    const retried = await herald.deliveries.retry(acc.id, delivery.id);
    assert.equal(retried.id, delivery.id);
    const done = await waitForDelivery(herald, acc.id, delivery.id, (d) => d.status === "succeeded", "the retry to succeed");
    assert.equal(done.attempts.length, 2);
    assert.equal(done.attempts[1].response_status, 200);
    assert.equal(failing.of(published.event.id).at(-1).headers["x-webhook-attempt"], "2");
  } finally {
    await failing.close();
  }
});

test("disable, publish (skipped), enable with redeliver_missed (delivered); retry on a disabled endpoint is 409", async () => {
  const { acc, ep } = await setup("disable");
  const disabled = await herald.endpoints.disable(acc.id, ep.id);
  assert.equal(disabled.enabled, false);
  assert.equal(disabled.disabled_cause, "manual");
  assert.ok(disabled.disabled_at);

  const published = await herald.events.publish(acc.id, low(2));
  assert.equal(published.deliveries, 1, "a skipped delivery is still made");
  const delivery = await deliveryOf(herald, acc.id, published.event.id);
  assert.equal(delivery.status, "skipped");
  const refused = await herald.deliveries.retry(acc.id, delivery.id).catch((e) => e);
  assert.ok(refused instanceof ConflictError, String(refused));

  const enabled = await herald.endpoints.enable(acc.id, ep.id, { redeliver_missed: true });
  assert.equal(enabled.enabled, true);
  assert.equal(enabled.disabled_cause ?? null, null);
  await waitForDelivery(herald, acc.id, delivery.id, (d) => d.status === "succeeded", "the missed delivery");
  assert.ok(receiver.of(published.event.id).some((r) => r.verified));
});

test("recover sends again what was skipped in a time range", async () => {
  const { acc, ep } = await setup("recover");
  const since = new Date(Date.now() - 60_000).toISOString();
  await herald.endpoints.disable(acc.id, ep.id);
  const published = await herald.events.publish(acc.id, low(3));
  const delivery = await deliveryOf(herald, acc.id, published.event.id);
  assert.equal(delivery.status, "skipped");

  const refused = await herald.endpoints.recover(acc.id, ep.id, { since }).catch((e) => e);
  assert.ok(refused instanceof ConflictError, "a disabled endpoint answers 409");

  await herald.endpoints.enable(acc.id, ep.id); // without redelivery: still skipped
  assert.equal((await herald.deliveries.get(acc.id, delivery.id)).status, "skipped");
  const recovery = await herald.endpoints.recover(acc.id, ep.id, { since });
  assert.match(recovery.id, /^rcv_/);
  assert.equal(recovery.endpoint_id, ep.id);
  const finished = await waitFor("the recovery to be done", async () => {
    const r = await herald.endpoints.recovery(acc.id, ep.id, recovery.id);
    return r.status === "done" ? r : null;
  });
  assert.equal(finished.queued, 1);
  await waitForDelivery(herald, acc.id, delivery.id, (d) => d.status === "succeeded", "the recovered delivery");
});

test("a test event goes to that endpoint alone, is readable, and is not listed", async () => {
  const { acc, ep } = await setup("testevent");
  const delivery = await herald.endpoints.sendTest(acc.id, ep.id, "project.completed");
  assert.match(delivery.id, /^dlv_/);
  assert.equal(delivery.endpoint_id, ep.id);
  assert.equal(delivery.event_type, "project.completed");
  await waitForDelivery(herald, acc.id, delivery.id, (d) => d.status === "succeeded", "the test delivery");
  const event = await herald.events.get(acc.id, delivery.event_id);
  assert.equal(event.type, "project.completed");
  assert.ok(receiver.of(event.id).some((r) => r.verified));
  assert.deepEqual(await herald.events.list(acc.id).toArray(), [], "test events are not listed");
});

test("stats count the attempts of the last 24 hours", async () => {
  const failing = await startReceiver({ status: 503 });
  try {
    const acc = await newAccount(herald, "stats");
    const ep = await herald.endpoints.create(acc.id, { url: failing.url });
    const empty = await herald.endpoints.stats(acc.id, ep.id);
    assert.equal(empty.hours.length, 24);
    assert.equal(empty.success_rate ?? null, null);

    const published = await herald.events.publish(acc.id, low(4));
    const delivery = await deliveryOf(herald, acc.id, published.event.id);
    await waitForDelivery(herald, acc.id, delivery.id, (d) => d.attempt_count >= 1);
    failing.setStatus(200);
    await herald.deliveries.retry(acc.id, delivery.id);
    await waitForDelivery(herald, acc.id, delivery.id, (d) => d.status === "succeeded");

    const stats = await waitFor("stats with both attempts", async () => {
      const s = await herald.endpoints.stats(acc.id, ep.id);
      return s.succeeded === 1 && s.failed === 1 ? s : null;
    });
    assert.equal(stats.success_rate, 0.5);
    assert.equal(stats.hours.reduce((n, h) => n + h.succeeded + h.failed, 0), 2);
    assert.ok(Date.parse(stats.since));
  } finally {
    await failing.close();
  }
});
