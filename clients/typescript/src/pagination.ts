/**
 * Cursor pagination, written by hand because a generator does it badly.
 *
 * Herald's lists answer `{"data":[…],"next_cursor":…}`; a `Paginated<T>` is
 * what a `list(…)` method returns: iterate it with `for await` to get every
 * item across pages (it follows `next_cursor` until it is null), or ask for
 * one page with `page(cursor?)`, or for whole pages with `pages()`. Nothing is
 * requested until you do one of these, and each iteration starts afresh.
 *
 * `EventPoller` is the polling variant (`GET …/events?after=`): oldest first,
 * where the position is the id of the last event seen.
 */
import type { CallOptions } from "./http.js";
import type { Envelope } from "./types.js";

/** One page of a list. */
export interface Page<T> {
  data: T[];
  /** Pass to `page(cursor)` for the next page; null on the last one. */
  nextCursor: string | null;
}

/** Fetches the page at a cursor (undefined for the first). */
export type PageFetcher<T> = (cursor: string | undefined, options: CallOptions) => Promise<Page<T>>;

export class Paginated<T> implements AsyncIterable<T> {
  constructor(
    private readonly fetchPage: PageFetcher<T>,
    private readonly options: CallOptions = {},
  ) {}

  /** One page: the first, or the one at `cursor` (a `nextCursor` of this same list). */
  page(cursor?: string | null, options: CallOptions = this.options): Promise<Page<T>> {
    return this.fetchPage(cursor ?? undefined, options);
  }

  /** Every page in turn, from the first (or from `cursor`). */
  async *pages(cursor?: string | null): AsyncGenerator<Page<T>, void, undefined> {
    let next: string | undefined = cursor ?? undefined;
    do {
      const page = await this.fetchPage(next, this.options);
      yield page;
      next = page.nextCursor ?? undefined;
    } while (next !== undefined);
  }

  /** Every item of every page, following `next_cursor`. */
  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    for await (const page of this.pages()) yield* page.data;
  }

  /** Reads every item into an array (mind the size of the list). */
  async toArray(): Promise<T[]> {
    const all: T[] = [];
    for await (const item of this) all.push(item);
    return all;
  }
}

/** Options of polling. */
export interface PollOptions extends CallOptions {
  /** Only events of this type. */
  type?: string;
  /** Events per request (1 to 500; Herald's default is 50). */
  limit?: number;
  /**
   * Keep polling once up to date, waiting `intervalMs` before asking again,
   * until `signal` aborts (then the iteration simply ends). Default false:
   * the iteration ends once up to date (a page with no `next_cursor`).
   */
  follow?: boolean;
  /** Milliseconds to wait once up to date, when following; default 1000. */
  intervalMs?: number;
}

/** Fetches the events after an id, oldest first. */
export type AfterFetcher = (after: string, options: PollOptions) => Promise<Page<Envelope>>;

/** The id before every event: start here to read every event the account still has. */
export const BEGINNING = "evt_00000000000000000000000000";

/**
 * Polling: the events committed after an id, oldest first, each once. `lastId`
 * is the position reached (the id of the last event yielded): keep it to go
 * on later from there.
 */
export class EventPoller implements AsyncIterable<Envelope> {
  /** The id of the last event yielded (or the starting id). */
  lastId: string;

  constructor(
    private readonly fetchAfter: AfterFetcher,
    after: string,
    private readonly options: PollOptions = {},
  ) {
    this.lastId = after;
  }

  /** One page after `after` (default: where this poller stands); does not move `lastId`. */
  page(after: string = this.lastId): Promise<Page<Envelope>> {
    return this.fetchAfter(after, this.options);
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Envelope, void, undefined> {
    const { follow = false, intervalMs = 1000, signal } = this.options;
    for (;;) {
      if (signal?.aborted) return;
      let page: Page<Envelope>;
      try {
        page = await this.fetchAfter(this.lastId, this.options);
      } catch (error) {
        if (signal?.aborted) return;
        throw error;
      }
      for (const event of page.data) {
        this.lastId = event.id;
        yield event;
      }
      // A null next_cursor means up to date: no more events are waiting now.
      if (page.nextCursor === null || page.data.length === 0) {
        if (!follow) return;
        if (!(await pause(intervalMs, signal))) return;
      }
    }
  }
}

/** Waits `ms`; false if `signal` aborted first. */
export function pause(ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
