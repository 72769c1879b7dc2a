/**
 * herald-client: the TypeScript client of Herald, the webhook delivery service.
 *
 * - `HeraldClient` (client.ts): every API operation, typed from the OpenAPI document.
 * - Errors (errors.ts): `ApiError` and its subclasses by status, `ConnectionError`.
 * - `Paginated`, `EventPoller` (pagination.ts), `EventStream` (stream.ts).
 * - `verify` (verify.ts): the receiver's signature check (uses `node:crypto`;
 *   import `herald-client/verify` to get it alone).
 * - Types (types.ts) over the generated `schema.ts`.
 */
export { HeraldClient, Accounts, Events, Endpoints, Deliveries, Portal, EventTypes } from "./client.js";
export type { PublishOptions } from "./client.js";
export type { ClientOptions, CallOptions } from "./http.js";
export {
  HeraldError,
  ApiError,
  BadRequestError,
  AuthenticationError,
  PermissionDeniedError,
  NotFoundError,
  ConflictError,
  PayloadTooLargeError,
  ValidationError,
  RateLimitError,
  ServiceUnavailableError,
  ConnectionError,
  TimeoutError,
  parseRetryAfter,
} from "./errors.js";
export type { ApiErrorInit, ProblemFieldError } from "./errors.js";
export { Paginated, EventPoller, BEGINNING } from "./pagination.js";
export type { Page, PollOptions } from "./pagination.js";
export { EventStream, readEvents } from "./stream.js";
export type { StreamOptions, StreamEvent, SseEvent } from "./stream.js";
export { verify, sign, parseSignatureHeader, DEFAULT_TOLERANCE_SECONDS } from "./verify.js";
export { isEventType } from "./types.js";
export type * from "./types.js";
export type { paths, components, operations } from "./schema.js";
