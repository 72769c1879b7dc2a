// The developer portal's endpoint settings in real headless Chromium: the
// edit form's fields (event types, filter, rate limit, order), custom
// headers and recovery, each set, shown, refused at its field when wrong,
// and removed, against a real Herald. Run by scripts/test (node --test)
// beside portal.test.mjs; screenshots land in target/portal-screenshots.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import {
  accessible, endpointForm, receiver, requests, screenshot, signIn, startBrowser, startHerald, subscription, waitFor,
} from "./harness.mjs";

let herald;
let browser;
let healthy;

before(async () => {
  [herald, browser, healthy] = await Promise.all([startHerald(), startBrowser(), receiver(200)]);
});

after(async () => {
  await browser?.close();
  await herald?.stop();
  await healthy?.close();
});

const SUBSCRIPTIONS = [
  ["every event type", null],
  ["a pattern", ["project.*"]],
  ["exact types", ["project.completed", "credits.low"]],
  ["a pattern and an exact type", ["project.*", "credits.low"]],
  ["the pattern for every type", ["*"]],
];

test("saving an endpoint from the edit form untouched changes nothing, whatever it subscribes to", async () => {
  const initech = await herald.account("Initech");
  const { context, page, failures } = await signIn(browser, initech.link);
  let n = 0;
  for (const [what, eventTypes] of SUBSCRIPTIONS) {
    for (const description of [undefined, "Orders, production"]) {
      n += 1;
      const body = { url: `${healthy.url}/initech-${n}`, event_types: eventTypes };
      if (description !== undefined) {
        body.description = description;
        body.rate_limit = 25;
        body.ordered = true;
        if (eventTypes && eventTypes.includes("credits.low")) body.filter = "data.balance < 5";
      }
      const { id } = await herald.admin("POST", `/v1/accounts/${initech.id}/endpoints`, body);
      const before = await subscription(herald, initech.id, id);
      const label = `${what}, ${description === undefined ? "no description" : "a description"}`;

      await page.goto(`${herald.address}/portal/endpoints/${id}/edit`);
      await page.getByRole("heading", { level: 1, name: `Edit ${before.url}` }).waitFor();
      // The form shows what the endpoint has: every type, or each of its entries (patterns included) ticked.
      assert.equal(await page.getByLabel("All event types, including future ones").isChecked(), eventTypes === null, label);
      const ticked = await page.locator('fieldset input[type="checkbox"][value]:checked').evaluateAll((boxes) => boxes.map((b) => b.value));
      assert.deepEqual(ticked.sort(), [...(eventTypes || [])].sort(), label);
      assert.equal(await page.getByLabel("Description (optional)").inputValue(), description || "", label);
      assert.equal(await page.getByLabel("Rate limit (optional)").inputValue(), description === undefined ? "" : "25", label);
      assert.equal(await page.getByLabel("Deliver in publish order").isChecked(), description !== undefined, label);

      await page.getByRole("button", { name: "Save changes" }).click();
      await page.waitForURL(`${herald.address}/portal/endpoints/${id}`);
      await page.getByRole("heading", { level: 1, name: before.url, exact: true }).waitFor();
      assert.deepEqual(await subscription(herald, initech.id, id), before, `${label}: unchanged after saving`);
    }
  }
  assert.deepEqual(failures, [], "no script errors");
  await context.close();
});

