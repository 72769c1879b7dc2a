// Endpoints and their settings, secret rotation, accounts, portal links, the event catalog.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { NotFoundError, ValidationError, verify } from "herald-client";
import { adminClient, deliveryOf, newAccount, newSecret, startReceiver, waitFor, waitForDelivery } from "./helpers.mjs";

const herald = adminClient();
let receiver;
before(async () => {
  receiver = await startReceiver();
});
after(() => receiver.close());

const created = (projectId, projectType = "scene_project") => ({ type: "project.created", data: { project_id: projectId, project_type: projectType } });

test("accounts: create, get, list", async () => {
  const acc = await newAccount(herald, "accounts");
  assert.deepEqual(await herald.accounts.get(acc.id), acc);
  let found = false;
  for await (const a of herald.accounts.list({ limit: 100 })) if (a.id === acc.id) found = true;
  assert.ok(found, "listed");
  const generated = await herald.accounts.create({ name: "no id given" });
  assert.match(generated.id, /^acc_/);
});

test("endpoints: create, get, list, patch, secret, delete", async () => {
  const acc = await newAccount(herald, "crud");
  const secret = newSecret();
  const ep = await herald.endpoints.create(acc.id, { url: receiver.url, description: "first", event_types: ["project.*", "credits.low"], secret });
  assert.equal(ep.secret, secret, "a secret the platform brings");
  assert.equal(ep.description, "first");
  assert.deepEqual(ep.event_types, ["project.*", "credits.low"]);
  assert.equal(ep.enabled, true);
  assert.deepEqual((await herald.endpoints.secret(acc.id, ep.id)).secret, secret);
  const { secret: _s, ...view } = ep;
  assert.deepEqual(await herald.endpoints.get(acc.id, ep.id), view);

  const patched = await herald.endpoints.update(acc.id, ep.id, { description: "second", event_types: null });
  assert.equal(patched.description, "second");
  assert.equal(patched.event_types ?? null, null);
  assert.deepEqual((await herald.endpoints.list(acc.id).toArray()).map((e) => e.id), [ep.id]);

  const refused = await herald.endpoints.update(acc.id, ep.id, { event_types: [] }).catch((e) => e);
  assert.ok(refused instanceof ValidationError);
  assert.equal(refused.errors[0].pointer, "/event_types");

  await herald.endpoints.delete(acc.id, ep.id);
  assert.ok((await herald.endpoints.get(acc.id, ep.id).catch((e) => e)) instanceof NotFoundError);
  assert.deepEqual(await herald.endpoints.list(acc.id).toArray(), []);
});

test("rate_limit: set, shown, cleared; deliveries still go", async () => {
  const acc = await newAccount(herald, "rate");
  const ep = await herald.endpoints.create(acc.id, { url: receiver.url, rate_limit: 5 });
  assert.equal(ep.rate_limit, 5);
  const published = await herald.events.publishBatch(acc.id, [created(1), created(2), created(3)]);
  for (const e of published.events) {
    const d = await deliveryOf(herald, acc.id, e.id);
    await waitForDelivery(herald, acc.id, d.id, (x) => x.status === "succeeded");
  }
  assert.equal((await herald.endpoints.update(acc.id, ep.id, { rate_limit: 20 })).rate_limit, 20);
  assert.equal((await herald.endpoints.update(acc.id, ep.id, { rate_limit: null })).rate_limit ?? null, null);
  const refused = await herald.endpoints.update(acc.id, ep.id, { rate_limit: 0 }).catch((e) => e);
  assert.ok(refused instanceof ValidationError);
  assert.equal(refused.errors[0].pointer, "/rate_limit");
});

test("custom headers: the endpoint shows names only, GET …/headers the values, the receiver gets them", async () => {
  const acc = await newAccount(herald, "headers");
  const headers = { Authorization: "Bearer gateway-credential", "X-Tenant": "acme" };
  const ep = await herald.endpoints.create(acc.id, { url: receiver.url, headers });
  assert.deepEqual([...ep.header_names].sort(), ["Authorization", "X-Tenant"]);
  assert.ok(!JSON.stringify(ep).includes("gateway-credential"), "values are not in the endpoint");
  assert.deepEqual((await herald.endpoints.headers(acc.id, ep.id)).headers, headers);

  const published = await herald.events.publish(acc.id, created(9));
  const request = await waitFor("the event at the receiver", () => receiver.of(published.event.id)[0]);
  assert.equal(request.headers.authorization, "Bearer gateway-credential");
  assert.equal(request.headers["x-tenant"], "acme");
  assert.equal(verify(request.body, request.headers["x-webhook-signature"], ep.secret), true, "the signature is untouched");

  const refused = await herald.endpoints.update(acc.id, ep.id, { headers: { "X-Webhook-Id": "x" } }).catch((e) => e);
  assert.ok(refused instanceof ValidationError);
  assert.equal(refused.errors[0].pointer, "/headers/X-Webhook-Id");

  const cleared = await herald.endpoints.update(acc.id, ep.id, { headers: null });
  assert.deepEqual(cleared.header_names, []);
  assert.deepEqual((await herald.endpoints.headers(acc.id, ep.id)).headers, {});
});

