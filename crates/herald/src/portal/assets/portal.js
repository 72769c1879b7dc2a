// Herald's developer portal: renders each page from the account's own /v1 API.
// Everything is built with DOM calls and textContent, never from HTML strings,
// so nothing an API answer holds can become markup. Served from the binary.
"use strict";

const ACCOUNT = document.querySelector('meta[name="herald-account"]').content;
const CSRF = document.querySelector('meta[name="herald-csrf"]').content;
const MAIN = document.getElementById("content");
const REFRESH_MS = 2000;

// ---------------------------------------------------------------- the API

class Problem extends Error {
  constructor(status, body) {
    super((body && (body.detail || body.title)) || `HTTP ${status}`);
    this.status = status;
    this.errors = (body && body.errors) || [];
  }
}

async function api(method, path, body) {
  const url = path.startsWith("/v1/event-types") ? path : `/v1/accounts/${encodeURIComponent(ACCOUNT)}${path}`;
  const init = { method, headers: { "X-CSRF-Token": CSRF, Accept: "application/json" }, credentials: "same-origin" };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(url, init);
  if (response.status === 401) {
    window.location.reload(); // the session ended: the server shows the signed-out page
    throw new Problem(401, { detail: "Your session has ended." });
  }
  const text = await response.text();
  const parsed = text ? JSON.parse(text) : null;
  if (!response.ok) throw new Problem(response.status, parsed);
  return parsed;
}

let catalogCache = null;
/**
 * The types this account's endpoints receive: the operational ones
 * (endpoint.disabled, …) for the `herald` account, the catalog for any other.
 */
async function catalog() {
  if (!catalogCache) {
    const all = (await api("GET", "/v1/event-types")).data;
    catalogCache = all.filter((t) => Boolean(t.operational) === (ACCOUNT === "herald"));
  }
  return catalogCache;
}

// ---------------------------------------------------------------- DOM helpers

function el(tag, attrs, ...children) {
  const node = tag.startsWith("svg:")
    ? document.createElementNS("http://www.w3.org/2000/svg", tag.slice(4))
    : document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "class") node.setAttribute("class", value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function link(href, text, attrs) {
  return el("a", { href, ...(attrs || {}) }, text);
}

function time(iso) {
  if (!iso) return "—";
  const date = new Date(iso);
  return el("time", { datetime: iso, title: iso }, date.toLocaleString());
}

function pretty(json) {
  return el("pre", { class: "code", tabindex: "0" }, JSON.stringify(json, null, 2));
}

function setTitle(text) {
  const h1 = MAIN.querySelector("h1");
  h1.textContent = text;
  const rest = document.title.split(" · ").slice(1).join(" · ");
  document.title = `${text} · ${rest}`;
}

/** Replaces everything under the page's heading. */
function render(...nodes) {
  const h1 = MAIN.querySelector("h1");
  while (h1.nextSibling) h1.nextSibling.remove();
  MAIN.append(...nodes.flat().filter(Boolean));
}

/** A region the page can re-render in place (live updates) without moving the focus elsewhere. */
function region(name) {
  return el("div", { class: "region", "data-region": name });
}

function replace(node, ...children) {
  node.replaceChildren(...children.flat().filter(Boolean));
}

/** Announces an outcome in the page's status line: one message, or a list of them (one per field). */
function say(message, kind) {
  let status = document.getElementById("status");
  if (!status) {
    status = el("div", { id: "status", role: "status", "aria-live": "polite" });
    MAIN.querySelector("h1").after(status);
  }
  status.className = kind === "error" ? "notice error" : "notice";
  status.replaceChildren(lineNodes(message));
}

/** One message as text, several as a list: one line each. */
function lineNodes(message) {
  const lines = [].concat(message);
  return lines.length === 1 ? lines[0] : el("ul", {}, lines.map((line) => el("li", {}, line)));
}

/** Where a field error points, as a person reads it: `url`, `event_types/0`, or nothing for the whole body. */
function fieldName(e) {
  return (e.pointer || e.parameter || "").replace(/^\//, "");
}

/**
 * What went wrong, one line per field. A 422's `detail` is those same field
 * errors joined into one sentence, so the lines come from `errors` when there
 * are any and from `detail` only when there are none: each error said once.
 */
function problemLines(error) {
  if (!(error instanceof Problem)) return [`Something went wrong: ${error.message}`];
  if (error.errors.length === 0) return [error.message];
  return error.errors.map((e) => (fieldName(e) ? `${fieldName(e)}: ${e.message}` : e.message));
}

/** Runs an action from a button, disabling it meanwhile and reporting failures. */
function action(button, run) {
  button.addEventListener("click", async (event) => {
    event.preventDefault();
    button.disabled = true;
    try {
      await run();
    } catch (error) {
      say(problemLines(error), "error");
    } finally {
      button.disabled = false;
    }
  });
  return button;
}

/**
 * Runs `run` when `form` is submitted, with `button` disabled meanwhile; a
 * refusal is shown next to each field at fault (the first one focused) and
 * in the banner.
 */
function onSubmit(form, button, run) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    button.disabled = true;
    try {
      await run();
    } catch (error) {
      const first = showFieldErrors(form, error);
      say(problemLines(error), "error");
      if (first) first.focus();
    } finally {
      button.disabled = false;
    }
  });
}

