// What the portal's browser tests stand on: the real `herald` binary on a fresh
// SQLite file, real HTTP receivers on loopback, the admin API, and Debian's
// Chromium driven by Playwright. Nothing here is a mock.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import crypto from "node:crypto";
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import http from "node:http";
import { createRequire } from "node:module";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { chromium } from "playwright-core";

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const SCREENSHOTS = process.env.HERALD_SCREENSHOTS || path.resolve(HERE, "../../../../target/portal-screenshots");
const ADMIN_TOKEN = "browser-test-admin-token";

/** Polls `check` until it returns a truthy value; fails with `what` after `ms`. */
export async function waitFor(what, check, ms = 20_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** A real HTTP receiver that records every request and answers with `status`. */
export async function receiver(status = 200) {
  const requests = [];
  const state = { status };
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on("data", (chunk) => chunks.push(chunk));
    req.on("end", () => {
      requests.push({ headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(state.status, { "content-type": "text/plain" });
      res.end(state.status < 300 ? "thanks" : "receiver is down for maintenance");
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/webhooks`,
    requests,
    answer(code) {
      state.status = code;
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

/**
 * A receiver URL that refuses connections: a port that was free a moment ago,
 * with nothing listening on it now.
 */
export async function refusingUrl(path = "/webhooks") {
  return `http://127.0.0.1:${await freePort()}${path}`;
}

/** The check the platform's guide publishes: `t=…,v1=…`, HMAC-SHA256 of `t.body`. */
export function signedBy(request, secret) {
  const header = request.headers["x-webhook-signature"] || "";
  const parts = header.split(",").map((p) => p.split("="));
  const t = parts.find(([k]) => k === "t")?.[1];
  const expected = crypto.createHmac("sha256", secret).update(`${t}.`).update(request.body).digest("hex");
  return parts.filter(([k]) => k === "v1").some(([, v]) => v === expected);
}

/** `herald serve` as a child process on a fresh SQLite file, with a short retry schedule. */
export async function startHerald() {
  const bin = process.env.HERALD_BIN;
  if (!bin) throw new Error("HERALD_BIN must name the built herald binary (scripts/test sets it)");
  const dir = mkdtempSync(path.join(tmpdir(), "herald-portal-"));
  const port = await freePort();
  const address = `http://127.0.0.1:${port}`;
  const child = spawn(bin, ["serve"], {
    env: {
      ...process.env,
      HERALD_LISTEN: `127.0.0.1:${port}`,
      HERALD_DATABASE_URL: `sqlite://${path.join(dir, "herald.db")}`,
      HERALD_DATA_DIR: dir,
      HERALD_ADMIN_TOKEN: ADMIN_TOKEN,
      HERALD_DEV: "1",
      HERALD_RETRY_SCHEDULE: "0s,3s,3s",
      HERALD_DELIVERY_TIMEOUT: "5s",
      RUST_LOG: "warn",
    },
    stdio: ["ignore", "ignore", "inherit"],
  });
  let exited = null;
  child.on("exit", (code) => {
    exited = code;
  });
  await waitFor("herald to be ready", async () => {
    if (exited !== null) throw new Error(`herald exited with ${exited}`);
    try {
      return (await fetch(`${address}/readyz`)).ok;
    } catch {
      return false;
    }
  });
  const admin = async (method, route, body) => {
    const response = await fetch(`${address}${route}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${text}`);
    return text ? JSON.parse(text) : null;
  };
  return {
    address,
    admin,
    /** A new account and a one-time portal link into it. */
    async account(name) {
      const account = await admin("POST", "/v1/accounts", { name });
      const link = await admin("POST", `/v1/accounts/${account.id}/portal-links`, {});
      return { id: account.id, link: link.url };
    },
    async stop() {
      child.kill("SIGTERM");
      await waitFor("herald to stop", () => exited !== null);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Debian's Chromium, headless, with the flags this closed network needs. */
export async function startBrowser() {
  mkdirSync(SCREENSHOTS, { recursive: true });
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-dev-shm-usage",
    ],
  });
}

/**
 * Opens a portal link in a fresh browser context and presses the sign-in
 * button; `atLogin` (optional) looks at the sign-in page before that.
 */
export async function signIn(browser, link, atLogin) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const failures = [];
  page.on("pageerror", (error) => failures.push(error.message));
  page.on("console", (message) => {
    // Refused requests (a 422 the page then explains) are logged by Chromium itself; script errors are not those.
    if (message.type() === "error" && !message.text().startsWith("Failed to load resource")) failures.push(message.text());
  });
  page.on("requestfailed", (request) => {
    // Leaving a page cancels the live refresh it had in flight: that is not a failure.
    if (request.failure()?.errorText !== "net::ERR_ABORTED") failures.push(`request failed: ${request.url()}`);
  });
  await page.goto(link);
  if (atLogin) await atLogin(page);
  await page.getByRole("button", { name: "Open the developer portal" }).click();
  await page.getByRole("heading", { level: 1, name: "Endpoints" }).waitFor();
  return { context, page, failures };
}

export function screenshot(page, name) {
  return page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

/** Every page passes axe-core with no serious or critical violation. */
export async function accessible(page, what) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(() =>
    window.axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21aa", "best-practice"] } }));
  const serious = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  assert.deepEqual(serious.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`), [],
    `${what} has accessibility violations`);
}

/** An endpoint as the API reads it back: the fields a form may change. */
export async function subscription(herald, accountId, endpointId) {
  const { url, description, event_types, rate_limit, filter, ordered } = await herald.admin("GET", `/v1/accounts/${accountId}/endpoints/${endpointId}`);
  return { url, description, event_types, rate_limit, filter, ordered };
}

/**
 * Opens an endpoint's edit form (`edit`) and saves it (`save`), waiting for
 * the endpoint's page: what the tests of the form's settings share.
 */
export function endpointForm(herald, page, id, url) {
  return {
    edit: async () => {
      await page.goto(`${herald.address}/portal/endpoints/${id}/edit`);
      await page.getByRole("heading", { level: 1, name: `Edit ${url}` }).waitFor();
    },
    save: async () => {
      await page.getByRole("button", { name: "Save changes" }).click();
      await page.waitForURL(`${herald.address}/portal/endpoints/${id}`);
      await page.getByRole("heading", { level: 1, name: url, exact: true }).waitFor();
    },
  };
}

/** Counts the requests a page sends with `method`, so a test can show that none was sent. */
export function requests(page, method) {
  const sent = [];
  page.on("request", (request) => {
    if (request.method() === method && request.url().includes("/v1/")) sent.push(request.postData());
  });
  return sent;
}
