// verify() against the contract's fixed vectors (conformance/signature-vectors.json,
// kept in the repository at crates/herald/tests/conformance/), with a fixed
// clock: no Herald needed.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { parseSignatureHeader, sign, verify } from "herald-client";
import { verify as verifyAlone } from "herald-client/verify";

const vectors = JSON.parse(readFileSync(new URL("../../../crates/herald/tests/conformance/signature-vectors.json", import.meta.url), "utf8"));
const cases = vectors.x_webhook_signature;
const seed = cases[0];

test("each X-Webhook-Signature vector verifies as it says, at its own time", () => {
  for (const v of cases) {
    assert.equal(verify(v.body, v.header, v.secret, 300, v.t), v.valid, v.name);
    assert.equal(verify(Buffer.from(v.body, "utf8"), v.header, v.secret, 300, v.t), v.valid, `${v.name} (Buffer)`);
    assert.equal(verify(new TextEncoder().encode(v.body), v.header, v.secret, 300, v.t), v.valid, `${v.name} (Uint8Array)`);
  }
});

test("rotation: the old secret, the new one, or both are accepted", () => {
  const v = cases.find((c) => c.previous_secret);
  assert.ok(v, "a rotation vector");
  assert.equal(verify(v.body, v.header, v.previous_secret, 300, v.t), true, "previous secret");
  assert.equal(verify(v.body, v.header, v.secret, 300, v.t), true, "current secret");
  assert.equal(verify(v.body, v.header, [v.previous_secret, v.secret], 300, v.t), true, "both");
  assert.equal(verify(v.body, v.header, ["whsec_bm90IHRoZSBzZWNyZXQgYXQgYWxsLCBubyBubyBubw==", v.secret], 300, v.t), true, "one of two");
  assert.equal(verify(v.body, v.header, "whsec_bm90IHRoZSBzZWNyZXQgYXQgYWxsLCBubyBubyBubw==", 300, v.t), false, "another");
  assert.equal(verify(v.body, v.header, [], 300, v.t), false, "no secret");
});

test("timestamp tolerance, both ways, inclusive at the bound", () => {
  const { body, header, secret, t } = seed;
  assert.equal(verify(body, header, secret, 300, t + 300), true);
  assert.equal(verify(body, header, secret, 300, t - 300), true);
  assert.equal(verify(body, header, secret, 300, t + 301), false);
  assert.equal(verify(body, header, secret, 300, t - 301), false);
  assert.equal(verify(body, header, secret, 10, t + 11), false);
  assert.equal(verify(body, header, secret, undefined, t + 299), true, "default tolerance is 300 s");
  // The real clock: the vector is from 2024, long out of tolerance.
  assert.equal(verify(body, header, secret), false);
});

test("a header signed now verifies with the real clock", () => {
  const now = Math.floor(Date.now() / 1000);
  const header = sign(seed.body, seed.secret, now);
  assert.equal(verify(seed.body, header, seed.secret), true);
  assert.equal(verifyAlone(seed.body, header, seed.secret), true, "herald-client/verify");
  assert.equal(sign(seed.body, seed.secret, seed.t), seed.header, "sign() reproduces the vector");
});

test("malformed headers are refused, never thrown on", () => {
  const { body, secret, t } = seed;
  const sig = seed.header.split(",v1=")[1];
  const bad = [
    "",
    "garbage",
    `v1=${sig}`, // no t
    `t=${t}`, // no v1
    `t=abc,v1=${sig}`,
    `t=-${t},v1=${sig}`,
    `t=${t}.5,v1=${sig}`,
    `t=${t},v1=${sig.toUpperCase()}`, // Herald sends lower-case hex
    `t=${t},v1=${sig.slice(0, 63)}`,
    `t=${t},v1=${sig}00`,
    `t=${t},v0=${sig}`,
    `t=${t},v1=zz${sig.slice(2)}`,
  ];
  for (const header of bad) assert.equal(verify(body, header, secret, 300, t), false, header);
  assert.equal(verify(body, undefined, secret, 300, t), false, "undefined header");
  assert.equal(parseSignatureHeader("t=1"), null);
  // Spaces around elements are tolerated; unknown elements ignored.
  assert.equal(verify(body, ` t=${t} , v2=abc, v1=${sig} `, secret, 300, t), true);
  // A bad v1 does not spoil a good one.
  assert.equal(verify(body, `t=${t},v1=${"0".repeat(64)},v1=nothex,v1=${sig}`, secret, 300, t), true);
});

test("the payload is the raw bytes: re-serialised JSON does not verify", () => {
  const { body, header, secret, t } = seed;
  const reserialised = JSON.stringify(JSON.parse(body), null, 1);
  assert.equal(verify(reserialised, header, secret, 300, t), false);
  const other = cases.find((c) => c.name.startsWith("non-ASCII"));
  assert.equal(verify(Buffer.from(other.body, "latin1"), other.header, other.secret, 300, other.t), false, "not UTF-8");
});
