/**
 * The one place that talks HTTP: builds URLs, adds the bearer token, sends
 * with the global `fetch`, turns non-2xx answers into typed errors
 * (errors.ts) and failures to get an answer into `ConnectionError`.
 */
import { apiErrorFrom, ConnectionError, TimeoutError } from "./errors.js";

/** What the client is built with. */
export interface ClientOptions {
  /** Herald's base URL, such as `http://127.0.0.1:8090` (a trailing slash is fine). */
  baseUrl: string;
  /** The admin token, or an account key (`hk_…`) for one account's routes. */
  token: string;
  /** Milliseconds before a request (not a stream) is given up as a `TimeoutError`; default 30 000, 0 for none. */
  timeoutMs?: number;
  /** A `fetch` to use instead of the global one. */
  fetch?: typeof fetch;
  /** Headers sent with every request. */
  headers?: Record<string, string>;
}

/** Query parameters: undefined and null ones are left out. */
export type QueryParams = Record<string, string | number | boolean | null | undefined>;

/** One request. */
export interface RequestOptions {
  method: "GET" | "POST" | "PATCH" | "DELETE";
  path: string;
  query?: QueryParams | undefined;
  body?: unknown;
  headers?: Record<string, string> | undefined;
  signal?: AbortSignal | undefined;
}

/** A successful answer: its status (200 and 202 can mean different things) and parsed JSON body. */
export interface HttpResult<T> {
  status: number;
  headers: Headers;
  body: T;
}

/** Per-call options every method takes. */
export interface CallOptions {
  /** Cancels the request. */
  signal?: AbortSignal;
}

export class HttpClient {
  readonly baseUrl: string;
  private readonly token: string;
  private readonly timeoutMs: number;
  private readonly fetchImpl: typeof fetch;
  private readonly extraHeaders: Record<string, string>;

  constructor(options: ClientOptions) {
    if (!options.baseUrl) throw new TypeError("herald-client: baseUrl is required");
    if (!options.token) throw new TypeError("herald-client: token is required");
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.token = options.token;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.fetchImpl = options.fetch ?? globalThis.fetch;
    this.extraHeaders = options.headers ?? {};
    if (typeof this.fetchImpl !== "function") {
      throw new TypeError("herald-client: no global fetch (Node 18 or later is needed), pass options.fetch");
    }
  }

  /** Sends a JSON request and parses the JSON answer (undefined for `204`). */
  async request<T>(options: RequestOptions): Promise<HttpResult<T>> {
    const timeout = this.timeoutMs > 0 ? AbortSignal.timeout(this.timeoutMs) : undefined;
    const { signal, dispose } = anySignal([options.signal, timeout]);
    let text: string;
    let response: Response;
    try {
      response = await this.send(options, signal, timeout);
      try {
        text = await response.text();
      } catch (error) {
        throw this.failure(options, error, timeout);
      }
    } finally {
      dispose();
    }
    const body = (text === "" ? undefined : JSON.parse(text)) as T;
    return { status: response.status, headers: response.headers, body };
  }

  /**
   * Opens a streaming GET (Server-Sent Events) and answers the response once
   * its head arrived; the body is left for the caller to read. No timeout.
   */
  async openStream(options: Omit<RequestOptions, "method" | "body">): Promise<Response> {
    return this.send({ ...options, method: "GET", headers: { Accept: "text/event-stream", ...options.headers } }, options.signal, undefined);
  }

  /** The absolute URL of a path with its query. */
  url(path: string, query?: QueryParams): string {
    const url = new URL(this.baseUrl + path);
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value !== undefined && value !== null) url.searchParams.set(key, String(value));
    }
    return url.toString();
  }

  private async send(options: RequestOptions, signal: AbortSignal | undefined, timeout: AbortSignal | undefined): Promise<Response> {
    const url = this.url(options.path, options.query);
    const headers: Record<string, string> = {
      Accept: "application/json",
      ...this.extraHeaders,
      ...options.headers,
      Authorization: `Bearer ${this.token}`,
    };
    const init: RequestInit = { method: options.method, headers };
    if (signal) init.signal = signal;
    if (options.body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(options.body);
    }
    let response: Response;
    try {
      response = await this.fetchImpl(url, init);
    } catch (error) {
      throw this.failure(options, error, timeout);
    }
    if (!response.ok) {
      let text = "";
      try {
        text = await response.text();
      } catch {
        // The problem body is a courtesy; the status says enough.
      }
      throw apiErrorFrom(response, text, options.method, url);
    }
    return response;
  }

  /** What to throw when no answer came: the caller's own abort as is, else a (Timeout|Connection)Error. */
  private failure(options: RequestOptions, error: unknown, timeout: AbortSignal | undefined): unknown {
    if (options.signal?.aborted) return options.signal.reason ?? error;
    const url = this.url(options.path, options.query);
    if (timeout?.aborted) return new TimeoutError(options.method, url, new Error(`no answer within ${this.timeoutMs} ms`));
    return new ConnectionError(options.method, url, error);
  }
}

/**
 * An AbortSignal that aborts when any of the given ones does (AbortSignal.any
 * is Node 20.3+ only), and `dispose` to unhook it from them once done.
 */
export function anySignal(signals: Array<AbortSignal | undefined>): { signal: AbortSignal | undefined; dispose: () => void } {
  const present = signals.filter((s): s is AbortSignal => s !== undefined);
  if (present.length <= 1) return { signal: present[0], dispose: () => {} };
  const controller = new AbortController();
  const hooked: Array<[AbortSignal, () => void]> = [];
  const dispose = () => {
    for (const [s, listener] of hooked) s.removeEventListener("abort", listener);
  };
  for (const s of present) {
    if (s.aborted) {
      dispose();
      controller.abort(s.reason);
      break;
    }
    const listener = () => {
      dispose();
      controller.abort(s.reason);
    };
    hooked.push([s, listener]);
    s.addEventListener("abort", listener, { once: true });
  }
  return { signal: controller.signal, dispose };
}

/** A path segment, percent-encoded (ids come from callers and may hold anything). */
export function seg(value: string): string {
  return encodeURIComponent(value);
}
