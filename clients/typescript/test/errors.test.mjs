// Every non-2xx answer is a typed error with the problem+json fields; no answer is a ConnectionError.
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { test } from "node:test";
import {
  ApiError,
  AuthenticationError,
  BadRequestError,
  ConflictError,
  ConnectionError,
  HeraldClient,
  HeraldError,
  NotFoundError,
  PayloadTooLargeError,
  PermissionDeniedError,
  RateLimitError,
  ServiceUnavailableError,
  ValidationError,
  parseRetryAfter,
} from "herald-client";
import { apiErrorFrom } from "../dist/errors.js";
import { adminClient, heraldEnv, newAccount } from "./helpers.mjs";

const herald = adminClient();

test("422 names the field by JSON pointer", async () => {
  const acc = await newAccount(herald, "err422");
  const error = await herald.events
    .publish(acc.id, { type: "project.completed", data: { project_id: "42", project_type: "x", video_url: "https://x.test/v.mp4", duration_seconds: 1, credits_used: 1 } })
    .then(() => assert.fail("publish should be refused"), (e) => e);
  assert.ok(error instanceof ValidationError, String(error));
  assert.ok(error instanceof ApiError && error instanceof HeraldError);
  assert.equal(error.status, 422);
  assert.equal(error.type, "urn:herald:problem:validation");
  assert.equal(typeof error.title, "string");
  assert.match(error.detail, /project_id/);
  assert.deepEqual(error.errors.map((e) => e.pointer), ["/data/project_id"]);
  assert.equal(typeof error.errors[0].message, "string");

  const batchError = await herald.events
    .publishBatch(acc.id, [{ type: "credits.low", data: { balance: 1, threshold: 5 } }, { type: "credits.depleted", data: { balance: 3 } }])
    .then(() => assert.fail("batch should be refused"), (e) => e);
  assert.ok(batchError instanceof ValidationError);
  assert.ok(batchError.errors.some((e) => e.pointer?.startsWith("/1/data")), JSON.stringify(batchError.errors));
});

test("400 names a query parameter", async () => {
  const acc = await newAccount(herald, "err400");
  const error = await herald.deliveries.list(acc.id, { limit: 0 }).page().catch((e) => e);
  assert.ok(error instanceof BadRequestError, String(error));
  assert.equal(error.status, 400);
  assert.deepEqual(error.errors.map((e) => e.parameter), ["limit"]);
});

test("404 for what does not exist, or is another account's", async () => {
  const a = await newAccount(herald, "err404a");
  const b = await newAccount(herald, "err404b");
  const ep = await herald.endpoints.create(a.id, { url: "http://127.0.0.1:9/none" });
  for (const call of [
    () => herald.accounts.get("ts-no-such-account-xyz"),
    () => herald.endpoints.get(b.id, ep.id),
    () => herald.deliveries.get(a.id, "dlv_01HV3K8Z6X3M9Q7R2T5W8Y1B4C"),
    () => herald.events.get(a.id, "not an id/../x"),
  ]) {
    const error = await call().catch((e) => e);
    assert.ok(error instanceof NotFoundError, String(error));
    assert.equal(error.status, 404);
    assert.equal(typeof error.detail, "string");
  }
});

test("401 for a bad token", async () => {
  const { url } = heraldEnv();
  const bad = new HeraldClient({ baseUrl: url, token: "not-a-token" });
  const error = await bad.accounts.list().page().catch((e) => e);
  assert.ok(error instanceof AuthenticationError, String(error));
  assert.equal(error.status, 401);
  assert.equal(error.type, "urn:herald:problem:unauthorized");
});