test("ordered: deliveries arrive in publish order", async () => {
  const acc = await newAccount(herald, "ordered");
  const ordered = await startReceiver();
  try {
    const ep = await herald.endpoints.create(acc.id, { url: ordered.url, ordered: true });
    assert.equal(ep.ordered, true);
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push((await herald.events.publish(acc.id, created(100 + i))).event.id);
    await waitFor("the five events at the receiver", () => ordered.received.length >= 5);
    assert.deepEqual(ordered.received.map((r) => r.event.id), ids);
    assert.equal((await herald.endpoints.update(acc.id, ep.id, { ordered: false })).ordered, false);
  } finally {
    await ordered.close();
  }
});

test("filter: only events whose data matches make a delivery", async () => {
  const acc = await newAccount(herald, "filter");
  const ep = await herald.endpoints.create(acc.id, {
    url: receiver.url,
    event_types: ["project.*"],
    filter: 'data.project_type == "scene_project"',
  });
  assert.equal(ep.filter, 'data.project_type == "scene_project"');
  const match = await herald.events.publish(acc.id, created(1, "scene_project"));
  const miss = await herald.events.publish(acc.id, created(2, "avatar_project"));
  assert.equal(match.deliveries, 1);
  assert.equal(miss.deliveries, 0);
  const d = await deliveryOf(herald, acc.id, match.event.id);
  await waitForDelivery(herald, acc.id, d.id, (x) => x.status === "succeeded");
  assert.deepEqual((await herald.deliveries.list(acc.id).toArray()).map((x) => x.event_id), [match.event.id]);

  const bad = await herald.endpoints.update(acc.id, ep.id, { filter: "data.no_such_field == 1" }).catch((e) => e);
  assert.ok(bad instanceof ValidationError);
  assert.equal(bad.errors[0].pointer, "/filter");
  assert.equal((await herald.endpoints.update(acc.id, ep.id, { filter: null })).filter ?? null, null);
});

test("secret rotation: the request carries both signatures and verifies with either secret", async () => {
  const acc = await newAccount(herald, "rotate");
  const ep = await herald.endpoints.create(acc.id, { url: receiver.url });
  const old = ep.secret;
  const rotated = await herald.endpoints.rotateSecret(acc.id, ep.id, { grace_seconds: 3600 });
  const fresh = rotated.secret;
  assert.notEqual(fresh, old);
  assert.equal((await herald.endpoints.secret(acc.id, ep.id)).secret, fresh);

  const published = await herald.events.publish(acc.id, created(5));
  const request = await waitFor("the event at the receiver", () => receiver.of(published.event.id)[0]);
  const header = request.headers["x-webhook-signature"];
  assert.equal((header.match(/v1=/g) ?? []).length, 2, header);
  assert.equal(verify(request.body, header, old), true, "old secret");
  assert.equal(verify(request.body, header, fresh), true, "new secret");
  assert.equal(verify(request.body, header, [old, fresh]), true, "both");
  assert.equal(verify(request.body, header, newSecret()), false, "another secret");

  const mine = newSecret();
  assert.equal((await herald.endpoints.rotateSecret(acc.id, ep.id, { secret: mine, grace_seconds: 0 })).secret, mine);
});

test("portal link: a one-time URL into the portal", async () => {
  const acc = await newAccount(herald, "portal");
  const link = await herald.portal.createLink(acc.id, { expires_in_seconds: 600 });
  assert.match(link.url, /\/portal\/login\?token=/);
  const expires = Date.parse(link.expires_at) - Date.now();
  assert.ok(expires > 0 && expires <= 601_000, link.expires_at);
  const refused = await herald.portal.createLink(acc.id, { expires_in_seconds: 0 }).catch((e) => e);
  assert.ok(refused instanceof ValidationError);
  assert.equal(refused.errors[0].pointer, "/expires_in_seconds");
});

test("event types: the catalog with schemas and examples, then the operational types", async () => {
  const types = await herald.eventTypes.list();
  const names = types.map((t) => t.type);
  for (const t of ["project.created", "project.processing", "project.completed", "project.failed", "voice_clone.completed", "voice_clone.failed", "credits.low", "credits.depleted"]) {
    assert.ok(names.includes(t), t);
  }
  const completed = types.find((t) => t.type === "project.completed");
  assert.equal(completed.operational, false);
  assert.ok(completed.schema && completed.example.video_url);
  assert.ok(types.filter((t) => t.operational).map((t) => t.type).includes("endpoint.disabled"));
});
