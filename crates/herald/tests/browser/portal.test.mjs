// The developer portal in real headless Chromium: what a customer given a
// portal link does, step by step, against a real Herald and real receivers.
// Run by scripts/test (node --test); screenshots land in target/portal-screenshots.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import {
  accessible, receiver, refusingUrl, screenshot, signedBy, signIn, startBrowser, startHerald, waitFor,
} from "./harness.mjs";

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
  await (await northwindSetup)?.receiver.close();
});

/**
 * A page outside a session (sign-in, link expired, signed out) wears the
 * portal's look: the portal's style sheet, loaded from its file (the
 * Content-Security-Policy allows no inline style or script), the header, a card.
 */
async function styled(page, what) {
  await page.waitForLoadState("load");
  const look = await page.evaluate(() => {
    const sheet = [...document.styleSheets].find((s) => s.href && s.href.endsWith("/portal/assets/portal.css"));
    const header = document.querySelector("header.top");
    const card = document.querySelector("main .card");
    return {
      sheet: Boolean(sheet && sheet.cssRules.length > 0),
      header: header ? getComputedStyle(header).borderBottomStyle : "no header",
      card: card ? getComputedStyle(card).borderTopStyle : "no card",
      font: getComputedStyle(document.body).fontFamily.includes("system-ui"),
      inline: document.querySelectorAll("style, script:not([src]), [style]").length,
    };
  });
  assert.deepEqual(look, { sheet: true, header: "solid", card: "solid", font: true, inline: 0 }, `${what} is styled`);
}

/**
 * What is read as one token and yet spans more than one line: badges, links,
 * buttons, event types, times and column headers. A node's lines are counted
 * from the boxes of its text (a word broken in two has boxes on two lines).
 */
async function brokenAcrossLines(page) {
  return page.evaluate(() => {
    const lines = (node) => {
      const range = document.createRange();
      range.selectNodeContents(node);
      const boxes = [...range.getClientRects()].filter((r) => r.width > 0 && r.height > 0).sort((a, b) => a.top - b.top);
      let count = 0;
      let bottom = -Infinity;
      for (const box of boxes) {
        if (box.top >= bottom - 1) {
          count += 1; // below the line so far: a new line
          bottom = box.bottom;
        } else {
          bottom = Math.max(bottom, box.bottom);
        }
      }
      return count;
    };
    const nodes = [...document.querySelectorAll("main .badge, main td a, main td code, main time, main th, main .button, main button")];
    const broken = nodes.filter((n) => lines(n) > 1).map((n) => `${n.tagName.toLowerCase()} "${n.textContent}": ${lines(n)} lines`);
    return { checked: nodes.length, broken, overflow: document.documentElement.scrollWidth - window.innerWidth };
  });
}

/** The element whose title holds `text` shows it cut with an ellipsis: it is longer than its box. */
async function cutWithEllipsis(page, text) {
  const cut = page.locator(`[title="${text}"]`).first();
  await cut.waitFor();
  return cut.evaluate((node) => getComputedStyle(node).textOverflow === "ellipsis" && node.scrollWidth > node.clientWidth);
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
  portal = await signIn(browser, acme.link, async (login) => {
    await styled(login, "the sign-in page");
    await accessible(login, "the sign-in page");
    await screenshot(login, "login");
  });
  const { page } = portal;
  assert.match(await page.locator("header").innerText(), /Acme Studios/);
  await page.getByText("No endpoints yet").waitFor();
  await accessible(page, "the empty endpoints page");

  const again = await browser.newContext();
  const second = await again.newPage();
  await second.goto(acme.link);
  await second.getByRole("button", { name: "Open the developer portal" }).click();
  await second.getByRole("heading", { name: "Link expired" }).waitFor();
  await styled(second, "the link-expired page");
  await accessible(second, "the link-expired page");
  await screenshot(second, "link-expired");
  await again.close();
});

