// The developer portal in real headless Chromium: what a customer given a
// portal link does, step by step, against a real Herald and real receivers.
// Run by scripts/test (node --test); screenshots land in target/portal-screenshots.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { after, before, test } from "node:test";

import { receiver, screenshot, signedBy, signIn, startBrowser, startHerald, waitFor } from "./harness.mjs";

const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

let herald;
let browser;
let healthy;
let flaky;
let acme; // { id, link }
let portal; // { context, page, failures }
const made = {}; // endpoint ids the steps create

before(async () => {
  [herald, browser, healthy, flaky] = await Promise.all([startHerald(), startBrowser(), receiver(200), receiver(500)]);
  acme = await herald.account("Acme Studios");
});

after(async () => {
  await browser?.close();
  await herald?.stop();
  await healthy?.close();
  await flaky?.close();
});

/** Every page passes axe-core with no serious or critical violation. */
async function accessible(page, what) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(() =>
    window.axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21aa", "best-practice"] } }));
  const serious = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  assert.deepEqual(serious.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`), [],
    `${what} has accessibility violations`);
}

/** Counts full page loads, so a test can show that a change appeared without one. */
function loads(page) {
  let count = 0;
  page.on("framenavigated", (frame) => {
    if (frame === page.mainFrame()) count += 1;
  });
  return () => count;
}

test("a portal link signs in to the account's portal, and the link works once", async () => {
  portal = await signIn(browser, acme.link);
  const { page } = portal;
  assert.match(await page.locator("header").innerText(), /Acme Studios/);
  await page.getByText("No endpoints yet").waitFor();
  await accessible(page, "the empty endpoints page");

  const again = await browser.newContext();
  const second = await again.newPage();
  await second.goto(acme.link);
  await second.getByRole("button", { name: "Open the developer portal" }).click();
  await second.getByRole("heading", { name: "Link expired" }).waitFor();
  await again.close();
});

test("a refused URL is explained next to its field, then an endpoint is created", async () => {
  const { page } = portal;
  await page.getByRole("link", { name: "Add an endpoint" }).click();
  await page.getByRole("heading", { level: 1, name: "Add an endpoint" }).waitFor();
  await accessible(page, "the new endpoint form");

  await page.getByLabel("URL").fill("ftp://example.com/hooks");
  await page.getByRole("button", { name: "Add endpoint" }).click();
  const urlError = page.locator("#url-error");
  await urlError.waitFor();
  assert.match(await urlError.innerText(), /http/);
  assert.equal(await page.getByLabel("URL").getAttribute("aria-invalid"), "true");

  await page.getByLabel("URL").fill(healthy.url);
  await page.getByLabel("Description (optional)").fill("Production receiver");
  await page.getByRole("button", { name: "Add endpoint" }).click();
  await page.getByText("Endpoint added").waitFor();
  made.healthy = page.url().split("/portal/endpoints/")[1].split("?")[0];
  assert.match(made.healthy, /^ep_/);
  await page.getByRole("heading", { level: 1, name: healthy.url }).waitFor();
  await accessible(page, "the endpoint page");
});

test("the secret stays hidden until revealed, and a test event arrives signed with it", async () => {
  const { page } = portal;
  const count = loads(page);
  const secretBox = page.locator("#secret-value");
  assert.doesNotMatch(await secretBox.innerText(), /whsec_/);
  await page.getByRole("button", { name: "Reveal secret" }).click();
  await waitFor("the secret to show", async () => /^whsec_/.test(await secretBox.innerText()));
  const secret = await secretBox.innerText();
  const { secret: stored } = await herald.admin("GET", `/v1/accounts/${acme.id}/endpoints/${made.healthy}/secret`);
  assert.equal(secret, stored);

  await page.getByLabel("Event type").selectOption("project.completed");
  await page.getByRole("button", { name: "Send test event" }).click();
  await page.getByText(/Test event evt_\w+ queued/).waitFor();
  const request = await waitFor("the test event at the receiver", () => healthy.requests[0]);
  assert.equal(JSON.parse(request.body).type, "project.completed");
  assert.ok(signedBy(request, secret), "the test event is signed with the revealed secret");
  // The delivery's outcome shows up on the open page, without a reload.
  await page.locator("section", { hasText: "Recent deliveries" }).getByText("Succeeded").waitFor();
  assert.equal(count(), 0, "the page was not reloaded");
  await page.locator("figcaption").getByText("100.0% succeeded").waitFor();
  await screenshot(page, "endpoint");
});

test("rotating the secret shows the new one, and both sign until the grace ends", async () => {
  const { page } = portal;
  const old = await page.locator("#secret-value").innerText();
  await page.getByRole("button", { name: "Rotate secret" }).click();
  await page.getByText("Secret rotated").waitFor();
  const fresh = await waitFor("the new secret", async () => {
    const shown = await page.locator("#secret-value").innerText();
    return shown !== old && /^whsec_/.test(shown) ? shown : null;
  });
  const before = healthy.requests.length;
  await page.getByRole("button", { name: "Send test event" }).click();
  const request = await waitFor("a test event after the rotation", () => healthy.requests[before]);
  assert.ok(signedBy(request, fresh), "signed with the new secret");
  assert.ok(signedBy(request, old), "still signed with the old secret during the grace period");
});

test("a failing endpoint's attempts appear live, then it is disabled, then re-enabled with what it missed", async () => {
  const { page } = portal;
  await page.getByRole("link", { name: "Endpoints", exact: true }).click();
  await page.getByRole("link", { name: "Add an endpoint" }).click();
  await page.getByLabel("URL").fill(flaky.url);
  await page.getByLabel("Description (optional)").fill("Staging, flaky");
  await page.getByLabel("All event types, including future ones").uncheck();
  await page.getByLabel("project.completed").check();
  await page.getByLabel("project.failed").check();
  await page.getByRole("button", { name: "Add endpoint" }).click();
  await page.getByText("Endpoint added").waitFor();
  made.flaky = page.url().split("/portal/endpoints/")[1].split("?")[0];
  const count = loads(page);

  const data = { project_id: 42, project_type: "video", video_url: "https://cdn.example.com/42.mp4", duration_seconds: 12.5, credits_used: 3 };
  await herald.admin("POST", `/v1/accounts/${acme.id}/events`, { type: "project.completed", data });
  await page.locator("#endpoint-status").getByText("Failing").waitFor();
  await page.locator("#endpoint-status").getByText("Disabled").waitFor();
  await page.getByText("This endpoint is disabled").waitFor();
  await page.locator("section", { hasText: "Recent deliveries" }).getByText("Failed").waitFor();
  assert.equal(count(), 0, "attempts and the disable showed up without a reload");
  assert.equal(flaky.requests.length, 3, "three attempts on the shortened schedule");
  await page.locator("figcaption").getByText("0.0% succeeded").waitFor();
  await screenshot(page, "endpoint-disabled");
  await accessible(page, "a disabled endpoint's page");

  // While disabled it misses another event; the customer fixes the receiver and re-enables.
  await herald.admin("POST", `/v1/accounts/${acme.id}/events`, {
    type: "project.failed",
    data: { project_id: 43, project_type: "video", error_code: "render", error_message: "scene 3 failed" },
  });
  flaky.answer(200);
  assert.ok(await page.getByLabel("Redeliver what was missed while disabled").isChecked());
  await page.getByRole("button", { name: "Re-enable endpoint" }).click();
  await page.getByText("What it missed is being redelivered").waitFor();
  await page.locator("#endpoint-status").getByText("Enabled").waitFor();
  const redelivered = await waitFor("both missed events at the receiver", () => {
    const types = flaky.requests.slice(3).map((r) => JSON.parse(r.body).type).sort();
    return types.length >= 2 ? types : null;
  });
  assert.deepEqual(redelivered, ["project.completed", "project.failed"]);
});

test("the delivery log filters by status and event type, and one delivery can be resent", async () => {
  const { page } = portal;
  await page.getByRole("link", { name: "Delivery log" }).click();
  await page.getByRole("heading", { level: 1, name: "Delivery log" }).waitFor();
  await page.locator("tbody tr").first().waitFor();
  await accessible(page, "the delivery log");
  await screenshot(page, "deliveries");

  await page.getByLabel("Event type").selectOption("project.completed");
  await page.getByLabel("Endpoint").selectOption({ label: flaky.url });
  await page.getByRole("button", { name: "Filter" }).click();
  await page.waitForURL(/event_type=project.completed/);
  const rows = page.locator("tbody tr");
  await rows.first().waitFor();
  assert.equal(await rows.count(), 1);
  assert.match(await rows.first().innerText(), /project\.completed/);

  await rows.first().getByRole("link", { name: /Details/ }).click();
  await page.getByRole("heading", { level: 1, name: "project.completed delivery" }).waitFor();
  const attempts = page.locator("section", { hasText: "Attempts" }).locator("tbody tr");
  await waitFor("four attempts listed", async () => (await attempts.count()) === 4);
  assert.match(await attempts.nth(0).innerText(), /500/);
  assert.match(await attempts.nth(0).innerText(), /receiver is down for maintenance/);
  assert.match(await page.locator("section", { hasText: "Payload" }).locator("pre").innerText(), /"project_id": 42/);
  await accessible(page, "a delivery's page");

  const count = loads(page);
  const before = flaky.requests.length;
  await page.getByRole("button", { name: "Resend" }).click();
  await page.getByText("Resend queued").waitFor();
  await waitFor("the fifth attempt listed", async () => (await attempts.count()) === 5);
  assert.match(await attempts.nth(4).innerText(), /200/);
  assert.equal(flaky.requests.length, before + 1);
  assert.equal(count(), 0, "the new attempt showed up without a reload");
  await screenshot(page, "delivery");

  await page.goto(`${herald.address}/portal/deliveries?status=failed`);
  await page.getByText("No deliveries match these filters.").waitFor();
});

test("a new delivery appears in the open log without a reload", async () => {
  const { page } = portal;
  await page.goto(`${herald.address}/portal/deliveries`);
  await page.locator("tbody tr").first().waitFor();
  const count = loads(page);
  const rowsBefore = await page.locator("tbody tr").count();
  await herald.admin("POST", `/v1/accounts/${acme.id}/events`, { type: "credits.low", data: { balance: 5, threshold: 10 } });
  await page.locator("tbody tr", { hasText: "credits.low" }).waitFor();
  assert.equal(await page.locator("tbody tr").count(), rowsBefore + 1, "one new row: credits.low goes to the healthy endpoint only");
  assert.equal(count(), 0);
});

test("the catalog shows each type's description, schema and example", async () => {
  const { page } = portal;
  await page.getByRole("link", { name: "Event types" }).click();
  const section = page.locator("section", { has: page.getByRole("heading", { name: "voice_clone.completed" }) });
  await section.waitFor();
  assert.match(await section.innerText(), /voice clone/i);
  await section.locator("summary", { hasText: "Schema" }).click();
  assert.match(await section.locator("pre").first().innerText(), /"voice_id"/);
  await section.locator("summary", { hasText: "Example" }).click();
  assert.match(await section.locator("pre").nth(1).innerText(), /"voice_id"/);
  assert.equal(await page.getByRole("heading", { level: 2 }).count(), 8);
  await accessible(page, "the catalog");
  await screenshot(page, "catalog");
});

test("an endpoint can be edited with the keyboard, disabled by hand, and deleted", async () => {
  const { page } = portal;
  await page.goto(`${herald.address}/portal/endpoints/${made.flaky}`);
  await page.getByRole("link", { name: "Edit" }).click();
  await page.getByRole("heading", { level: 1, name: `Edit ${flaky.url}` }).waitFor();
  await page.getByLabel("Description (optional)").focus();
  await page.keyboard.press("Control+A");
  await page.keyboard.type("Staging, fixed");
  await page.keyboard.press("Enter");
  await page.getByRole("heading", { level: 1, name: flaky.url }).waitFor();
  await page.getByText("Staging, fixed").waitFor();

  await page.getByRole("button", { name: "Disable endpoint" }).click();
  await page.getByText("Endpoint disabled.").waitFor();
  await page.locator("#endpoint-status").getByText("disabled by the account").waitFor();
  await page.getByRole("link", { name: "Endpoints", exact: true }).click();
  await page.getByRole("row", { name: /Staging, fixed/ }).getByText("Disabled", { exact: true }).waitFor();
  await page.getByRole("link", { name: flaky.url }).click();

  await page.getByRole("button", { name: "Delete…" }).click();
  await page.getByRole("button", { name: "Yes, delete this endpoint" }).click();
  await page.getByRole("heading", { level: 1, name: "Endpoints" }).waitFor();
  await page.getByRole("link", { name: healthy.url }).waitFor();
  assert.equal(await page.getByRole("link", { name: flaky.url }).count(), 0);
  await screenshot(page, "endpoints");
  const gone = await fetch(`${herald.address}/v1/accounts/${acme.id}/endpoints/${made.flaky}`, {
    headers: { authorization: "Bearer browser-test-admin-token" },
  });
  assert.equal(gone.status, 404);
});

test("a second account's portal cannot reach the first account's data", async () => {
  const other = await herald.account("Globex");
  const { context, page } = await signIn(browser, other.link);
  assert.match(await page.locator("header").innerText(), /Globex/);
  await page.getByText("No endpoints yet").waitFor();

  await page.goto(`${herald.address}/portal/endpoints/${made.healthy}`);
  await page.getByRole("heading", { level: 1, name: "Not found" }).waitFor();
  const [delivery] = (await herald.admin("GET", `/v1/accounts/${acme.id}/deliveries?limit=1`)).data;
  await page.goto(`${herald.address}/portal/deliveries/${delivery.id}`);
  await page.getByRole("heading", { level: 1, name: "Not found" }).waitFor();

  // Even calling the API from the page, with its own session and CSRF token.
  const statuses = await page.evaluate(async ({ account, endpoint }) => {
    const csrf = document.querySelector('meta[name="herald-csrf"]').content;
    const get = async (path) => (await fetch(path, { headers: { "X-CSRF-Token": csrf } })).status;
    return [
      await get(`/v1/accounts/${account}/endpoints`),
      await get(`/v1/accounts/${account}/endpoints/${endpoint}/secret`),
      await get(`/v1/accounts/${account}/deliveries`),
    ];
  }, { account: acme.id, endpoint: made.healthy });
  assert.deepEqual(statuses, [404, 404, 404]);
  await context.close();
});

test("signing out ends the session", async () => {
  const { page, failures } = portal;
  await page.goto(`${herald.address}/portal/`);
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByRole("heading", { name: "Signed out" }).waitFor();
  await page.goto(`${herald.address}/portal/`);
  await page.getByText("Your portal session has ended").waitFor();
  assert.deepEqual(failures, [], "no script errors on any page");
  await portal.context.close();
});