test("a rate limit is set in the edit form, shown on the endpoint, refused at its field when nonsense, and removed", async () => {
  const umbrella = await herald.account("Umbrella");
  const { context, page, failures } = await signIn(browser, umbrella.link);
  const { id } = await herald.admin("POST", `/v1/accounts/${umbrella.id}/endpoints`, { url: `${healthy.url}/umbrella` });
  const { edit, save } = endpointForm(herald, page, id, `${healthy.url}/umbrella`);

  await edit();
  await page.getByLabel("Rate limit (optional)").fill("0");
  await page.getByRole("button", { name: "Save changes" }).click();
  const error = page.locator("#rate_limit-error");
  await error.waitFor();
  assert.match(await error.innerText(), /per second from 1 to 10000/);
  assert.equal(await page.getByLabel("Rate limit (optional)").getAttribute("aria-invalid"), "true");
  assert.equal((await subscription(herald, umbrella.id, id)).rate_limit, null, "nothing refused is stored");

  await page.getByLabel("Rate limit (optional)").fill("12");
  await save();
  await page.locator("#rate-limit").getByText("12 per second").waitFor();
  assert.equal((await subscription(herald, umbrella.id, id)).rate_limit, 12);
  await screenshot(page, "endpoint-rate-limit");

  await edit();
  assert.equal(await page.getByLabel("Rate limit (optional)").inputValue(), "12");
  await page.getByLabel("Rate limit (optional)").fill("");
  await save();
  await page.locator("#rate-limit").getByText("None").waitFor();
  assert.equal((await subscription(herald, umbrella.id, id)).rate_limit, null);
  assert.deepEqual(failures, [], "no script errors");
  await context.close();
});

test("publish order is switched on in the edit form, shown on the endpoint, and off again", async () => {
  const cyberdyne = await herald.account("Cyberdyne");
  const { context, page, failures } = await signIn(browser, cyberdyne.link);
  const { id } = await herald.admin("POST", `/v1/accounts/${cyberdyne.id}/endpoints`, { url: `${healthy.url}/cyberdyne` });
  const { edit, save } = endpointForm(herald, page, id, `${healthy.url}/cyberdyne`);

  await page.goto(`${herald.address}/portal/endpoints/${id}`);
  await page.locator("#order").getByText("Any order, several at once").waitFor();
  await edit();
  assert.equal(await page.getByLabel("Deliver in publish order").isChecked(), false);
  await page.getByLabel("Deliver in publish order").check();
  await save();
  await page.locator("#order").getByText("In publish order, one at a time").waitFor();
  assert.equal((await subscription(herald, cyberdyne.id, id)).ordered, true);
  await screenshot(page, "endpoint-ordered");

  await edit();
  assert.equal(await page.getByLabel("Deliver in publish order").isChecked(), true);
  await page.getByLabel("Deliver in publish order").uncheck();
  await save();
  await page.locator("#order").getByText("Any order, several at once").waitFor();
  assert.equal((await subscription(herald, cyberdyne.id, id)).ordered, false);
  assert.deepEqual(failures, [], "no script errors");
  await context.close();
});

test("custom headers are added, hidden until revealed, refused at their field when reserved, and reach the receiver", async () => {
  const stark = await herald.account("Stark");
  const gateway = await receiver(200);
  const { context, page, failures } = await signIn(browser, stark.link);
  const { id } = await herald.admin("POST", `/v1/accounts/${stark.id}/endpoints`, { url: gateway.url });
  await page.goto(`${herald.address}/portal/endpoints/${id}`);
  await page.getByRole("heading", { level: 2, name: "Custom headers" }).waitFor();

  await page.getByRole("button", { name: "Add headers" }).click();
  const text = page.getByLabel("Headers, one Name: value a line");
  await text.fill("Authorization: Bearer gw-portal-1\nHost: evil.example");
  await page.getByRole("button", { name: "Save headers" }).click();
  const error = page.locator("#headers-error");
  await error.waitFor();
  assert.match(await error.innerText(), /Host/);
  assert.equal(await text.getAttribute("aria-invalid"), "true");
  assert.deepEqual((await herald.admin("GET", `/v1/accounts/${stark.id}/endpoints/${id}/headers`)).headers, {}, "nothing refused is stored");

  await text.fill("Authorization: Bearer gw-portal-1\nX-Api-Key: k-9");
  await page.getByRole("button", { name: "Save headers" }).click();
  await page.getByText("Custom headers saved.").waitFor();
  const values = page.locator("#header-values");
  assert.equal(await values.locator("dt").allInnerTexts().then((t) => t.join(",")), "Authorization,X-Api-Key");
  assert.ok(!(await values.innerText()).includes("gw-portal-1"), "values hidden until revealed");
  await page.getByRole("button", { name: "Reveal headers" }).click();
  await values.getByText("Bearer gw-portal-1").waitFor();
  await accessible(page, "the endpoint page with custom headers");
  await screenshot(page, "endpoint-custom-headers");

  await page.getByRole("button", { name: "Send test event" }).click();
  await waitFor("the test event at the gateway", () => gateway.requests.length > 0);
  assert.equal(gateway.requests[0].headers.authorization, "Bearer gw-portal-1");
  assert.equal(gateway.requests[0].headers["x-api-key"], "k-9");

  await page.getByRole("button", { name: "Edit headers" }).click();
  assert.equal(await text.inputValue(), "Authorization: Bearer gw-portal-1\nX-Api-Key: k-9");
  await text.fill("");
  await page.getByRole("button", { name: "Save headers" }).click();
  await page.getByText("Custom headers removed.").waitFor();
  assert.deepEqual((await herald.admin("GET", `/v1/accounts/${stark.id}/endpoints/${id}`)).header_names, []);
  assert.deepEqual(failures, [], "no script errors");
  await context.close();
  await gateway.close();
});