test("a refused URL is explained next to its field, then an endpoint is created", async () => {
  const { page } = portal;
  await page.getByRole("link", { name: "Add an endpoint" }).click();
  await page.getByRole("heading", { level: 1, name: "Add an endpoint" }).waitFor();
  await accessible(page, "the new endpoint form");

  await page.getByLabel("URL").fill("ftp://example.com/hooks");
  await page.getByLabel("Description (optional)").fill("x".repeat(1025));
  await page.getByRole("button", { name: "Add endpoint" }).click();
  const urlError = page.locator("#url-error");
  await urlError.waitFor();
  assert.match(await urlError.innerText(), /http/);
  assert.equal(await page.getByLabel("URL").getAttribute("aria-invalid"), "true");
  const descriptionError = page.locator("#description-error");
  await descriptionError.waitFor();
  await screenshot(page, "new-endpoint-refused");

  // The banner says each error once, one line per field.
  const banner = await page.locator("#status").innerText();
  const lines = banner.split("\n").filter((line) => line.trim());
  assert.equal(lines.length, 2, `one line per field: ${banner}`);
  for (const message of [await urlError.innerText(), await descriptionError.innerText()]) {
    assert.equal(banner.split(message).length - 1, 1, `"${message}" said once in: ${banner}`);
  }

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

/** The kinds of subscription an endpoint can have, as the API takes them. */
let northwindSetup;
function northwind() {
  northwindSetup ??= (async () => {
    const account = await herald.account("Northwind Traders International");
    const wide = await receiver(200);
    const longUrl = `${wide.url}/northwind-traders-international/production/orders-and-fulfilment/v2/receive?region=eu-west-1&format=json`;
    const refusedUrl = await refusingUrl("/northwind-traders-international/staging/voice-clones/v2/receive?region=eu-west-1");
    const create = (url, eventTypes) =>
      herald.admin("POST", `/v1/accounts/${account.id}/endpoints`, { url, description: "Long names", event_types: eventTypes });
    const long = await create(longUrl, null);
    const refused = await create(refusedUrl, ["voice_clone.*"]);
    const voice = { person_id: 7, person_name: "Alex Chen", voice_id: "voice_abc123", provider: "elevenlabs", credits_used: 500 };
    await herald.admin("POST", `/v1/accounts/${account.id}/events`, { type: "voice_clone.completed", data: voice });
    await herald.admin("POST", `/v1/accounts/${account.id}/events`, { type: "project.completed",
      data: { project_id: 44, project_type: "video", video_url: "https://cdn.example.com/44.mp4", duration_seconds: 9, credits_used: 2 } });
    const attempted = (endpoint) => waitFor(`an attempt to ${endpoint.url}`, async () => {
      const { data } = await herald.admin("GET", `/v1/accounts/${account.id}/deliveries?endpoint_id=${endpoint.id}&limit=1`);
      return data[0] && data[0].attempt_count > 0 ? data[0] : null;
    });
    const [delivered, refusedDelivery] = await Promise.all([attempted(long), attempted(refused)]);
    const portal = await signIn(browser, account.link);
    return { account, receiver: wide, long, refused, delivered, refusedDelivery, portal };
  })();
  return northwindSetup;
}

test("an attempt that could not connect says why, on the delivery's page and in the log", async () => {
  const { portal: { page }, refused, refusedDelivery } = await northwind();
  await page.goto(`${herald.address}/portal/deliveries/${refusedDelivery.id}`);
  const first = page.locator("section", { hasText: "Attempts" }).locator("tbody tr").first();
  await first.waitFor();
  assert.match(await first.innerText(), /connect/);
  assert.match(await first.innerText(), /connection refused/i, "the attempt says the connection was refused");

  await page.goto(`${herald.address}/portal/deliveries?endpoint_id=${refused.id}`);
  const row = page.locator("tbody tr").first();
  await row.waitFor();
  assert.match(await row.innerText(), /connect/);
  assert.match(await row.innerText(), /connection refused/i, "the log says why the last attempt failed");
});

for (const width of [1024, 1280]) {
  test(`at ${width} px, tables keep states, links, event types and times on one line, and cut long URLs`, async () => {
    const { portal: { page, failures }, long, refused, refusedDelivery } = await northwind();
    await page.setViewportSize({ width, height: 900 });
    const rows = (n) => page.locator("main tbody tr").nth(n - 1).waitFor();
    const pages = [
      // [screenshot, path, what to wait for, a long URL shown cut (its title holds it whole)]
      ["endpoints", "/portal/", () => page.getByRole("cell", { name: "voice_clone.*", exact: true }).waitFor(), long.url],
      ["endpoint", `/portal/endpoints/${long.id}`, () => rows(2), null],
      ["deliveries", "/portal/deliveries", () => rows(3), long.url],
      ["delivery", `/portal/deliveries/${refusedDelivery.id}`, () => rows(1), null],
    ];
    for (const [name, path, ready, cut] of pages) {
      await page.goto(`${herald.address}${path}`);
      await ready();
      const layout = await brokenAcrossLines(page);
      assert.deepEqual(layout.broken, [], `${name} at ${width} px: nothing read as one token spans two lines`);
      assert.ok(layout.checked >= 5, `${name} at ${width} px: ${layout.checked} elements checked`);
      assert.ok(layout.overflow <= 0, `${name} at ${width} px: no sideways scrolling (${layout.overflow} px too wide)`);
      if (cut) assert.ok(await cutWithEllipsis(page, cut), `${name} at ${width} px: the long URL is cut, whole on hover`);
      await screenshot(page, `layout-${width}-${name}`);
    }
    // The delivery's endpoint, cut or not, is whole on hover.
    assert.equal(await page.locator(`[title="${refused.url}"]`).count(), 1);
    assert.deepEqual(failures, [], "no script errors");
  });
}

test("signing out ends the session", async () => {
  const { page, failures } = portal;
  await page.goto(`${herald.address}/portal/`);
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByRole("heading", { name: "Signed out" }).waitFor();
  await styled(page, "the signed-out page");
  await page.goto(`${herald.address}/portal/`);
  await page.getByText("Your portal session has ended").waitFor();
  await styled(page, "the no-session page");
  await accessible(page, "the no-session page");
  await screenshot(page, "no-session");
  assert.deepEqual(failures, [], "no script errors on any page");
  await portal.context.close();
});
