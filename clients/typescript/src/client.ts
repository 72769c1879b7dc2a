/**
 * `HeraldClient`: one method per operation of Herald's API, grouped by what
 * they act on (`accounts`, `events`, `endpoints`, `deliveries`, `portal`,
 * `eventTypes`). Requests and answers are typed from the OpenAPI document
 * (types.ts over the generated schema.ts); lists return `Paginated`
 * (pagination.ts), polling an `EventPoller`, the live stream an `EventStream`
 * (stream.ts). Every method takes the account id first where the path has one.
 */
import { type CallOptions, type ClientOptions, HttpClient, type QueryParams, seg } from "./http.js";
import { EventPoller, type Page, Paginated, type PollOptions } from "./pagination.js";
import { EventStream, type StreamOptions } from "./stream.js";
import type {
  Account,
  AccountKey,
  CreatedEndpoint,
  Delivery,
  DeliveryDetail,
  DeliveryFilters,
  EnableOptions,
  Endpoint,
  EndpointHeaders,
  EndpointPatch,
  EndpointStats,
  Envelope,
  EventFilters,
  EventType,
  EventTypeInfo,
  ListOptions,
  NewAccount,
  OperationalEventType,
  NewEndpoint,
  PortalLink,
  PortalLinkOptions,
  PublishEvent,
  Published,
  PublishedBatch,
  RecoverRange,
  Recovery,
  RotateOptions,
  Secret,
  UntypedEvent,
} from "./types.js";

/** Options of a publish. */
export interface PublishOptions extends CallOptions {
  /** 1 to 255 visible ASCII characters: a repeat with the same key and body returns the first answer and delivers nothing new. */
  idempotencyKey?: string;
}

interface ListBody<T> {
  data: T[];
  next_cursor?: string | null;
}

/** The Herald API client. */
export class HeraldClient {
  readonly http: HttpClient;
  readonly accounts: Accounts;
  readonly events: Events;
  readonly endpoints: Endpoints;
  readonly deliveries: Deliveries;
  readonly portal: Portal;
  readonly eventTypes: EventTypes;

  constructor(options: ClientOptions) {
    this.http = new HttpClient(options);
    this.accounts = new Accounts(this.http);
    this.events = new Events(this.http);
    this.endpoints = new Endpoints(this.http);
    this.deliveries = new Deliveries(this.http);
    this.portal = new Portal(this.http);
    this.eventTypes = new EventTypes(this.http);
  }
}

/** Base of the resource groups: a JSON call answering the body alone. */
abstract class Resource {
  constructor(protected readonly http: HttpClient) {}

  protected async call<T>(
    method: "GET" | "POST" | "PATCH" | "DELETE",
    path: string,
    options: CallOptions & { body?: unknown; query?: QueryParams } = {},
  ): Promise<T> {
    const result = await this.http.request<T>({ method, path, body: options.body, query: options.query, signal: options.signal });
    return result.body;
  }

  /** A lazily fetched, cursor-following list. */
  protected paginate<T>(path: string, query: QueryParams, options: CallOptions = {}): Paginated<T> {
    return new Paginated<T>(async (cursor, opts) => {
      const body = await this.call<ListBody<T>>("GET", path, { query: { ...query, cursor }, ...opts });
      return toPage(body);
    }, options);
  }
}

function toPage<T>(body: ListBody<T>): Page<T> {
  return { data: body.data, nextCursor: body.next_cursor ?? null };
}

const idempotency = (options: PublishOptions) =>
  options.idempotencyKey === undefined ? undefined : { "Idempotency-Key": options.idempotencyKey };

const account = (id: string) => `/v1/accounts/${seg(id)}`;
const endpoint = (acc: string, ep: string) => `${account(acc)}/endpoints/${seg(ep)}`;

/** Accounts (admin token) and their keys. */
export class Accounts extends Resource {
  /** `POST /v1/accounts` → the account (`id` optional: Herald makes `acc_…`). */
  create(body: NewAccount, options?: CallOptions): Promise<Account> {
    return this.call("POST", "/v1/accounts", { ...options, body });
  }
  /** `GET /v1/accounts`, every page. */
  list(params: ListOptions = {}, options?: CallOptions): Paginated<Account> {
    return this.paginate<Account>("/v1/accounts", { ...params }, options);
  }
  /** `GET /v1/accounts/{account}`. */
  get(accountId: string, options?: CallOptions): Promise<Account> {
    return this.call("GET", account(accountId), options);
  }
  /** `POST /v1/accounts/{account}/keys` → `{id, key}`: the key (`hk_…`) is shown this once. */
  createKey(accountId: string, options?: CallOptions): Promise<AccountKey> {
    return this.call("POST", `${account(accountId)}/keys`, options);
  }
}

