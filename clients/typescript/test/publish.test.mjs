// Publishing, one and many, with idempotency keys, delivered to a real receiver whose check is verify().
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { isEventType } from "herald-client";
import { adminClient, deliveryOf, newAccount, startReceiver, waitFor, waitForDelivery } from "./helpers.mjs";

const herald = adminClient();
let receiver;
let secret;
before(async () => {
  receiver = await startReceiver({ secrets: () => (secret ? [secret] : []) });
});
after(() => receiver.close());

const completed = (projectId) => ({
  type: "project.completed",
  data: {
    project_id: projectId,
    project_type: "scene_project",
    video_url: `https://storage.example.com/videos/${projectId}.mp4`,
    duration_seconds: 50,
    credits_used: 500,
    person_name: "Zoë Ünal", // non-ASCII: the signature is over the raw bytes
    extra_field: { kept: true }, // fields beyond the schema are delivered
  },
});

test("publish: delivered to the receiver, signed so that verify() accepts it", async () => {
  const acc = await newAccount(herald, "publish");
  const ep = await herald.endpoints.create(acc.id, { url: receiver.url, event_types: ["project.*"] });
  secret = ep.secret;
  assert.match(ep.secret, /^whsec_/);

  const published = await herald.events.publish(acc.id, completed(42));
  assert.equal(published.replayed, false);
  assert.equal(published.deliveries, 1);
  assert.match(published.event.id, /^evt_[0-9A-Z]{26}$/);
  assert.ok(isEventType(published.event, "project.completed"));
  assert.equal(published.event.data.video_url, "https://storage.example.com/videos/42.mp4");

  const delivery = await deliveryOf(herald, acc.id, published.event.id);
  const done = await waitForDelivery(herald, acc.id, delivery.id, (d) => d.status === "succeeded", "the delivery to succeed");
  assert.equal(done.attempts.length, 1);
  assert.equal(done.attempts[0].response_status, 200);

  const [request] = receiver.of(published.event.id);
  assert.ok(request, "the receiver got the event");
  assert.equal(request.verified, true, "verify() accepts Herald's signature");
  assert.equal(request.headers["x-webhook-id"], published.event.id);
  assert.equal(request.headers["x-webhook-event"], "project.completed");
  assert.equal(request.headers["x-webhook-delivery"], delivery.id);
  assert.deepEqual(request.event, published.event, "the body is the envelope");
  assert.deepEqual(request.event.data.extra_field, { kept: true });

  // The event reads back as published.
  assert.deepEqual(await herald.events.get(acc.id, published.event.id), published.event);
});

test("idempotency: a repeat answers the first answer and delivers nothing new", async () => {
  const acc = await newAccount(herald, "idem");
  const ep = await herald.endpoints.create(acc.id, { url: receiver.url });
  secret = ep.secret;
  const key = `order-${acc.id}`;
  const first = await herald.events.publish(acc.id, completed(7), { idempotencyKey: key });
  const again = await herald.events.publish(acc.id, completed(7), { idempotencyKey: key });
  assert.equal(first.replayed, false);
  assert.equal(again.replayed, true);
  assert.deepEqual(again.event, first.event);
  assert.equal(again.deliveries, first.deliveries);

  const events = await herald.events.list(acc.id).toArray();
  assert.deepEqual(events.map((e) => e.id), [first.event.id], "one event stored");
  const delivery = await deliveryOf(herald, acc.id, first.event.id);
  await waitForDelivery(herald, acc.id, delivery.id, (d) => d.status === "succeeded");
  const deliveries = await herald.deliveries.list(acc.id).toArray();
  assert.equal(deliveries.length, 1, "one delivery");
});

test("batch: many events in one commit, in the order given, each delivered", async () => {
  const acc = await newAccount(herald, "batch");
  const ep = await herald.endpoints.create(acc.id, { url: receiver.url });
  secret = ep.secret;
  const batch = await herald.events.publishBatch(acc.id, [
    { type: "credits.low", data: { balance: 10, threshold: 100 } },
    { type: "credits.depleted", data: { balance: 0 } },
    completed(3),
  ]);
  assert.equal(batch.events.length, 3);
  assert.deepEqual(batch.events.map((e) => e.type), ["credits.low", "credits.depleted", "project.completed"]);
  assert.equal(batch.deliveries, 3);
  assert.equal(batch.replayed, false);
  await waitFor("every batch event at the receiver, verified", () =>
    batch.events.every((e) => receiver.of(e.id).some((r) => r.verified)),
  );

  // A batch with an idempotency key, repeated.
  const key = `batch-${acc.id}`;
  const one = await herald.events.publishBatch(acc.id, [{ type: "credits.depleted", data: { balance: 0 } }], { idempotencyKey: key });
  const two = await herald.events.publishBatch(acc.id, [{ type: "credits.depleted", data: { balance: 0 } }], { idempotencyKey: key });
  assert.equal(two.replayed, true);
  assert.deepEqual(two.events, one.events);
});
