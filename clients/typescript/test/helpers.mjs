// Shared by the tests: the Herald to test against (HERALD_URL,
// HERALD_ADMIN_TOKEN), fresh accounts with unique ids, real HTTP receivers on
// 127.0.0.1, and waiting on a condition with a deadline (never a bare sleep).
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import { createConnection, createServer as createTcpServer } from "node:net";
import { HeraldClient, verify } from "herald-client";

/** HERALD_URL and HERALD_ADMIN_TOKEN, or a clear failure. */
export function heraldEnv() {
  const url = process.env.HERALD_URL;
  const token = process.env.HERALD_ADMIN_TOKEN;
  if (!url || !token) {
    throw new Error(
      "These tests run against a real Herald: set HERALD_URL (e.g. http://127.0.0.1:8090) and HERALD_ADMIN_TOKEN " +
        "(start one with `herald serve --dev`; the token is in herald-data/admin-token).",
    );
  }
  return { url, token };
}

/** A client with the admin token (or `token`), optionally at another base URL. */
export function adminClient(options = {}) {
  const { url, token } = heraldEnv();
  return new HeraldClient({ baseUrl: options.baseUrl ?? url, token: options.token ?? token });
}

/** A unique id for this run: suites may share one server. */
export function uniqueId(prefix) {
  return `ts-${prefix}-${Date.now().toString(36)}-${randomBytes(4).toString("hex")}`;
}

/** Creates an account with a unique id. */
export async function newAccount(client, prefix) {
  return client.accounts.create({ id: uniqueId(prefix), name: `TypeScript client test ${prefix}` });
}

/** A fresh signing secret of Herald's form. */
export function newSecret() {
  return `whsec_${randomBytes(32).toString("base64")}`;
}

/**
 * A real webhook receiver on 127.0.0.1: records every request (headers, raw
 * body, and whether `verify` accepted it with `secrets()`), and answers
 * `status` (changeable while it runs).
 */
export async function startReceiver({ secrets = () => [], status = 200 } = {}) {
  const received = [];
  const state = { status };
  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const header = req.headers["x-webhook-signature"] ?? "";
      const s = secrets();
      received.push({
        headers: req.headers,
        body,
        event: JSON.parse(body.toString("utf8")),
        verified: s.length > 0 && verify(body, header, s),
        answered: state.status,
      });
      res.writeHead(state.status, { "content-type": "application/json" });
      res.end(JSON.stringify({ received: true }));
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    setStatus(code) {
      state.status = code;
    },
    /** The requests that carried this event id. */
    of(eventId) {
      return received.filter((r) => r.event.id === eventId);
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

/**
 * Calls `probe` until it returns a truthy value, and returns that value; fails
 * with `what` after `timeoutMs`. The pause between probes is only pacing.
 */
export async function waitFor(what, probe, { timeoutMs = 30_000, intervalMs = 100 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await probe();
    if (last) return last;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Waits until a delivery satisfies `test` (e.g. `d => d.status === "succeeded"`) and returns it with its attempts. */
export function waitForDelivery(client, account, deliveryId, test, what = "the delivery") {
  return waitFor(what, async () => {
    const d = await client.deliveries.get(account, deliveryId);
    return test(d) ? d : null;
  });
}

/** The single delivery of an event (waits for it to be listed). */
export async function deliveryOf(client, account, eventId) {
  return waitFor(`a delivery of ${eventId}`, async () => {
    const page = await client.deliveries.list(account, { event_id: eventId }).page();
    return page.data[0] ?? null;
  });
}

/**
 * A TCP proxy in front of Herald whose connections can be cut and whose new
 * connections can be held back: a real dropped connection for the stream.
 */
export async function startProxy(targetUrl) {
  const target = new URL(targetUrl);
  const pairs = new Set();
  let held = [];
  let holding = false;
  const connect = (client) => {
    const upstream = createConnection({ host: target.hostname, port: Number(target.port) });
    const pair = { client, upstream };
    pairs.add(pair);
    const drop = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on("error", drop).on("close", drop);
    upstream.on("error", drop).on("close", drop);
    client.pipe(upstream);
    upstream.pipe(client);
  };
  const server = createTcpServer((client) => {
    client.pause();
    if (holding) held.push(client);
    else connect(client);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    /** Cuts every open connection. */
    cut() {
      for (const { client, upstream } of pairs) {
        client.destroy();
        upstream.destroy();
      }
      pairs.clear();
    },
    /** New connections wait (accepted, not forwarded) until `release()`. */
    hold() {
      holding = true;
    },
    release() {
      holding = false;
      const waiting = held;
      held = [];
      for (const c of waiting) connect(c);
    },
    /** How many connections were accepted and are waiting. */
    get waiting() {
      return held.length;
    },
    close() {
      this.cut();
      for (const c of held) c.destroy();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}