/** Publishing, reading, polling and streaming an account's events. */
export class Events extends Resource {
  /**
   * `POST …/events`: publish one event of the catalog; `data` is typed by `type`.
   * With `idempotencyKey`, a repeat answers the first answer (`replayed: true`).
   */
  async publish(accountId: string, event: PublishEvent, options: PublishOptions = {}): Promise<Published> {
    return this.publishAny(accountId, event, options);
  }

  /** `POST …/events` for a type the catalog does not know (one an operator configured); `data` unchecked here. */
  async publishAny(accountId: string, event: UntypedEvent | PublishEvent, options: PublishOptions = {}): Promise<Published> {
    const result = await this.http.request<Omit<Published, "replayed">>({
      method: "POST",
      path: `${account(accountId)}/events`,
      body: event,
      headers: idempotency(options),
      signal: options.signal,
    });
    return { ...result.body, replayed: result.status === 200 };
  }

  /**
   * `POST …/events/batch`: 1 to 1000 events in one commit; one bad item refuses them all.
   * Herald honours `Idempotency-Key` here too (a repeat answers `200`, `replayed: true`),
   * though its OpenAPI document does not list the header for this operation.
   */
  async publishBatch(accountId: string, events: ReadonlyArray<PublishEvent>, options: PublishOptions = {}): Promise<PublishedBatch> {
    const result = await this.http.request<Omit<PublishedBatch, "replayed">>({
      method: "POST",
      path: `${account(accountId)}/events/batch`,
      body: events,
      headers: idempotency(options),
      signal: options.signal,
    });
    return { ...result.body, replayed: result.status === 200 };
  }

  /** `GET …/events`, newest first, every page. */
  list(accountId: string, filters: EventFilters = {}, options?: CallOptions): Paginated<Envelope> {
    return this.paginate<Envelope>(`${account(accountId)}/events`, { ...filters }, options);
  }

  /** `GET …/events/{event}` (test events too). */
  get(accountId: string, eventId: string, options?: CallOptions): Promise<Envelope> {
    return this.call("GET", `${account(accountId)}/events/${seg(eventId)}`, options);
  }

  /**
   * Polling (`GET …/events?after=`): the events committed after `after`,
   * oldest first, each once. Iterate it; `page()` gives one page. With
   * `follow: true` it keeps asking once up to date, until `signal` aborts.
   * `after` defaults to `BEGINNING` (every event the account still has).
   */
  poll(accountId: string, after: string = "evt_00000000000000000000000000", options: PollOptions = {}): EventPoller {
    return new EventPoller(
      async (position, opts) => {
        const body = await this.call<ListBody<Envelope>>("GET", `${account(accountId)}/events`, {
          query: { after: position, type: opts.type, limit: opts.limit },
          signal: opts.signal,
        });
        return toPage(body);
      },
      after,
      options,
    );
  }

  /**
   * The live stream (`GET …/events/stream`, Server-Sent Events). Iterate it;
   * it reconnects with `Last-Event-ID` when the connection drops, and ends
   * on `close()` or when `options.signal` aborts.
   */
  stream(accountId: string, options: StreamOptions = {}): EventStream {
    const types = Array.isArray(options.types) ? options.types.join(",") : options.types;
    return new EventStream(
      (lastEventId, signal) =>
        this.http.openStream({
          path: `${account(accountId)}/events/stream`,
          query: { types, project_id: options.projectId, person_id: options.personId },
          headers: lastEventId ? { "Last-Event-ID": lastEventId } : undefined,
          signal,
        }),
      options,
    );
  }
}