/** Calls `tick` every few seconds while the page is open; skips a beat while one runs. */
function live(tick) {
  let busy = false;
  setInterval(async () => {
    if (busy || document.hidden) return;
    busy = true;
    try {
      await tick();
    } catch (error) {
      if (!(error instanceof Problem)) console.warn(error);
    } finally {
      busy = false;
    }
  }, REFRESH_MS);
}

/** Re-renders only when the data changed, so focus and selection survive refreshes. */
function changed(node, data) {
  const text = JSON.stringify(data);
  if (node.dataset.shown === text) return false;
  node.dataset.shown = text;
  return true;
}

// ---------------------------------------------------------------- pieces

const STATUS_TEXT = { pending: "Pending", succeeded: "Succeeded", failed: "Failed", skipped: "Skipped" };

function badge(kind, text) {
  return el("span", { class: `badge badge-${kind}` }, text);
}

function deliveryBadge(status) {
  return badge(status, STATUS_TEXT[status] || status);
}

function endpointState(endpoint, retrying) {
  if (!endpoint.enabled) {
    return [badge("failed", "Disabled"), " ", el("span", { class: "why" }, reasonText(endpoint.disabled_reason))];
  }
  if (retrying) return [badge("pending", "Failing"), " ", el("span", { class: "why" }, "deliveries are being retried")];
  return badge("succeeded", "Enabled");
}

function reasonText(reason) {
  return reason || "";
}

/** Event types as code, one element each, so that a list wraps between types and never inside one. */
function typesList(types) {
  if (types === null || types === undefined) return "All event types";
  return types.flatMap((type, i) => [i ? ", " : null, el("code", {}, type)]);
}

/**
 * A cell for a value that may be long (a URL): one line, cut with an ellipsis
 * by the style sheet, the whole value on hover.
 */
function longCell(text, content) {
  return el("td", { class: "truncate", title: text }, content === undefined ? text : content);
}

/**
 * The last answer's status; failing that (no answer at all), why the last
 * attempt failed: its kind, and under it the detail cut to one line like a
 * long URL, whole on hover. Older servers send no `last_error`: then this is
 * a dash, as before.
 */
function lastResponseCell(d) {
  if (d.last_response_status !== null && d.last_response_status !== undefined) {
    return el("td", {}, String(d.last_response_status));
  }
  if (!d.last_error) return el("td", {}, "—");
  const detail = d.last_error_detail;
  return el("td", { class: "truncate last-error", title: detail ? `${d.last_error}: ${detail}` : d.last_error },
    el("code", {}, d.last_error), detail ? el("span", { class: "error-detail" }, detail) : null);
}

/** An attempt's error kind and, when the API gives it, the detail (which address, what the connection said). */
function attemptError(a) {
  if (!a.error) return "—";
  return [el("code", {}, a.error), a.error_detail ? el("span", { class: "error-detail attempt-detail" }, a.error_detail) : null];
}

function field(label, input, hint) {
  const id = input.id;
  const hintNode = hint ? el("p", { class: "hint", id: `${id}-hint` }, hint) : null;
  if (hintNode) input.setAttribute("aria-describedby", `${id}-hint`);
  return el("div", { class: "field" }, el("label", { for: id }, label), hintNode, input,
    el("p", { class: "field-error", id: `${id}-error`, hidden: true }));
}

/**
 * Shows each field error of a refused form next to its field, and returns
 * what to focus: the first field at fault. A field without a control of its
 * own (the event types' fieldset) names what to focus instead in `data-focus`.
 */