test("a disabled endpoint's failed and skipped deliveries are recovered from its page, which says how many", async () => {
  const wayne = await herald.account("Wayne");
  const down = await receiver(500);
  const { context, page, failures } = await signIn(browser, wayne.link);
  const { id } = await herald.admin("POST", `/v1/accounts/${wayne.id}/endpoints`, { url: down.url });
  const base = `/v1/accounts/${wayne.id}`;
  // Disabled by hand, so the one event it gets meanwhile is skipped; one more failed earlier.
  await herald.admin("POST", `${base}/events`, { type: "credits.low", data: { balance: 1, threshold: 5 } });
  await waitFor("the first delivery to be tried", async () => {
    const { data } = await herald.admin("GET", `${base}/deliveries?endpoint_id=${id}`);
    return data[0] && data[0].attempt_count > 0;
  });
  await herald.admin("POST", `${base}/endpoints/${id}/disable`, {});
  await herald.admin("POST", `${base}/events`, { type: "credits.low", data: { balance: 2, threshold: 5 } });
  down.answer(200);
  const before = down.requests.length;

  await page.goto(`${herald.address}/portal/endpoints/${id}`);
  await page.getByRole("heading", { level: 2, name: "Recover failed deliveries" }).waitFor();
  await page.getByLabel("Failed or skipped since").fill("2999-01-01T00:00");
  await page.getByRole("button", { name: "Recover" }).click();
  const error = page.locator("#since-error");
  await error.waitFor();
  assert.match(await error.innerText(), /future/);

  await page.getByLabel("Failed or skipped since").fill("2020-01-01T00:00");
  await page.getByRole("button", { name: "Recover" }).click();
  await page.getByText(/Recovery queued \d+ failed or skipped deliver/).waitFor();
  await waitFor("both deliveries at the receiver", () => down.requests.length >= before + 2);
  const balances = down.requests.slice(before).map((r) => JSON.parse(r.body).data.balance).sort();
  assert.deepEqual(balances, [1, 2]);
  assert.equal((await herald.admin("GET", `${base}/endpoints/${id}`)).enabled, true, "enabled first");
  await accessible(page, "the endpoint page after a recovery");
  assert.deepEqual(failures, [], "no script errors");
  await context.close();
  await down.close();
});

