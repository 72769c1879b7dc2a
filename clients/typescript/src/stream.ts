/**
 * The live stream reader (`GET …/events/stream`), written by hand: Server-Sent
 * Events over `fetch`, so it can send the bearer token that a browser's
 * `EventSource` cannot.
 *
 * An `EventStream` is an async iterable of events. It keeps the id of the
 * last SSE event it saw, including the opening `id:` line Herald sends with no
 * event (the stream's starting position), and when the connection drops it
 * connects again with `Last-Event-ID: <that id>`, so nothing is lost and
 * nothing comes twice. It ends only when closed: `close()`, the `signal`
 * passed in, or a `break` out of the `for await`. A refusal that asking again
 * cannot cure (400, 401, 403, 404) is thrown; 429, 503 and other 5xx answers
 * and network failures are retried with a growing delay.
 */
import { ApiError } from "./errors.js";
import { anySignal } from "./http.js";
import { pause } from "./pagination.js";
import type { Envelope } from "./types.js";

/** What to follow. */
export interface StreamOptions {
  /** Event types, or `prefix.*` patterns (`["project.*", "credits.low"]`). */
  types?: string | string[];
  /** Only the events whose `data.project_id` is this. */
  projectId?: number;
  /** Only the events whose `data.person_id` is this. */
  personId?: number;
  /** Start right after this event id (else with the events committed after the stream opens). */
  lastEventId?: string;
  /** Closes the stream, as `close()` does. */
  signal?: AbortSignal;
  /** Reconnect when the connection drops (default true). */
  reconnect?: boolean;
  /** Milliseconds before the first reconnection; doubled after each failed one (default 500, or what the server's `retry:` says). */
  retryDelayMs?: number;
  /** The longest wait between reconnections (default 30 000). */
  maxRetryDelayMs?: number;
}

/** One event of the stream. */
export interface StreamEvent {
  /** The event id (`evt_…`), the SSE `id:`. */
  id: string;
  /** The event type, the SSE `event:`. */
  type: string;
  /** The envelope, parsed. */
  event: Envelope;
  /** The envelope exactly as received (the stored bytes, as a receiver gets them). */
  raw: string;
}

/** Opens one connection, resuming after `lastEventId` when given; answers once the head arrived. */
export type StreamOpener = (lastEventId: string | undefined, signal: AbortSignal) => Promise<Response>;

export class EventStream implements AsyncIterable<StreamEvent> {
  /** The id of the last SSE event seen (an opening `id:` counts): where a reconnection resumes. */
  lastEventId: string | undefined;
  /** Connections opened so far (1 + reconnections). */
  connections = 0;
  private readonly closer = new AbortController();
  private retryDelayMs: number;

  constructor(
    private readonly open: StreamOpener,
    private readonly options: StreamOptions = {},
  ) {
    this.lastEventId = options.lastEventId;
    this.retryDelayMs = options.retryDelayMs ?? 500;
  }

  /** Ends the stream: the current connection is cut and the iteration ends. */
  close(): void {
    this.closer.abort();
  }