/** An account's endpoints. */
export class Endpoints extends Resource {
  /** `POST …/endpoints` → the endpoint with its `secret`. */
  create(accountId: string, body: NewEndpoint, options?: CallOptions): Promise<CreatedEndpoint> {
    return this.call("POST", `${account(accountId)}/endpoints`, { ...options, body });
  }
  /** `GET …/endpoints`, every page. */
  list(accountId: string, params: ListOptions = {}, options?: CallOptions): Paginated<Endpoint> {
    return this.paginate<Endpoint>(`${account(accountId)}/endpoints`, { ...params }, options);
  }
  /** `GET …/endpoints/{endpoint}` (custom headers by name only: `header_names`). */
  get(accountId: string, endpointId: string, options?: CallOptions): Promise<Endpoint> {
    return this.call("GET", endpoint(accountId, endpointId), options);
  }
  /** `PATCH …/endpoints/{endpoint}`: each field given replaces what the endpoint has (null clears). */
  update(accountId: string, endpointId: string, patch: EndpointPatch, options?: CallOptions): Promise<Endpoint> {
    return this.call("PATCH", endpoint(accountId, endpointId), { ...options, body: patch });
  }
  /** `DELETE …/endpoints/{endpoint}` (with its deliveries). */
  async delete(accountId: string, endpointId: string, options?: CallOptions): Promise<void> {
    await this.call("DELETE", endpoint(accountId, endpointId), options);
  }
  /** `GET …/endpoints/{endpoint}/secret`. */
  secret(accountId: string, endpointId: string, options?: CallOptions): Promise<Secret> {
    return this.call("GET", `${endpoint(accountId, endpointId)}/secret`, options);
  }
  /** `GET …/endpoints/{endpoint}/headers`: the custom headers' values. */
  headers(accountId: string, endpointId: string, options?: CallOptions): Promise<EndpointHeaders> {
    return this.call("GET", `${endpoint(accountId, endpointId)}/headers`, options);
  }
  /** `POST …/secret/rotate` → the new secret; the old one still signs for `grace_seconds` (default a day). */
  rotateSecret(accountId: string, endpointId: string, body: RotateOptions = {}, options?: CallOptions): Promise<Secret> {
    return this.call("POST", `${endpoint(accountId, endpointId)}/secret/rotate`, { ...options, body });
  }
  /** `POST …/enable`; `redeliver_missed` gives what it missed a fresh schedule. */
  enable(accountId: string, endpointId: string, body: EnableOptions = {}, options?: CallOptions): Promise<Endpoint> {
    return this.call("POST", `${endpoint(accountId, endpointId)}/enable`, { ...options, body });
  }
  /** `POST …/disable` (cause `manual`). */
  disable(accountId: string, endpointId: string, options?: CallOptions): Promise<Endpoint> {
    return this.call("POST", `${endpoint(accountId, endpointId)}/disable`, options);
  }
  /** `POST …/recover {since, until?}` → a recovery (`rcv_…`) queuing in the background. */
  recover(accountId: string, endpointId: string, range: RecoverRange, options?: CallOptions): Promise<Recovery> {
    return this.call("POST", `${endpoint(accountId, endpointId)}/recover`, { ...options, body: range });
  }
  /** `GET …/recoveries/{recovery}`: its `status` and how many it `queued`. */
  recovery(accountId: string, endpointId: string, recoveryId: string, options?: CallOptions): Promise<Recovery> {
    return this.call("GET", `${endpoint(accountId, endpointId)}/recoveries/${seg(recoveryId)}`, options);
  }
  /** `POST …/test {type}`: sends that type's example to this endpoint alone → the delivery. */
  sendTest(accountId: string, endpointId: string, type: EventType | OperationalEventType, options?: CallOptions): Promise<Delivery> {
    return this.call("POST", `${endpoint(accountId, endpointId)}/test`, { ...options, body: { type } });
  }
  /** `GET …/stats`: attempts over the last 24 hours, hour by hour. */
  stats(accountId: string, endpointId: string, options?: CallOptions): Promise<EndpointStats> {
    return this.call("GET", `${endpoint(accountId, endpointId)}/stats`, options);
  }
}

/** The delivery log. */
export class Deliveries extends Resource {
  /** `GET …/deliveries`, newest first, every page; filters `endpoint_id`, `event_id`, `status`, `event_type`, `limit`. */
  list(accountId: string, filters: DeliveryFilters = {}, options?: CallOptions): Paginated<Delivery> {
    return this.paginate<Delivery>(`${account(accountId)}/deliveries`, { ...filters }, options);
  }
  /** `GET …/deliveries/{delivery}` with its `attempts`. */
  get(accountId: string, deliveryId: string, options?: CallOptions): Promise<DeliveryDetail> {
    return this.call("GET", `${account(accountId)}/deliveries/${seg(deliveryId)}`, options);
  }
  /** `POST …/deliveries/{delivery}/retry`: one attempt now, outside the schedule → the delivery. */
  retry(accountId: string, deliveryId: string, options?: CallOptions): Promise<Delivery> {
    return this.call("POST", `${account(accountId)}/deliveries/${seg(deliveryId)}/retry`, options);
  }
}

/** The developer portal. */
export class Portal extends Resource {
  /** `POST …/portal-links` (admin) → a one-time `url` into the portal for this account. */
  createLink(accountId: string, body: PortalLinkOptions = {}, options?: CallOptions): Promise<PortalLink> {
    return this.call("POST", `${account(accountId)}/portal-links`, { ...options, body });
  }
}

/** The event catalog. */
export class EventTypes extends Resource {
  /** `GET /v1/event-types`: every type with its schema and example, then the operational ones. */
  async list(options?: CallOptions): Promise<EventTypeInfo[]> {
    const body = await this.call<{ data: EventTypeInfo[] }>("GET", "/v1/event-types", options);
    return body.data;
  }
}
