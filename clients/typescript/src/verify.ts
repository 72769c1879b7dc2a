/**
 * The receiver's side: checks an `X-Webhook-Signature` header
 * (`t=<unix seconds>,v1=<hex>[,v1=<hex>…]`) against the raw body.
 *
 * `v1` is `hex(HMAC-SHA256(key = the whole secret, "whsec_" included,
 * message = "<t>.<raw body>"))`. During a secret rotation Herald sends one
 * `v1` per secret (`v1=<previous>,v1=<current>`): a request is accepted when
 * ANY `v1` matches ANY of the secrets given, so a receiver can hold the old
 * secret, the new one, or both. Comparisons are constant-time.
 *
 * This is the only module that imports `node:crypto`; it is also published
 * alone as `herald-client/verify`.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

/** The default tolerance between `t` and the receiver's clock, in seconds. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/**
 * True when `header` signs `payload` with one of the secrets and its `t` is
 * within `toleranceSeconds` of `nowSeconds` (the clock, by default).
 *
 * `payload` must be the body exactly as received (a Buffer from the request),
 * not JSON parsed and serialised again; a string is taken as its UTF-8 bytes.
 */
export function verify(
  payload: Uint8Array | string,
  header: string,
  secret: string | readonly string[],
  toleranceSeconds: number = DEFAULT_TOLERANCE_SECONDS,
  nowSeconds: number = Date.now() / 1000,
): boolean {
  const parsed = parseSignatureHeader(header);
  if (parsed === null) return false;
  if (Math.abs(nowSeconds - parsed.timestamp) > toleranceSeconds) return false;
  const secrets = typeof secret === "string" ? [secret] : secret;
  let matched = false;
  for (const s of secrets) {
    if (typeof s !== "string" || s === "") continue;
    const expected = digest(s, parsed.timestamp, payload);
    for (const candidate of parsed.signatures) {
      // No early exit: every pair is compared, so timing says nothing about which matched.
      if (timingSafeEqual(candidate, expected)) matched = true;
    }
  }
  return matched;
}

/** The `X-Webhook-Signature` value Herald would send for this body at time `t` (for tests and tools). */
export function sign(payload: Uint8Array | string, secret: string | readonly string[], timestamp: number): string {
  const secrets = typeof secret === "string" ? [secret] : secret;
  return [`t=${timestamp}`, ...secrets.map((s) => `v1=${digest(s, timestamp, payload).toString("hex")}`)].join(",");
}

/** The header's parts: its timestamp and each well-formed `v1` as 32 bytes; null when it has no usable `t` or `v1`. */
export function parseSignatureHeader(header: string): { timestamp: number; signatures: Buffer[] } | null {
  if (typeof header !== "string") return null;
  let timestamp: number | null = null;
  const signatures: Buffer[] = [];
  for (const element of header.split(",")) {
    const eq = element.indexOf("=");
    if (eq === -1) continue;
    const key = element.slice(0, eq).trim();
    const value = element.slice(eq + 1).trim();
    if (key === "t") {
      if (!/^\d{1,15}$/.test(value)) return null;
      timestamp = Number(value);
    } else if (key === "v1" && /^[0-9a-f]{64}$/.test(value)) {
      signatures.push(Buffer.from(value, "hex"));
    }
  }
  if (timestamp === null || signatures.length === 0) return null;
  return { timestamp, signatures };
}

function digest(secret: string, timestamp: number, payload: Uint8Array | string): Buffer {
  return createHmac("sha256", secret).update(`${timestamp}.`).update(payload).digest();
}