  /** Whether `close()` was called or the caller's signal aborted. */
  get closed(): boolean {
    return this.closer.signal.aborted || (this.options.signal?.aborted ?? false);
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<StreamEvent, void, undefined> {
    const own = new AbortController(); // this iteration's: a `break` cuts its connection
    const { signal, dispose } = anySignal([this.closer.signal, this.options.signal, own.signal]);
    const reconnect = this.options.reconnect ?? true;
    const maxDelay = this.options.maxRetryDelayMs ?? 30_000;
    let delay = this.retryDelayMs;
    try {
      while (!signal!.aborted) {
        let response: Response;
        try {
          response = await this.open(this.lastEventId || undefined, signal!);
        } catch (error) {
          if (signal!.aborted) return;
          if (!reconnect || !worthRetrying(error)) throw error;
          if (!(await pause(retryAfterMs(error) ?? delay, signal))) return;
          delay = Math.min(delay * 2, maxDelay);
          continue;
        }
        this.connections += 1;
        try {
          for await (const field of readEvents(response.body!)) {
            if (field.retry !== undefined) this.retryDelayMs = delay = field.retry;
            if (field.id !== undefined) {
              this.lastEventId = field.id;
              delay = this.retryDelayMs; // this connection works: the next reconnection is quick
            }
            if (field.data === undefined) continue; // an `id:` alone: a position, no event
            yield toStreamEvent(field.id ?? this.lastEventId ?? "", field.event, field.data);
          }
        } catch (error) {
          if (signal!.aborted) return;
          if (!reconnect) throw error;
        }
        // The connection ended (cut, or the server closed it): resume after the last id.
        if (!reconnect || signal!.aborted) return;
        if (!(await pause(delay, signal))) return;
        delay = Math.min(delay * 2, maxDelay);
      }
    } finally {
      own.abort();
      dispose();
    }
  }
}

function worthRetrying(error: unknown): boolean {
  if (error instanceof ApiError) return error.status === 429 || error.status >= 500;
  return true; // no answer at all: the network, or Herald restarting
}

function retryAfterMs(error: unknown): number | null {
  const seconds = (error as { retryAfter?: number | null }).retryAfter;
  return typeof seconds === "number" ? seconds * 1000 : null;
}

function toStreamEvent(id: string, type: string | undefined, raw: string): StreamEvent {
  const event = JSON.parse(raw) as Envelope;
  return { id, type: type ?? event.type, event, raw };
}

/** One dispatched SSE event: `data` undefined when it had no `data:` line. */
export interface SseEvent {
  id?: string;
  event?: string;
  data?: string;
  retry?: number;
}

/**
 * Parses a Server-Sent Events body (the WHATWG rules: lines end in CRLF, LF
 * or CR; `:` starts a comment; a blank line dispatches). A last event cut off
 * before its blank line is dropped, as the standard says: it was not
 * received whole, so it is asked for again on reconnection.
 */
export async function* readEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<SseEvent, void, undefined> {
  const decoder = new TextDecoder("utf-8");
  const reader = body.getReader();
  let buffer = "";
  let first = true;
  let current: SseEvent = {};
  let data: string[] | undefined;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      if (first && buffer.length > 0) {
        if (buffer.charCodeAt(0) === 0xfeff) buffer = buffer.slice(1);
        first = false;
      }
      let start = 0;
      for (;;) {
        const lf = buffer.indexOf("\n", start);
        const cr = buffer.indexOf("\r", start);
        let end: number;
        let next: number;
        if (cr !== -1 && (lf === -1 || cr < lf)) {
          if (cr === buffer.length - 1) break; // a CR at the end: wait to see whether LF follows
          end = cr;
          next = buffer[cr + 1] === "\n" ? cr + 2 : cr + 1;
        } else if (lf !== -1) {
          end = lf;
          next = lf + 1;
        } else {
          break;
        }
        const line = buffer.slice(start, end);
        start = next;
        if (line === "") {
          if (data !== undefined) current.data = data.join("\n");
          if (current.id !== undefined || current.data !== undefined || current.retry !== undefined) yield current;
          current = {};
          data = undefined;
          continue;
        }
        if (line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const name = colon === -1 ? line : line.slice(0, colon);
        let value = colon === -1 ? "" : line.slice(colon + 1);
        if (value.startsWith(" ")) value = value.slice(1);
        if (name === "data") (data ??= []).push(value);
        else if (name === "event") current.event = value;
        else if (name === "id" && !value.includes("\0")) current.id = value;
        else if (name === "retry" && /^\d+$/.test(value)) current.retry = Number(value);
      }
      buffer = buffer.slice(start);
    }
  } finally {
    reader.cancel().catch(() => {});
  }
}
