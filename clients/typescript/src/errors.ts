/**
 * The errors the client throws.
 *
 * Every non-2xx answer from Herald becomes an `ApiError` carrying the
 * `application/problem+json` fields (`status`, `type`, `title`, `detail`,
 * `errors`), as a subclass named after its status so callers can
 * `catch (e) { if (e instanceof NotFoundError) … }` or switch on `e.status`.
 * A request that got no answer at all (refused, reset, DNS, timeout) is a
 * `ConnectionError`. Both extend `HeraldError`.
 */

/** One field or parameter at fault: a body field by JSON `pointer`, a query parameter or header by `parameter`. */
export interface ProblemFieldError {
  pointer?: string | null;
  parameter?: string | null;
  message: string;
}

/** The root of every error this client throws. */
export class HeraldError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** What `ApiError`'s constructor takes. */
export interface ApiErrorInit {
  status: number;
  type: string;
  title: string;
  detail: string;
  errors: ProblemFieldError[];
  method: string;
  url: string;
  headers: Headers;
  /** The body as received, when it was not problem+json (a proxy's page, say). */
  rawBody?: string;
}

/** Herald answered, with a status outside 2xx. */
export class ApiError extends HeraldError {
  /** The HTTP status. */
  readonly status: number;
  /** A URI naming the kind of problem (`urn:herald:problem:validation`). */
  readonly type: string;
  /** A short summary of the kind (`Unprocessable Entity`). */
  readonly title: string;
  /** What went wrong with this request. */
  readonly detail: string;
  /** The fields or parameters at fault (often empty). */
  readonly errors: ProblemFieldError[];
  /** The request, for logs. */
  readonly method: string;
  readonly url: string;
  /** The answer's headers. */
  readonly headers: Headers;
  /** The body, when it was not a problem document. */
  readonly rawBody: string | undefined;

  constructor(init: ApiErrorInit) {
    super(`${init.method} ${init.url}: ${init.status} ${init.title}${init.detail ? `: ${init.detail}` : ""}`);
    this.status = init.status;
    this.type = init.type;
    this.title = init.title;
    this.detail = init.detail;
    this.errors = init.errors;
    this.method = init.method;
    this.url = init.url;
    this.headers = init.headers;
    this.rawBody = init.rawBody;
  }
}

/** 400: malformed JSON, a bad query parameter (`limit`, `cursor`, a filter) or header (`Idempotency-Key`). */
export class BadRequestError extends ApiError {}
/** 401: no token, or not a valid one. */
export class AuthenticationError extends ApiError {}
/** 403: an account key where only the admin token will do (or publishing to the reserved `herald` account). */
export class PermissionDeniedError extends ApiError {}
/** 404: nothing of the caller's has that id (another account's counts as absent). */
export class NotFoundError extends ApiError {}
/** 409: an id already taken, an idempotency key reused with another body, a disabled endpoint, a limit reached. */
export class ConflictError extends ApiError {}
/** 413: the request body is over 256 KiB. */
export class PayloadTooLargeError extends ApiError {}
/** 422: a value Herald refuses; `errors` names each field by JSON pointer. */
export class ValidationError extends ApiError {}

/** An error that says when to ask again (`Retry-After`). */
class RetryableApiError extends ApiError {
  /** Seconds to wait before asking again, from `Retry-After` (seconds or an HTTP date); null when absent or unreadable. */
  readonly retryAfter: number | null;
  constructor(init: ApiErrorInit) {
    super(init);
    this.retryAfter = parseRetryAfter(init.headers.get("retry-after"));
  }
}
/** 429: too many requests; wait `retryAfter` seconds. */
export class RateLimitError extends RetryableApiError {}
/** 503: Herald (or its store) is not available now; wait `retryAfter` seconds. */
export class ServiceUnavailableError extends RetryableApiError {}

/** The request got no answer: refused, reset, DNS failure, or it timed out. `cause` holds what `fetch` threw. */
export class ConnectionError extends HeraldError {
  readonly method: string;
  readonly url: string;
  constructor(method: string, url: string, cause: unknown) {
    const why = cause instanceof Error ? describeCause(cause) : String(cause);
    super(`${method} ${url}: no answer: ${why}`, { cause });
    this.method = method;
    this.url = url;
  }
}

/** A request that took longer than the client's `timeoutMs`. */
export class TimeoutError extends ConnectionError {}

const byStatus: Record<number, new (init: ApiErrorInit) => ApiError> = {
  400: BadRequestError,
  401: AuthenticationError,
  403: PermissionDeniedError,
  404: NotFoundError,
  409: ConflictError,
  413: PayloadTooLargeError,
  422: ValidationError,
  429: RateLimitError,
  503: ServiceUnavailableError,
};

/** Builds the error for a non-2xx answer from its status, headers and body text. */
export function apiErrorFrom(
  response: { status: number; statusText: string; headers: Headers },
  bodyText: string,
  method: string,
  url: string,
): ApiError {
  const problem = parseProblem(bodyText);
  const init: ApiErrorInit = {
    status: response.status,
    type: problem?.type ?? "about:blank",
    title: problem?.title ?? (response.statusText || `HTTP ${response.status}`),
    detail: problem?.detail ?? bodyText.slice(0, 1000),
    errors: problem?.errors ?? [],
    method,
    url,
    headers: response.headers,
    rawBody: problem ? undefined : bodyText,
  };
  const ErrorClass = byStatus[response.status] ?? ApiError;
  return new ErrorClass(init);
}

interface ParsedProblem {
  type?: string;
  title?: string;
  detail?: string;
  errors?: ProblemFieldError[];
}

function parseProblem(text: string): ParsedProblem | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return null;
  const v = value as Record<string, unknown>;
  const str = (x: unknown) => (typeof x === "string" ? x : undefined);
  const errors = Array.isArray(v.errors)
    ? v.errors
        .filter((e): e is Record<string, unknown> => typeof e === "object" && e !== null)
        .map((e) => ({
          ...(typeof e.pointer === "string" ? { pointer: e.pointer } : {}),
          ...(typeof e.parameter === "string" ? { parameter: e.parameter } : {}),
          message: str(e.message) ?? "",
        }))
    : undefined;
  return { type: str(v.type), title: str(v.title), detail: str(v.detail), errors };
}

/** `Retry-After` as seconds: delay-seconds (`120`) or an HTTP date; null when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | null {
  if (value === null) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return null;
  return Math.max(0, Math.ceil((date - now) / 1000));
}

function describeCause(error: Error): string {
  // undici wraps the system error (ECONNREFUSED, …) in `cause`.
  const inner = (error as { cause?: unknown }).cause;
  if (inner instanceof Error && inner.message) return `${error.message} (${inner.message})`;
  return error.message;
}
