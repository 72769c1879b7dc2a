"""`HeraldClient`: one method per operation of Herald's API.

Each method sends one request and returns the answer's JSON as the generated
``TypedDict`` of :mod:`herald_client.models`. The ``iter_…`` methods follow
``next_cursor`` across pages (:class:`~herald_client.pagination.Paginator`);
:meth:`HeraldClient.poll_events` follows ``after=``;
:meth:`HeraldClient.stream_events` opens the live stream.
"""
import datetime
import enum
from typing import Dict, List, Mapping, Optional, Sequence, Tuple, Union, cast

from ._http import Query, Transport, quote
from .envelope import Envelope, EnvelopePage
from .models import (
    AccountView,
    BatchView,
    CreatedEndpointView,
    DeliveryDetailView,
    DeliveryStatus,
    DeliveryView,
    EndpointPatchBody,
    EndpointStatsView,
    EndpointView,
    EventType,
    EventTypeList,
    HeadersView,
    KeyView,
    List_AccountView,
    List_DeliveryView,
    List_EndpointView,
    NewAccountBody,
    NewEndpointBody,
    PortalLinkBody,
    PortalLinkView,
    PublishBody,
    PublishedView,
    RecoverBody,
    RecoveryView,
    RotateBody,
    SecretView,
)
from .pagination import Paginator
from .polling import BEGINNING, Poller
from .stream import EventStream

__all__ = ["HeraldClient", "UNSET"]


class _Unset(enum.Enum):
    UNSET = "UNSET"

    def __repr__(self) -> str:
        return "UNSET"


#: "Leave this field as it is" in :meth:`HeraldClient.update_endpoint` (None means "set it to null").
UNSET = _Unset.UNSET

Time = Union[str, datetime.datetime]


def _time(value: Time) -> str:
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            raise ValueError("give an aware datetime (with a tzinfo): Herald wants an offset")
        return value.isoformat()
    return value