test("403 for an account key on an admin-only operation; the key works on its own account", async () => {
  const { url } = heraldEnv();
  const acc = await newAccount(herald, "err403");
  const key = await herald.accounts.createKey(acc.id);
  assert.match(key.key, /^hk_/);
  const customer = new HeraldClient({ baseUrl: url, token: key.key });
  const publishError = await customer.events.publish(acc.id, { type: "credits.depleted", data: { balance: 0 } }).catch((e) => e);
  assert.ok(publishError instanceof PermissionDeniedError, String(publishError));
  assert.equal(publishError.status, 403);
  const linkError = await customer.portal.createLink(acc.id).catch((e) => e);
  assert.ok(linkError instanceof PermissionDeniedError, String(linkError));
  // What the key may do: its own account's endpoints.
  const ep = await customer.endpoints.create(acc.id, { url: "http://127.0.0.1:9/key" });
  assert.deepEqual((await customer.endpoints.list(acc.id).toArray()).map((e) => e.id), [ep.id]);
  // Another account is absent to it.
  const other = await newAccount(herald, "err403other");
  assert.ok((await customer.endpoints.list(other.id).page().catch((e) => e)) instanceof NotFoundError);
});

test("409 for a duplicate account id, and for an idempotency key reused with another body", async () => {
  const acc = await newAccount(herald, "err409");
  const error = await herald.accounts.create({ id: acc.id, name: "again" }).catch((e) => e);
  assert.ok(error instanceof ConflictError, String(error));
  assert.equal(error.status, 409);
  assert.equal(error.type, "urn:herald:problem:conflict");

  const key = `k-${acc.id}`;
  await herald.events.publish(acc.id, { type: "credits.depleted", data: { balance: 0 } }, { idempotencyKey: key });
  const reuse = await herald.events.publish(acc.id, { type: "credits.low", data: { balance: 1, threshold: 2 } }, { idempotencyKey: key }).catch((e) => e);
  assert.ok(reuse instanceof ConflictError, String(reuse));
});

test("no answer at all is a ConnectionError, not an ApiError", async () => {
  // A port that was free a moment ago: nothing listens there.
  const server = createServer();
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address();
  await new Promise((r) => server.close(r));
  const client = new HeraldClient({ baseUrl: `http://127.0.0.1:${port}`, token: "t" });
  const error = await client.eventTypes.list().catch((e) => e);
  assert.ok(error instanceof ConnectionError, String(error));
  assert.ok(error instanceof HeraldError);
  assert.ok(!(error instanceof ApiError));
  assert.ok(error.cause, "keeps what fetch threw");
});

test("the caller's AbortSignal cancels a request with its own reason", async () => {
  const controller = new AbortController();
  controller.abort(new Error("changed my mind"));
  const error = await herald.eventTypes.list({ signal: controller.signal }).catch((e) => e);
  assert.equal(error.message, "changed my mind");
});

test("413 for a body over 256 KiB", async () => {
  const acc = await newAccount(herald, "err413");
  const error = await herald.events
    .publishAny(acc.id, { type: "credits.low", data: { balance: 1, threshold: 2, padding: "x".repeat(300 * 1024) } })
    .catch((e) => e);
  assert.ok(error instanceof PayloadTooLargeError, String(error));
  assert.equal(error.status, 413);
});

test("429 and 503 carry retryAfter (Herald's API does not answer them itself: built from a status and headers)", () => {
  const make = (status, retryAfter) =>
    apiErrorFrom(
      { status, statusText: "", headers: new Headers(retryAfter === undefined ? {} : { "retry-after": retryAfter }) },
      JSON.stringify({ type: "urn:x", title: "T", status, detail: "d", errors: [] }),
      "GET",
      "http://h/x",
    );
  const limited = make(429, "120");
  assert.ok(limited instanceof RateLimitError);
  assert.equal(limited.retryAfter, 120);
  const unavailable = make(503, new Date(Date.now() + 30_000).toUTCString());
  assert.ok(unavailable instanceof ServiceUnavailableError);
  assert.ok(unavailable.retryAfter >= 28 && unavailable.retryAfter <= 31, String(unavailable.retryAfter));
  assert.equal(make(503).retryAfter, null);
  assert.equal(parseRetryAfter("soon"), null);
  // A body that is not problem+json still makes a typed error.
  const proxied = apiErrorFrom({ status: 502, statusText: "Bad Gateway", headers: new Headers() }, "<html>bad gateway</html>", "GET", "http://h/x");
  assert.ok(proxied instanceof ApiError);
  assert.equal(proxied.status, 502);
  assert.equal(proxied.title, "Bad Gateway");
  assert.equal(proxied.rawBody, "<html>bad gateway</html>");
  assert.deepEqual(proxied.errors, []);
});