function showFieldErrors(form, error) {
  for (const node of form.querySelectorAll(".field-error")) {
    node.hidden = true;
    node.textContent = "";
  }
  for (const input of form.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
  if (!(error instanceof Problem)) return null;
  const invalid = [];
  for (const e of error.errors) {
    const name = (e.pointer || "").split("/")[1];
    const input = name && form.querySelector(`[name="${name}"]`);
    const box = input && form.querySelector(`#${input.id}-error`);
    if (!box) continue;
    box.textContent = box.textContent ? `${box.textContent} ${e.message}` : e.message;
    box.hidden = false;
    if (input.type !== "hidden") {
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-errormessage", box.id);
    }
    invalid.push(input.dataset.focus ? document.getElementById(input.dataset.focus) : input);
  }
  return invalid[0] || null;
}

// ---------------------------------------------------------------- endpoints list

async function endpointsPage() {
  const table = region("Endpoints");
  render(
    el("p", {}, "Herald sends a signed POST to each endpoint for every event it subscribes to."),
    el("p", {}, link("/portal/endpoints/new", "Add an endpoint", { class: "button" })),
    table,
  );
  const refresh = async () => {
    const endpoints = (await api("GET", "/endpoints?limit=500")).data;
    const retrying = await Promise.all(endpoints.map(async (ep) => {
      if (!ep.enabled) return false;
      const pending = (await api("GET", `/deliveries?endpoint_id=${ep.id}&status=pending&limit=50`)).data;
      return pending.some((d) => d.attempt_count > 0);
    }));
    if (!changed(table, [endpoints, retrying])) return;
    if (endpoints.length === 0) {
      replace(table, el("p", { class: "empty" }, "No endpoints yet. Add one to start receiving webhooks."));
      return;
    }
    replace(table, el("table", {},
      el("caption", { class: "visually-hidden" }, "Your endpoints"),
      el("thead", {}, el("tr", {}, ["URL", "Description", "Event types", "Status"].map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, endpoints.map((ep, i) => el("tr", {},
        longCell(ep.url, link(`/portal/endpoints/${ep.id}`, ep.url)),
        el("td", {}, ep.description || "—"),
        el("td", {}, typesList(ep.event_types)),
        el("td", {}, endpointState(ep, retrying[i])),
      )))));
  };
  await refresh();
  live(refresh);
}

// ---------------------------------------------------------------- endpoint form

/** What a subscription entry that the catalog does not list (a `project.*` pattern) covers. */
function patternHint(pattern) {
  if (pattern === "*") return "every type, including future ones";
  if (pattern.endsWith(".*")) return `every type that starts with ${pattern.slice(0, -1)}, including future ones`;
  return "not in the event catalog";
}

/** One checkbox with its label, for an event type or a pattern. */
function typeCheck(value, checked, hint) {
  const box = el("input", { type: "checkbox", id: `type-${value}`, value, checked });
  const item = el("li", {}, box, el("label", { for: box.id }, el("code", {}, value), " ", el("span", { class: "hint" }, hint)));
  return { box, item };
}

/**
 * The event types fieldset: "all event types" (null), the patterns the
 * endpoint already has (the catalog lists exact types only, so without them
 * here a save would drop them), and the catalog's types. `value()` is what
 * the boxes say now, in the endpoint's own order first, then the catalog's.
 */
function eventTypesField(types, current) {
  const known = new Set(types.map((t) => t.type));
  const chosen = new Set(current || []);
  const patterns = (current || []).filter((entry) => !known.has(entry)).map((p) => typeCheck(p, true, patternHint(p)));
  const exact = types.map((t) => typeCheck(t.type, chosen.has(t.type), t.description));
  const all = el("input", { type: "checkbox", id: "all-types", checked: current === null });
  const boxes = [...patterns, ...exact].map((c) => c.box);
  const syncAll = () => {
    for (const box of boxes) box.disabled = all.checked;
  };
  all.addEventListener("change", syncAll);
  syncAll();
  const node = el("fieldset", { "aria-describedby": "event_types-error" }, el("legend", {}, "Event types"),
    // The field errors at /event_types land here, by the first box, which gets the focus.
    el("input", { type: "hidden", id: "event_types", name: "event_types", "data-focus": "all-types" }),
    el("p", { class: "field-error", id: "event_types-error", hidden: true }),
    el("div", { class: "check" }, all, el("label", { for: "all-types" }, "All event types, including future ones")),
    patterns.length ? el("ul", { class: "checks", "aria-label": "Patterns" }, patterns.map((c) => c.item)) : null,
    el("ul", { class: "checks" }, exact.map((c) => c.item)));
  const value = () => {
    if (all.checked) return null;
    const ticked = boxes.filter((b) => b.checked).map((b) => b.value);
    const kept = (current || []).filter((entry) => ticked.includes(entry));
    return [...kept, ...ticked.filter((entry) => !kept.includes(entry))];
  };
  return { node, value };
}

/** Whether two subscriptions are the same: both every type (null), or the same entries in any order. */
function sameTypes(a, b) {
  if (a === null || b === null) return a === b;
  return a.length === b.length && a.every((entry) => b.includes(entry));
}

/**
 * The request body: for a new endpoint, what the form holds; for an existing
 * one, only what the person changed, so that saving an untouched form changes
 * nothing (an untouched null description stays null, patterns stay).
 */
function endpointBody(existing, form) {
  if (!existing) {
    const body = { url: form.url, event_types: form.event_types };
    if (form.description !== "") body.description = form.description;
    if (form.rate_limit !== null) body.rate_limit = form.rate_limit;
    if (form.filter !== "") body.filter = form.filter;
    if (form.ordered) body.ordered = true;
    return body;
  }
  const body = {};
  if (form.url !== existing.url) body.url = form.url;
  if (form.description !== (existing.description ?? "")) body.description = form.description;
  if (!sameTypes(form.event_types, existing.event_types ?? null)) body.event_types = form.event_types;
  if (form.rate_limit !== (existing.rate_limit ?? null)) body.rate_limit = form.rate_limit;
  if ((form.filter || null) !== (existing.filter ?? null)) body.filter = form.filter || null;
  if (form.ordered !== (existing.ordered === true)) body.ordered = form.ordered;
  return body;
}

/**
 * The rate limit as typed: empty is no limit (null); a whole number is sent
 * as one; anything else is sent as typed, for the API to refuse at its field.
 */
function rateLimitValue(text) {
  const trimmed = text.trim();
  if (trimmed === "") return null;
  return /^[0-9]+$/.test(trimmed) ? Number(trimmed) : trimmed;
}

/** Whether an endpoint's deliveries keep publish order, for people. */
function orderText(ordered) {
  return ordered ? "In publish order, one at a time" : "Any order, several at once";
}

/** A checkbox with its label and hint, laid out as a form field (its errors shown under it). */
function checkField(label, input, hint) {
  const id = input.id;
  input.setAttribute("aria-describedby", `${id}-hint`);
  return el("div", { class: "field" }, el("div", { class: "check" }, input, el("label", { for: id }, label)),
    el("p", { class: "hint", id: `${id}-hint` }, hint), el("p", { class: "field-error", id: `${id}-error`, hidden: true }));
}

/** An endpoint's rate limit, for people. */
function rateLimitText(limit) {
  return limit === null || limit === undefined ? "None" : `${limit} per second`;
}

/** The refusal of a form that subscribes to nothing: such an endpoint would silently receive no event. */
function nothingSubscribed() {
  const message = "choose at least one event type, or All event types";
  return new Problem(422, { detail: message, errors: [{ pointer: "/event_types", message }] });
}

async function endpointForm(existing) {
  const types = eventTypesField(await catalog(), existing ? existing.event_types ?? null : null);
  const url = el("input", { id: "url", name: "url", type: "url", required: true, autocomplete: "url",
    value: existing ? existing.url : "", placeholder: "https://example.com/webhooks" });
  const description = el("input", { id: "description", name: "description", type: "text",
    value: existing ? existing.description ?? "" : "" });
  const filter = el("input", { id: "filter", name: "filter", type: "text", spellcheck: "false",
    value: existing ? existing.filter ?? "" : "", placeholder: 'data.project_type == "scene_project"' });
  const rateLimit = el("input", { id: "rate_limit", name: "rate_limit", type: "text", inputmode: "numeric",
    value: existing && existing.rate_limit !== null && existing.rate_limit !== undefined ? String(existing.rate_limit) : "" });
  const ordered = el("input", { id: "ordered", name: "ordered", type: "checkbox", checked: existing ? existing.ordered === true : false });
  const submit = el("button", { type: "submit" }, existing ? "Save changes" : "Add endpoint");
  const done = (id) => window.location.assign(`/portal/endpoints/${id}${existing ? "" : "?created=1"}`);
  const form = el("form", { novalidate: true },
    field("URL", url, "Where Herald POSTs events. Must use https:// in production."),
    field("Description (optional)", description),
    types.node,
    field("Filter on content (optional)", filter,
      "Only events whose data matches are sent: data.<field> with ==, !=, <, <=, >, >=, in [...] or exists, joined with and, or, not. Empty for every event of the types above."),
    field("Rate limit (optional)", rateLimit,
      "The most deliveries per second this endpoint gets (1 to 10000); a second's worth may go at once. Empty for no limit. Deliveries over it wait their turn."),
    checkField("Deliver in publish order", ordered,
      "One delivery at a time, in the order events were published. A failing one holds the later ones until it succeeds; if its retries run out, the endpoint is disabled and a re-enable sends them in order. Slower than the default."),
    el("div", { class: "actions" }, submit,
      link(existing ? `/portal/endpoints/${existing.id}` : "/portal/", "Cancel", { class: "button secondary" })));
  onSubmit(form, submit, async () => {
    const values = { url: url.value.trim(), description: description.value, event_types: types.value(),
      rate_limit: rateLimitValue(rateLimit.value), filter: filter.value.trim(), ordered: ordered.checked };
    const body = endpointBody(existing, values);
    if (values.event_types !== null && values.event_types.length === 0) throw nothingSubscribed();
    if (existing && Object.keys(body).length === 0) return done(existing.id);
    const saved = existing
      ? await api("PATCH", `/endpoints/${existing.id}`, body)
      : await api("POST", "/endpoints", body);
    done(saved.id);
  });
  return form;
}

async function newEndpointPage() {
  render(await endpointForm(null));
  document.getElementById("url").focus();
}

async function editEndpointPage(id) {
  const endpoint = await api("GET", `/endpoints/${id}`);
  setTitle(`Edit ${endpoint.url}`);
  render(await endpointForm(endpoint));
}

// ---------------------------------------------------------------- one endpoint

function chart(stats) {
  const width = 480;
  const height = 120;
  const bar = width / stats.hours.length;
  const top = Math.max(1, ...stats.hours.map((h) => h.succeeded + h.failed));
  const scale = (n) => (n / top) * (height - 20);
  const rate = stats.success_rate === null ? "no attempts" : `${(stats.success_rate * 100).toFixed(1)}% succeeded`;
  const summary = `${rate} (${stats.succeeded} of ${stats.succeeded + stats.failed} attempts) over the last 24 hours`;
  const svg = el("svg:svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": `Attempts per hour: ${summary}`,
    class: "chart" });
  stats.hours.forEach((h, i) => {
    const ok = scale(h.succeeded);
    const bad = scale(h.failed);
    const x = i * bar + 2;
    const label = `${new Date(h.start).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })}: ${h.succeeded} succeeded, ${h.failed} failed`;
    const group = el("svg:g", {}, el("svg:title", {}, label));
    if (h.failed) group.append(el("svg:rect", { x, y: height - 16 - bad - ok, width: bar - 4, height: bad, class: "bar-failed" }));
    if (h.succeeded) group.append(el("svg:rect", { x, y: height - 16 - ok, width: bar - 4, height: ok, class: "bar-succeeded" }));
    group.append(el("svg:rect", { x, y: height - 16, width: bar - 4, height: 2, class: "bar-base" }));
    svg.append(group);
  });
  svg.append(el("svg:text", { x: 0, y: height - 2, class: "axis" }, "24 h ago"),
    el("svg:text", { x: width, y: height - 2, class: "axis", "text-anchor": "end" }, "now"));
  return el("figure", {}, svg, el("figcaption", {}, el("strong", { class: "rate" }, rate), ` — ${stats.succeeded} of ${stats.succeeded + stats.failed} attempts answered 2xx in the last 24 hours. `,
    el("span", { class: "legend" }, el("span", { class: "swatch swatch-succeeded" }), " succeeded ",
      el("span", { class: "swatch swatch-failed" }), " failed")));
}

/**
 * Deliveries as a table. `endpointsById` names each delivery's endpoint by its
 * URL; null leaves the endpoint out (on an endpoint's own page every row would
 * repeat its URL, in room the other columns need).
 */
function deliveriesTable(deliveries, endpointsById, caption, empty) {
  if (deliveries.length === 0) return el("p", { class: "empty" }, empty || "No deliveries yet.");
  const endpointCell = (d) => longCell(endpointsById[d.endpoint_id] ? endpointsById[d.endpoint_id].url : d.endpoint_id);
  const headings = ["Created", "Event type", endpointsById && "Endpoint", "Status", "Attempts", "Last response", ""];
  return el("table", {},
    el("caption", { class: "visually-hidden" }, caption),
    el("thead", {}, el("tr", {}, headings.filter((h) => h !== null).map((h) => el("th", { scope: "col" }, h)))),
    el("tbody", {}, deliveries.map((d) => el("tr", { "data-delivery": d.id },
      el("td", {}, time(d.created_at)),
      el("td", {}, el("code", {}, d.event_type)),
      endpointsById && endpointCell(d),
      el("td", {}, deliveryBadge(d.status)),
      el("td", {}, String(d.attempt_count)),
      lastResponseCell(d),
      el("td", {}, link(`/portal/deliveries/${d.id}`, "Details", { "aria-label": `Details of delivery ${d.id}` })),
    ))));
}

/** Custom headers as the text area holds them: one `Name: value` a line. */
function headersText(headers) {
  return Object.entries(headers).map(([name, value]) => `${name}: ${value}`).join("\n");
}

/**
 * The text area's lines as the API takes them (null for none), or a
 * refusal at /headers naming the first line that is not `Name: value`.
 */
function headersValue(text) {
  const headers = {};
  const lines = text.split("\n").map((line) => line.trim()).filter((line) => line !== "");
  for (const [i, line] of lines.entries()) {
    const colon = line.indexOf(":");
    if (colon <= 0) {
      const message = `line ${i + 1} is not "Name: value"`;
      throw new Problem(422, { detail: message, errors: [{ pointer: "/headers", message }] });
    }
    headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  }
  return lines.length === 0 ? null : headers;
}

/**
 * The endpoint's custom headers: their names, values hidden until revealed,
 * and a form that replaces them all.
 */
function headersSection(id, names) {
  const section = el("section", { "aria-labelledby": "headers-heading" });
  const show = (headerNames) => {
    const values = el("dl", { class: "facts", id: "header-values" },
      headerNames.flatMap((name) => [el("dt", {}, name), el("dd", {}, el("code", { class: "secret" }, "••••••••"))]));
    const edit = el("button", { type: "button", class: "secondary" }, headerNames.length ? "Edit headers" : "Add headers");
    action(edit, editor);
    const row = [edit];
    if (headerNames.length) {
      let shown = false;
      const reveal = el("button", { type: "button", class: "secondary", "aria-controls": "header-values", "aria-expanded": "false" }, "Reveal headers");
      action(reveal, async () => {
        const { headers } = shown ? { headers: null } : await api("GET", `/endpoints/${id}/headers`);
        for (const [i, dd] of [...values.querySelectorAll("dd code")].entries()) {
          dd.textContent = headers ? headers[headerNames[i]] ?? "" : "••••••••";
        }
        shown = !shown;
        reveal.textContent = shown ? "Hide headers" : "Reveal headers";
        reveal.setAttribute("aria-expanded", String(shown));
      });
      row.unshift(reveal);
    }
    replace(section, el("h2", { id: "headers-heading" }, "Custom headers"),
      el("p", {}, "Sent with every request to this endpoint, for a receiver behind a gateway (",
        el("code", {}, "Authorization"), ", an API key). Values are stored encrypted."),
      headerNames.length ? values : el("p", {}, "None."),
      el("div", { class: "actions" }, ...row));
  };
  const editor = async () => {
    const { headers } = await api("GET", `/endpoints/${id}/headers`);
    const text = el("textarea", { id: "headers", name: "headers", rows: "4", spellcheck: "false",
      placeholder: "Authorization: Bearer …" });
    text.value = headersText(headers);
    const save = el("button", { type: "submit" }, "Save headers");
    const cancel = el("button", { type: "button", class: "secondary" }, "Cancel");
    cancel.addEventListener("click", () => show(Object.keys(headers)));
    const form = el("form", { novalidate: true },
      field("Headers, one Name: value a line", text,
        "Replaces every custom header. Empty removes them. Host, Content-*, X-Webhook-*, webhook-* and connection headers are Herald's."),
      el("div", { class: "actions" }, save, cancel));
    onSubmit(form, save, async () => {
      const saved = await api("PATCH", `/endpoints/${id}`, { headers: headersValue(text.value) });
      say(saved.header_names.length ? "Custom headers saved." : "Custom headers removed.");
      show(saved.header_names);
    });
    replace(section, el("h2", { id: "headers-heading" }, "Custom headers"), form);
    text.focus();
  };
  show(names);
  return section;
}

/** A `datetime-local` value for `date`, in the browser's time zone. */
function localInput(date) {
  const shifted = new Date(date.getTime() - date.getTimezoneOffset() * 60_000);
  return shifted.toISOString().slice(0, 16);
}

/**
 * Recovering a time range: every failed or skipped delivery since a time is
 * sent again, in the background; a disabled endpoint is enabled first. Says
 * how many deliveries it queued once it is done.
 */
function recoverSection(id, isEnabled) {
  const since = el("input", { id: "since", name: "since", type: "datetime-local",
    value: localInput(new Date(Date.now() - 24 * 3600 * 1000)) });
  const submit = el("button", { type: "submit" }, "Recover");
  const form = el("form", { novalidate: true },
    field("Failed or skipped since", since,
      "Every failed or skipped delivery created since then is sent again, with a fresh schedule. A disabled endpoint is enabled first."),
    el("div", { class: "actions" }, submit));
  onSubmit(form, submit, async () => {
    const at = new Date(since.value);
    const body = { since: Number.isNaN(at.getTime()) ? since.value : at.toISOString() };
    // The API takes a future start (a range that holds nothing); here it can only be a slip.
    if (at.getTime() > Date.now()) {
      const message = "is in the future: no delivery was created after it yet";
      throw new Problem(422, { detail: `since: ${message}`, errors: [{ pointer: "/since", message }] });
    }
    if (!(await isEnabled())) await api("POST", `/endpoints/${id}/enable`, {});
    let recovery = await api("POST", `/endpoints/${id}/recover`, body);
    showFieldErrors(form, null);
    say("Recovering…");
    while (recovery.status === "running") {
      await new Promise((resolve) => setTimeout(resolve, 500));
      recovery = await api("GET", `/endpoints/${id}/recoveries/${recovery.id}`);
    }
    const what = recovery.queued === 1 ? "1 failed or skipped delivery" : `${recovery.queued} failed or skipped deliveries`;
    say(recovery.status === "done" ? `Recovery queued ${what}.` : `Recovery stopped after ${what}: the endpoint was disabled.`);
  });
  return el("section", { "aria-labelledby": "recover-heading" },
    el("h2", { id: "recover-heading" }, "Recover failed deliveries"), form);
}

async function endpointPage(id) {
  const types = await catalog();
  const summary = region("Endpoint");
  const controls = region("Endpoint actions");
  const chartBox = region("Success rate");
  const recent = region("Recent deliveries");

  // The secret: hidden until asked for.
  const secretValue = el("code", { id: "secret-value", class: "secret" }, "••••••••••••••••");
  const reveal = el("button", { type: "button", class: "secondary", "aria-controls": "secret-value", "aria-expanded": "false" }, "Reveal secret");
  let shown = false;
  action(reveal, async () => {
    if (shown) {
      secretValue.textContent = "••••••••••••••••";
      reveal.textContent = "Reveal secret";
    } else {
      secretValue.textContent = (await api("GET", `/endpoints/${id}/secret`)).secret;
      reveal.textContent = "Hide secret";
    }
    shown = !shown;
    reveal.setAttribute("aria-expanded", String(shown));
  });
  const rotate = action(el("button", { type: "button", class: "secondary" }, "Rotate secret"), async () => {
    await api("POST", `/endpoints/${id}/secret/rotate`, {});
    secretValue.textContent = (await api("GET", `/endpoints/${id}/secret`)).secret;
    shown = true;
    reveal.textContent = "Hide secret";
    reveal.setAttribute("aria-expanded", "true");
    say("Secret rotated. Requests are signed with both the new and the previous secret for the next 24 hours.");
  });

  // A test event of any type.
  const testType = el("select", { id: "test-type", name: "type" }, types.map((t) => el("option", { value: t.type }, t.type)));
  const sendTest = action(el("button", { type: "button" }, "Send test event"), async () => {
    const delivery = await api("POST", `/endpoints/${id}/test`, { type: testType.value });
    say(`Test event ${delivery.event_id} queued for this endpoint.`);
    await refresh();
  });

  const secretSection = el("section", { "aria-labelledby": "secret-heading" },
    el("h2", { id: "secret-heading" }, "Signing secret"),
    el("p", {}, "Use it to verify the ", el("code", {}, "X-Webhook-Signature"), " header of each request."),
    el("p", { class: "secret-row" }, secretValue, " ", reveal, " ", rotate));
  const testSection = el("section", { "aria-labelledby": "test-heading" },
    el("h2", { id: "test-heading" }, "Send a test event"),
    el("div", { class: "inline" }, el("label", { for: "test-type" }, "Event type"), testType, sendTest));

  const first = await api("GET", `/endpoints/${id}`);
  const isEnabled = async () => (await api("GET", `/endpoints/${id}`)).enabled;
  render(summary, controls, secretSection, headersSection(id, first.header_names ?? []), testSection,
    recoverSection(id, isEnabled),
    el("section", { "aria-labelledby": "chart-heading" }, el("h2", { id: "chart-heading" }, "Success rate, last 24 hours"), chartBox),
    el("section", { "aria-labelledby": "recent-heading" }, el("h2", { id: "recent-heading" }, "Recent deliveries"), recent,
      el("p", {}, link(`/portal/deliveries?endpoint_id=${encodeURIComponent(id)}`, "All deliveries to this endpoint"))));
  if (new URLSearchParams(window.location.search).has("created")) {
    say("Endpoint added. Reveal its secret below to verify signatures.");
    window.history.replaceState(null, "", window.location.pathname); // a reload does not say it again
  }

  const renderControls = (endpoint) => {
    if (endpoint.enabled) {
      const disable = action(el("button", { type: "button", class: "danger" }, "Disable endpoint"), async () => {
        await api("POST", `/endpoints/${id}/disable`, {});
        say("Endpoint disabled. Herald stops sending to it until you re-enable it.");
        await refresh();
      });
      replace(controls, el("div", { class: "actions" },
        link(`/portal/endpoints/${id}/edit`, "Edit", { class: "button secondary" }), disable, deleteControl()));
    } else {
      const redeliver = el("input", { type: "checkbox", id: "redeliver", checked: true });
      const enable = action(el("button", { type: "button" }, "Re-enable endpoint"), async () => {
        await api("POST", `/endpoints/${id}/enable`, { redeliver_missed: redeliver.checked });
        say(redeliver.checked ? "Endpoint re-enabled. What it missed is being redelivered." : "Endpoint re-enabled.");
        await refresh();
      });
      replace(controls, el("div", { class: "disabled-box" },
        el("p", {}, el("strong", {}, "This endpoint is disabled"), endpoint.disabled_at ? [" since ", time(endpoint.disabled_at)] : "",
          ". Herald sends it nothing until it is re-enabled."),
        el("div", { class: "check" }, redeliver, el("label", { for: "redeliver" }, "Redeliver what was missed while disabled")),
        el("div", { class: "actions" }, enable, link(`/portal/endpoints/${id}/edit`, "Edit", { class: "button secondary" }), deleteControl())));
    }
  };

  const deleteControl = () => {
    const box = el("span", { class: "confirm" });
    const ask = el("button", { type: "button", class: "danger secondary" }, "Delete…");
    ask.addEventListener("click", () => {
      const confirm = action(el("button", { type: "button", class: "danger" }, "Yes, delete this endpoint"), async () => {
        await api("DELETE", `/endpoints/${id}`);
        window.location.assign("/portal/");
      });
      const cancel = el("button", { type: "button", class: "secondary" }, "Keep it");
      cancel.addEventListener("click", () => {
        replace(box, ask);
        ask.focus();
      });
      replace(box, el("span", {}, "Delete this endpoint and its delivery log? "), confirm, " ", cancel);
      confirm.focus();
    });
    box.append(ask);
    return box;
  };

  const refresh = async () => {
    const [endpoint, stats, deliveries] = await Promise.all([
      api("GET", `/endpoints/${id}`),
      api("GET", `/endpoints/${id}/stats`),
      api("GET", `/deliveries?endpoint_id=${encodeURIComponent(id)}&limit=10`),
    ]);
    const retrying = deliveries.data.some((d) => d.status === "pending" && d.attempt_count > 0);
    if (changed(summary, [endpoint, retrying])) {
      setTitle(endpoint.url);
      replace(summary, el("dl", { class: "facts" },
        el("dt", {}, "Status"), el("dd", { id: "endpoint-status" }, endpointState(endpoint, retrying)),
        el("dt", {}, "Description"), el("dd", {}, endpoint.description || "—"),
        el("dt", {}, "Event types"), el("dd", {}, typesList(endpoint.event_types)),
        el("dt", {}, "Filter"), el("dd", { id: "filter-text" }, endpoint.filter ? el("code", {}, endpoint.filter) : "None"),
        el("dt", {}, "Rate limit"), el("dd", { id: "rate-limit" }, rateLimitText(endpoint.rate_limit)),
        el("dt", {}, "Order"), el("dd", { id: "order" }, orderText(endpoint.ordered)),
        el("dt", {}, "Id"), el("dd", {}, el("code", {}, endpoint.id)),
        el("dt", {}, "Created"), el("dd", {}, time(endpoint.created_at))));
    }
    if (changed(controls, [endpoint.enabled, endpoint.disabled_reason, endpoint.disabled_at])) renderControls(endpoint);
    if (changed(chartBox, stats.hours)) replace(chartBox, chart(stats));
    if (changed(recent, deliveries.data)) replace(recent, deliveriesTable(deliveries.data, null, "Recent deliveries"));
  };
  await refresh();
  live(refresh);
}

// ---------------------------------------------------------------- delivery log

async function deliveriesPage() {
  const params = new URLSearchParams(window.location.search);
  const [types, endpoints] = await Promise.all([catalog(), api("GET", "/endpoints?limit=500")]);
  const endpointsById = Object.fromEntries(endpoints.data.map((ep) => [ep.id, ep]));
  const select = (id, label, options) => {
    const node = el("select", { id, name: id },
      el("option", { value: "" }, label),
      options.map(([value, text]) => el("option", { value, selected: params.get(id) === value }, text)));
    return node;
  };
  const filters = el("form", { method: "get", action: "/portal/deliveries", class: "filters", "aria-label": "Filter deliveries" },
    el("div", { class: "field" }, el("label", { for: "endpoint_id" }, "Endpoint"),
      select("endpoint_id", "Any endpoint", endpoints.data.map((ep) => [ep.id, ep.url]))),
    el("div", { class: "field" }, el("label", { for: "status" }, "Status"),
      select("status", "Any status", Object.entries(STATUS_TEXT))),
    el("div", { class: "field" }, el("label", { for: "event_type" }, "Event type"),
      select("event_type", "Any event type", types.map((t) => [t.type, t.type]))),
    el("div", { class: "actions" }, el("button", { type: "submit" }, "Filter"), link("/portal/deliveries", "Clear", { class: "button secondary" })));
  const table = region("Deliveries");
  const pager = el("nav", { "aria-label": "Pages", class: "pager" });
  render(filters, table, pager);

  const query = new URLSearchParams();
  for (const name of ["endpoint_id", "status", "event_type", "cursor"]) {
    if (params.get(name)) query.set(name, params.get(name));
  }
  query.set("limit", "25");
  const refresh = async () => {
    const page = await api("GET", `/deliveries?${query}`);
    if (!changed(table, page)) return;
    const filtered = ["endpoint_id", "status", "event_type"].some((name) => params.get(name));
    replace(table, deliveriesTable(page.data, endpointsById, "Deliveries, newest first",
      filtered ? "No deliveries match these filters." : "No deliveries yet."));
    const links = [];
    if (params.get("cursor")) {
      const first = new URLSearchParams(params);
      first.delete("cursor");
      links.push(link(`/portal/deliveries?${first}`, "Newest"));
    }
    if (page.next_cursor) {
      const next = new URLSearchParams(params);
      next.set("cursor", page.next_cursor);
      links.push(link(`/portal/deliveries?${next}`, "Older deliveries"));
    }
    replace(pager, links);
  };
  await refresh();
  if (!params.get("cursor")) live(refresh); // the first page shows new deliveries as they come
}

// ---------------------------------------------------------------- one delivery

async function deliveryPage(id) {
  const summary = region("Delivery");
  const attempts = region("Attempts");
  const payload = region("Payload");
  const resend = action(el("button", { type: "button" }, "Resend"), async () => {
    await api("POST", `/deliveries/${id}/retry`, {});
    say("Resend queued: a new attempt is on its way.");
    await refresh();
  });
  render(summary, el("div", { class: "actions" }, resend),
    el("section", { "aria-labelledby": "attempts-heading" }, el("h2", { id: "attempts-heading" }, "Attempts"), attempts),
    el("section", { "aria-labelledby": "payload-heading" }, el("h2", { id: "payload-heading" }, "Payload"), payload));

  const delivery = await api("GET", `/deliveries/${id}`);
  const [event, endpoint] = await Promise.all([
    api("GET", `/events/${delivery.event_id}`),
    api("GET", `/endpoints/${delivery.endpoint_id}`).catch(() => null),
  ]);
  setTitle(`${delivery.event_type} delivery`);
  replace(payload, pretty(event));

  const refresh = async () => {
    const d = await api("GET", `/deliveries/${id}`);
    const facts = { ...d, attempts: undefined };
    if (changed(summary, facts)) {
      replace(summary, el("dl", { class: "facts" },
        el("dt", {}, "Status"), el("dd", { id: "delivery-status" }, deliveryBadge(d.status)),
        el("dt", {}, "Endpoint"), el("dd", { class: "truncate", title: endpoint ? endpoint.url : null },
          link(`/portal/endpoints/${d.endpoint_id}`, endpoint ? endpoint.url : d.endpoint_id)),
        el("dt", {}, "Event"), el("dd", {}, el("code", {}, d.event_id), " ", el("code", {}, d.event_type)),
        el("dt", {}, "Attempts"), el("dd", {}, String(d.attempt_count)),
        el("dt", {}, "Next attempt"), el("dd", {}, d.status === "pending" ? time(d.next_attempt_at) : "—"),
        el("dt", {}, "Created"), el("dd", {}, time(d.created_at))));
    }
    if (changed(attempts, d.attempts)) {
      replace(attempts, d.attempts.length === 0
        ? el("p", { class: "empty" }, "No attempt yet.")
        : el("table", {},
          el("caption", { class: "visually-hidden" }, "Attempts, oldest first"),
          el("thead", {}, el("tr", {}, ["#", "Time", "Duration", "Response", "Error", "Response body"].map((h) => el("th", { scope: "col" }, h)))),
          el("tbody", {}, d.attempts.map((a) => el("tr", { "data-attempt": a.n },
            el("td", {}, String(a.n)),
            el("td", {}, time(a.started_at)),
            el("td", {}, `${a.duration_ms} ms`),
            el("td", {}, a.response_status === null ? "—" : String(a.response_status)),
            el("td", {}, attemptError(a)),
            el("td", {}, a.response_body ? el("pre", { class: "code small", tabindex: "0" }, a.response_body) : "—"))))));
    }
  };
  await refresh();
  live(refresh);
}

// ---------------------------------------------------------------- catalog

async function catalogPage() {
  const types = await catalog();
  render(el("p", {}, "Every event type Herald can send, with the schema of its ", el("code", {}, "data"), " and an example."),
    types.map((t) => el("section", { class: "event-type", "aria-labelledby": `h-${t.type}` },
      el("h2", { id: `h-${t.type}` }, el("code", {}, t.type)),
      el("p", {}, t.description),
      el("details", {}, el("summary", {}, "Schema"), t.schema ? pretty(t.schema) : el("p", {}, "No schema: any data.")),
      el("details", {}, el("summary", {}, "Example"), pretty(t.example)))));
}

// ---------------------------------------------------------------- start

const PAGES = {
  endpoints: endpointsPage,
  "new-endpoint": newEndpointPage,
  endpoint: endpointPage,
  "edit-endpoint": editEndpointPage,
  deliveries: deliveriesPage,
  delivery: deliveryPage,
  catalog: catalogPage,
};

(async () => {
  const page = PAGES[MAIN.dataset.view];
  try {
    await page(MAIN.dataset.id);
  } catch (error) {
    if (error instanceof Problem && error.status === 404) {
      setTitle("Not found");
      render(el("p", {}, "There is nothing here. It may have been deleted."), el("p", {}, link("/portal/", "Back to your endpoints")));
    } else {
      render(el("div", { class: "notice error", role: "alert" }, lineNodes(problemLines(error))));
    }
  }
  MAIN.removeAttribute("aria-busy");
})();