test("a filter on content is set in the edit form, refused at its field when it reads an unknown field, and shown", async () => {
  const oscorp = await herald.account("Oscorp");
  const { context, page, failures } = await signIn(browser, oscorp.link);
  const { id } = await herald.admin("POST", `/v1/accounts/${oscorp.id}/endpoints`,
    { url: `${healthy.url}/oscorp`, event_types: ["project.*"] });
  await page.goto(`${herald.address}/portal/endpoints/${id}/edit`);
  await page.getByRole("heading", { level: 1, name: `Edit ${healthy.url}/oscorp` }).waitFor();

  await page.getByLabel("Filter on content (optional)").fill("data.project_typo == 1");
  await page.getByRole("button", { name: "Save changes" }).click();
  const error = page.locator("#filter-error");
  await error.waitFor();
  assert.match(await error.innerText(), /data\.project_typo/);
  assert.equal(await page.getByLabel("Filter on content (optional)").getAttribute("aria-invalid"), "true");
  assert.equal((await subscription(herald, oscorp.id, id)).filter, null, "nothing refused is stored");

  await page.getByLabel("Filter on content (optional)").fill('data.project_type == "scene_project"');
  await page.getByRole("button", { name: "Save changes" }).click();
  await page.waitForURL(`${herald.address}/portal/endpoints/${id}`);
  await page.locator("#filter-text").getByText('data.project_type == "scene_project"').waitFor();
  assert.equal((await subscription(herald, oscorp.id, id)).filter, 'data.project_type == "scene_project"');
  await screenshot(page, "endpoint-filter");
  assert.deepEqual(failures, [], "no script errors");
  await context.close();
});

test("the edit form keeps a pattern until it is unchecked, and refuses to subscribe to nothing", async () => {
  const hooli = await herald.account("Hooli");
  const { context, page, failures } = await signIn(browser, hooli.link);
  const { id, url } = await herald.admin("POST", `/v1/accounts/${hooli.id}/endpoints`,
    { url: `${healthy.url}/hooli`, description: "Billing", event_types: ["project.*", "credits.low"] });
  const { edit, save } = endpointForm(herald, page, id, url);

  await edit();
  await screenshot(page, "edit-pattern");
  await page.getByLabel("project.*").uncheck();
  await save();
  assert.deepEqual(await subscription(herald, hooli.id, id), { url, description: "Billing", event_types: ["credits.low"], rate_limit: null, filter: null, ordered: false });

  // Emptying the description clears it.
  await edit();
  await page.getByLabel("Description (optional)").fill("");
  await save();
  assert.ok(["", null].includes((await subscription(herald, hooli.id, id)).description), "the description is cleared");

  // Nothing ticked: refused next to the field, before anything is sent.
  await edit();
  const patches = requests(page, "PATCH");
  await page.getByLabel("credits.low").uncheck();
  await page.getByRole("button", { name: "Save changes" }).click();
  const typesError = page.locator("#event_types-error");
  await typesError.waitFor();
  assert.match(await typesError.innerText(), /at least one event type/);
  assert.equal(await page.evaluate(() => document.activeElement.id), "all-types", "the focus goes to the event types");
  await accessible(page, "the edit form refusing an empty subscription");
  await screenshot(page, "edit-nothing-ticked");
  assert.deepEqual(patches, [], "nothing was sent");
  assert.deepEqual((await subscription(herald, hooli.id, id)).event_types, ["credits.low"]);

  // Every type, from there.
  await page.getByLabel("All event types, including future ones").check();
  await save();
  assert.equal((await subscription(herald, hooli.id, id)).event_types, null);

  // A new endpoint subscribed to nothing is refused the same way.
  const posts = requests(page, "POST");
  await page.goto(`${herald.address}/portal/endpoints/new`);
  await page.getByLabel("URL").fill(`${healthy.url}/hooli-2`);
  await page.getByLabel("All event types, including future ones").uncheck();
  await page.getByRole("button", { name: "Add endpoint" }).click();
  await typesError.waitFor();
  assert.deepEqual(posts, [], "nothing was sent");
  assert.deepEqual(failures, [], "no script errors");
  await context.close();
});

/**
 * An account whose endpoints have long URLs, one of them refusing
 * connections, and deliveries of the catalog's longest event type: what
 * breaks a table's layout if anything does. Made once, by the first test that
 * needs it.
 */
