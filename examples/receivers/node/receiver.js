// A Herald webhook receiver in Node, with nothing but the standard library.
//
// It verifies every request's X-Webhook-Signature (HMAC-SHA256 of
// "<t>.<raw body>" keyed by the whole secret; any v1 may match, compared in
// constant time; t within 5 minutes), processes each event id once (a
// redelivery is answered 200 and not processed again), and prints one line per
// processed event:
//
//     HERALD_SECRET=whsec_... PORT=9000 node receiver.js
//
// POST webhooks to http://127.0.0.1:$PORT/webhook. HOST sets the address to
// listen on (127.0.0.1 by default). Needs Node 18 or later.
"use strict";

const crypto = require("node:crypto");
const http = require("node:http");

const TOLERANCE_SECONDS = 300;
const MAX_BODY_BYTES = 1024 * 1024; // Herald refuses bodies over 256 KiB at publish

const secret = process.env.HERALD_SECRET || "";
const port = Number(process.env.PORT || 9000);
const host = process.env.HOST || "127.0.0.1";

// Event ids already processed. In production, keep them where they survive a
// restart and are shared by every instance: a table with a unique key on the
// event id, written in the same transaction as the event's effects.
const processedIds = new Set();

function verifySignature(rawBody, header, secret) {
  let timestamp = null;
  const signatures = [];
  for (const element of header.split(",")) {
    const eq = element.indexOf("=");
    if (eq < 0) continue;
    const key = element.slice(0, eq).trim();
    const value = element.slice(eq + 1).trim();
    if (key === "t") timestamp = value;
    else if (key === "v1") signatures.push(value);
  }
  if (timestamp === null || !/^[0-9]+$/.test(timestamp) || signatures.length === 0) return false;
  if (Math.abs(Date.now() / 1000 - Number(timestamp)) > TOLERANCE_SECONDS) return false;
  const expected = crypto.createHmac("sha256", secret).update(`${timestamp}.`).update(rawBody).digest();
  // Compare with every v1 (during a secret rotation there are two), each in
  // constant time, without stopping at the first match.
  let matched = false;
  for (const signature of signatures) {
    if (/^[0-9a-fA-F]{64}$/.test(signature)) {
      matched = crypto.timingSafeEqual(Buffer.from(signature, "hex"), expected) || matched;
    }
  }
  return matched;
}

// The receiver's own work; here, one line on standard output.
function processEvent(event) {
  console.log(`processed ${event.id} ${event.type}`);
  if (event.type === "project.completed") console.log(`  video ready: ${event.data?.video_url}`);
}

function answer(res, status, body) {
  res.writeHead(status, { "Content-Type": "application/json" });
  res.end(JSON.stringify(body));
}

function handle(req, res, rawBody) {
  if (!verifySignature(rawBody, req.headers["x-webhook-signature"] || "", secret)) {
    return answer(res, 401, { error: "invalid signature" });
  }
  let event;
  try {
    event = JSON.parse(rawBody.toString("utf8"));
  } catch {
    return answer(res, 400, { error: "not an event" });
  }
  if (typeof event?.id !== "string") return answer(res, 400, { error: "not an event" });
  if (processedIds.has(event.id)) {
    console.log(`duplicate ${event.id} ignored`);
    return answer(res, 200, { received: true, duplicate: true });
  }
  processedIds.add(event.id);
  try {
    processEvent(event);
  } catch (error) {
    processedIds.delete(event.id); // not processed after all: Herald's retry will be
    console.error(error);
    return answer(res, 500, { error: "processing failed" });
  }
  return answer(res, 200, { received: true });
}

const server = http.createServer((req, res) => {
  if (req.method !== "POST" || req.url !== "/webhook") return answer(res, 404, { error: "not found" });
  const chunks = [];
  let size = 0;
  req.on("data", (chunk) => {
    size += chunk.length;
    if (size <= MAX_BODY_BYTES) chunks.push(chunk);
  });
  // The raw bytes as received: the signature covers them, not re-serialised JSON.
  req.on("end", () => {
    if (size > MAX_BODY_BYTES) return answer(res, 413, { error: "body too large" });
    handle(req, res, Buffer.concat(chunks));
  });
});

if (!secret) {
  console.error("receiver.js: set HERALD_SECRET to the endpoint's signing secret (whsec_...)");
  process.exit(1);
}
server.listen(port, host, () => console.error(`receiver.js: listening on http://${host}:${port}/webhook`));