class HeraldClient:
    """A client for one Herald, with one token: the admin token or an account key (`hk_…`).

    >>> herald = HeraldClient("http://127.0.0.1:8090", token)
    >>> herald.create_account("acme", "Acme Studios")

    `timeout` (seconds) bounds each request's connection and each read.
    """

    def __init__(self, base_url: str, token: str, *, timeout: float = 30.0) -> None:
        self._http = Transport(base_url, token, timeout=timeout)

    @property
    def base_url(self) -> str:
        return self._http.base_url

    @staticmethod
    def _account(account: str) -> str:
        return f"/v1/accounts/{quote(account)}"

    def _endpoint(self, account: str, endpoint: str) -> str:
        return f"{self._account(account)}/endpoints/{quote(endpoint)}"

    # -- accounts --------------------------------------------------------------

    def create_account(self, id: Optional[str] = None, name: Optional[str] = None) -> AccountView:
        """`POST /v1/accounts` (admin): a new account; `id` is yours or `acc_…`, `name` defaults to the id."""
        body: NewAccountBody = {"name": name if name is not None else (id or "account")}
        if id is not None:
            body["id"] = id
        return cast(AccountView, self._http.json("POST", "/v1/accounts", body=body))

    def list_accounts(self, *, limit: Optional[int] = None, cursor: Optional[str] = None) -> List_AccountView:
        """`GET /v1/accounts` (admin): one page."""
        return cast(List_AccountView, self._http.json("GET", "/v1/accounts",
                                                      query={"limit": limit, "cursor": cursor}))

    def iter_accounts(self, *, limit: Optional[int] = None) -> Paginator[AccountView]:
        """Every account, across pages."""
        def fetch(cursor: Optional[str]) -> Tuple[List[AccountView], Optional[str]]:
            page = self.list_accounts(limit=limit, cursor=cursor)
            return page["data"], page.get("next_cursor")
        return Paginator(fetch)

    def get_account(self, account: str) -> AccountView:
        """`GET /v1/accounts/{account}`."""
        return cast(AccountView, self._http.json("GET", self._account(account)))

    def create_account_key(self, account: str) -> KeyView:
        """`POST /v1/accounts/{account}/keys` (admin): a new account key; `key` is shown only now."""
        return cast(KeyView, self._http.json("POST", f"{self._account(account)}/keys"))

    # -- events ----------------------------------------------------------------

    def publish(self, account: str, event: PublishBody, *, idempotency_key: Optional[str] = None) -> PublishedView:
        """`POST …/events` (admin): publish ``{"type": …, "data": …}``.

        With `idempotency_key`, a repeat answers the first answer (and delivers
        nothing new); the same key with another body raises :class:`Conflict`.
        For a type an operator added outside the catalog, pass
        ``typing.cast(PublishBody, {...})``.
        """
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key is not None else None
        return cast(PublishedView, self._http.json("POST", f"{self._account(account)}/events",
                                                   body=event, headers=headers))

    def publish_batch(self, account: str, events: Sequence[PublishBody]) -> BatchView:
        """`POST …/events/batch` (admin): 1 to 1000 events in one commit; one bad item refuses them all."""
        return cast(BatchView, self._http.json("POST", f"{self._account(account)}/events/batch",
                                               body=list(events)))

    def list_events(self, account: str, *, type: Optional[str] = None, limit: Optional[int] = None,
                    cursor: Optional[str] = None) -> EnvelopePage:
        """`GET …/events`: one page, newest first (test events are not listed)."""
        query: Query = {"type": type, "limit": limit, "cursor": cursor}
        return cast(EnvelopePage, self._http.json("GET", f"{self._account(account)}/events", query=query))

    def iter_events(self, account: str, *, type: Optional[str] = None,
                    limit: Optional[int] = None) -> Paginator[Envelope]:
        """Every event the account still has, newest first, across pages."""
        def fetch(cursor: Optional[str]) -> Tuple[List[Envelope], Optional[str]]:
            page = self.list_events(account, type=type, limit=limit, cursor=cursor)
            return page["data"], page.get("next_cursor")
        return Paginator(fetch)

    def get_event(self, account: str, event: str) -> Envelope:
        """`GET …/events/{event}` (test events included)."""
        return cast(Envelope, self._http.json("GET", f"{self._account(account)}/events/{quote(event)}"))

    def events_after(self, account: str, after: str = BEGINNING, *, type: Optional[str] = None,
                     limit: Optional[int] = None) -> Tuple[List[Envelope], Optional[str]]:
        """One polling page: the events committed after event `after`, oldest first, and its `next_cursor`.

        `next_cursor` is set (the last event's id) when more are waiting; pass
        the last event's id as the next `after`.
        """
        query: Query = {"after": after, "type": type, "limit": limit}
        page = cast(EnvelopePage, self._http.json("GET", f"{self._account(account)}/events", query=query))
        return page["data"], page.get("next_cursor")

    def poll_events(self, account: str, after: str = BEGINNING, *, type: Optional[str] = None,
                    limit: Optional[int] = None, follow: bool = False, interval: float = 1.0) -> Poller:
        """Iterate the events after `after`, oldest first, each once.

        Ends when up to date, or with ``follow=True`` waits `interval` seconds
        and polls again, for ever. The poller's ``position`` is the last id
        yielded. `after` defaults to before every event the account still has.
        """
        def fetch(position: str) -> Tuple[List[Envelope], Optional[str]]:
            return self.events_after(account, position, type=type, limit=limit)
        return Poller(fetch, after, follow=follow, interval=interval)

    def stream_events(self, account: str, *, types: Union[str, Sequence[str], None] = None,
                      project_id: Optional[int] = None, person_id: Optional[int] = None,
                      last_event_id: Optional[str] = None, read_timeout: float = 60.0,
                      max_retries: Optional[int] = None, connect: bool = True) -> EventStream:
        """`GET …/events/stream`: the live stream, connected (unless ``connect=False``).

        `types` takes types and `prefix.*` patterns; `project_id` and
        `person_id` keep the events whose `data` holds that value. Without
        `last_event_id` it gives the events committed after it opened. Raises
        at once if Herald refuses (a bad filter is :class:`BadRequest`).
        """
        if types is not None and not isinstance(types, str):
            types = ",".join(types)
        query: Query = {"types": types, "project_id": project_id, "person_id": person_id}
        stream = EventStream(self._http, f"{self._account(account)}/events/stream", query,
                             last_event_id=last_event_id, read_timeout=read_timeout, max_retries=max_retries)
        return stream.open() if connect else stream

    # -- endpoints -------------------------------------------------------------

    def create_endpoint(self, account: str, url: str, *, description: Optional[str] = None,
                        event_types: Optional[Sequence[str]] = None, filter: Optional[str] = None,
                        secret: Optional[str] = None, rate_limit: Optional[int] = None,
                        headers: Optional[Mapping[str, str]] = None,
                        ordered: Optional[bool] = None) -> CreatedEndpointView:
        """`POST …/endpoints`: a new endpoint, with its `secret` (yours if given, `whsec_…`).

        `event_types` None subscribes to every type; `filter` is a condition on
        `data` (`data.project_type == "scene_project"`); `rate_limit` caps
        deliveries per second; `headers` are sent with each attempt; `ordered`
        delivers one at a time in publish order.
        """
        body: NewEndpointBody = {"url": url}
        if description is not None:
            body["description"] = description
        if event_types is not None:
            body["event_types"] = list(event_types)
        if filter is not None:
            body["filter"] = filter
        if secret is not None:
            body["secret"] = secret
        if rate_limit is not None:
            body["rate_limit"] = rate_limit
        if headers is not None:
            body["headers"] = dict(headers)
        if ordered is not None:
            body["ordered"] = ordered
        return cast(CreatedEndpointView, self._http.json("POST", f"{self._account(account)}/endpoints", body=body))

    def list_endpoints(self, account: str, *, limit: Optional[int] = None,
                       cursor: Optional[str] = None) -> List_EndpointView:
        """`GET …/endpoints`: one page."""
        return cast(List_EndpointView, self._http.json("GET", f"{self._account(account)}/endpoints",
                                                       query={"limit": limit, "cursor": cursor}))

    def iter_endpoints(self, account: str, *, limit: Optional[int] = None) -> Paginator[EndpointView]:
        """Every endpoint of the account, across pages."""
        def fetch(cursor: Optional[str]) -> Tuple[List[EndpointView], Optional[str]]:
            page = self.list_endpoints(account, limit=limit, cursor=cursor)
            return page["data"], page.get("next_cursor")
        return Paginator(fetch)

    def get_endpoint(self, account: str, endpoint: str) -> EndpointView:
        """`GET …/endpoints/{endpoint}`."""
        return cast(EndpointView, self._http.json("GET", self._endpoint(account, endpoint)))

    def update_endpoint(
        self,
        account: str,
        endpoint: str,
        *,
        url: Union[str, _Unset] = UNSET,
        description: Union[str, _Unset] = UNSET,
        event_types: Union[Sequence[str], None, _Unset] = UNSET,
        filter: Union[str, None, _Unset] = UNSET,
        rate_limit: Union[int, None, _Unset] = UNSET,
        headers: Union[Mapping[str, str], None, _Unset] = UNSET,
        ordered: Union[bool, _Unset] = UNSET,
    ) -> EndpointView:
        """`PATCH …/endpoints/{endpoint}`: change the fields given, leave the others.

        None sets a field to null: `event_types=None` subscribes to every type;
        `filter=None`, `rate_limit=None`, `headers=None` remove them. `headers`
        replaces the whole set. (`url`, `description` and `ordered` cannot be
        null: Herald reads a null there as "unchanged"; `description=""` clears it.)
        """
        body: EndpointPatchBody = {}
        if not isinstance(url, _Unset):
            body["url"] = url
        if not isinstance(description, _Unset):
            body["description"] = description
        if not isinstance(event_types, _Unset):
            body["event_types"] = None if event_types is None else list(event_types)
        if not isinstance(filter, _Unset):
            body["filter"] = filter
        if not isinstance(rate_limit, _Unset):
            body["rate_limit"] = rate_limit
        if not isinstance(headers, _Unset):
            body["headers"] = None if headers is None else dict(headers)
        if not isinstance(ordered, _Unset):
            body["ordered"] = ordered
        return cast(EndpointView, self._http.json("PATCH", self._endpoint(account, endpoint), body=body))

    def delete_endpoint(self, account: str, endpoint: str) -> None:
        """`DELETE …/endpoints/{endpoint}` (with its deliveries)."""
        self._http.request("DELETE", self._endpoint(account, endpoint))

    def get_endpoint_secret(self, account: str, endpoint: str) -> str:
        """`GET …/endpoints/{endpoint}/secret`: its current signing secret."""
        view = cast(SecretView, self._http.json("GET", f"{self._endpoint(account, endpoint)}/secret"))
        return view["secret"]

    def get_endpoint_headers(self, account: str, endpoint: str) -> Dict[str, str]:
        """`GET …/endpoints/{endpoint}/headers`: its custom headers with their values."""
        view = cast(HeadersView, self._http.json("GET", f"{self._endpoint(account, endpoint)}/headers"))
        return {str(k): str(v) for k, v in view["headers"].items()}

    def rotate_endpoint_secret(self, account: str, endpoint: str, *, grace_seconds: Optional[int] = None,
                               secret: Optional[str] = None) -> str:
        """`POST …/secret/rotate`: the new secret; the old one keeps signing for `grace_seconds` (a day)."""
        body: RotateBody = {}
        if grace_seconds is not None:
            body["grace_seconds"] = grace_seconds
        if secret is not None:
            body["secret"] = secret
        view = cast(SecretView, self._http.json("POST", f"{self._endpoint(account, endpoint)}/secret/rotate",
                                                body=body))
        return view["secret"]

    def enable_endpoint(self, account: str, endpoint: str, *, redeliver_missed: bool = False) -> EndpointView:
        """`POST …/enable`; `redeliver_missed` gives what it missed a fresh schedule now."""
        return cast(EndpointView, self._http.json("POST", f"{self._endpoint(account, endpoint)}/enable",
                                                  body={"redeliver_missed": redeliver_missed}))

    def disable_endpoint(self, account: str, endpoint: str) -> EndpointView:
        """`POST …/disable`: no attempts until enabled; new events are recorded `skipped`."""
        return cast(EndpointView, self._http.json("POST", f"{self._endpoint(account, endpoint)}/disable"))

    def recover_endpoint(self, account: str, endpoint: str, since: Time,
                         until: Optional[Time] = None) -> RecoveryView:
        """`POST …/recover`: resend every failed or skipped delivery created in [since, until), in the background.

        Times are RFC 3339 strings with an offset, or aware datetimes.
        Raises :class:`Conflict` if the endpoint is disabled.
        """
        body: RecoverBody = {"since": _time(since)}
        if until is not None:
            body["until"] = _time(until)
        return cast(RecoveryView, self._http.json("POST", f"{self._endpoint(account, endpoint)}/recover",
                                                  body=body))

    def get_recovery(self, account: str, endpoint: str, recovery: str) -> RecoveryView:
        """`GET …/recoveries/{recovery}`: `status` (running, done, stopped) and how many it `queued`."""
        return cast(RecoveryView, self._http.json(
            "GET", f"{self._endpoint(account, endpoint)}/recoveries/{quote(recovery)}"))

    def send_test_event(self, account: str, endpoint: str, type: EventType) -> DeliveryView:
        """`POST …/test`: send the type's catalog example to this endpoint alone; its delivery."""
        return cast(DeliveryView, self._http.json("POST", f"{self._endpoint(account, endpoint)}/test",
                                                  body={"type": type}))

    def get_endpoint_stats(self, account: str, endpoint: str) -> EndpointStatsView:
        """`GET …/stats`: its attempts over the last 24 hours, hour by hour."""
        return cast(EndpointStatsView, self._http.json("GET", f"{self._endpoint(account, endpoint)}/stats"))

    # -- deliveries ------------------------------------------------------------

    def list_deliveries(self, account: str, *, endpoint_id: Optional[str] = None, event_id: Optional[str] = None,
                        status: Optional[DeliveryStatus] = None, event_type: Optional[str] = None,
                        limit: Optional[int] = None, cursor: Optional[str] = None) -> List_DeliveryView:
        """`GET …/deliveries`: one page, newest first, filtered by what is given."""
        query: Query = {"endpoint_id": endpoint_id, "event_id": event_id, "status": status,
                        "event_type": event_type, "limit": limit, "cursor": cursor}
        return cast(List_DeliveryView, self._http.json("GET", f"{self._account(account)}/deliveries", query=query))

    def iter_deliveries(self, account: str, *, endpoint_id: Optional[str] = None, event_id: Optional[str] = None,
                        status: Optional[DeliveryStatus] = None, event_type: Optional[str] = None,
                        limit: Optional[int] = None) -> Paginator[DeliveryView]:
        """Every delivery matching the filters, across pages (`limit` per page)."""
        def fetch(cursor: Optional[str]) -> Tuple[List[DeliveryView], Optional[str]]:
            page = self.list_deliveries(account, endpoint_id=endpoint_id, event_id=event_id, status=status,
                                        event_type=event_type, limit=limit, cursor=cursor)
            return page["data"], page.get("next_cursor")
        return Paginator(fetch)

    def get_delivery(self, account: str, delivery: str) -> DeliveryDetailView:
        """`GET …/deliveries/{delivery}`: the delivery with its `attempts`, oldest first."""
        return cast(DeliveryDetailView, self._http.json(
            "GET", f"{self._account(account)}/deliveries/{quote(delivery)}"))

    def retry_delivery(self, account: str, delivery: str) -> DeliveryView:
        """`POST …/deliveries/{delivery}/retry`: one attempt now; :class:`Conflict` if the endpoint is disabled."""
        return cast(DeliveryView, self._http.json(
            "POST", f"{self._account(account)}/deliveries/{quote(delivery)}/retry"))

    # -- the rest --------------------------------------------------------------

    def create_portal_link(self, account: str, *, expires_in_seconds: Optional[int] = None) -> PortalLinkView:
        """`POST …/portal-links` (admin): a one-time link into the developer portal."""
        body: PortalLinkBody = {}
        if expires_in_seconds is not None:
            body["expires_in_seconds"] = expires_in_seconds
        return cast(PortalLinkView, self._http.json("POST", f"{self._account(account)}/portal-links", body=body))

    def list_event_types(self) -> EventTypeList:
        """`GET /v1/event-types`: the catalog with schemas and examples, then the operational types."""
        return cast(EventTypeList, self._http.json("GET", "/v1/event-types"))
