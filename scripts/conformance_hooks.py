"""Schemathesis hooks for scripts/conformance: the two formats the OpenAPI
document names because JSON Schema cannot spell them, given generators
that follow their descriptions.

- `herald-filter`, an endpoint's `filter`: filters of the grammar its
  description gives, over the `data` fields of the catalog's types, read
  from the document itself (the file HERALD_OPENAPI names).
- `herald-endpoint-url`, an endpoint's `url`: `https://` URLs with a host
  name (never an IP address, which the address policy may refuse), an
  optional port, path and query, and no user, password or fragment.

Anything else Schemathesis generates from the document as it is.
"""

import json
import os

import schemathesis
from hypothesis import strategies as st

# The filter's nesting and length limits, as its description gives them.
MAX_DEPTH = 32
MAX_FILTER_LEN = 1024


def catalog_fields(document):
    """Every `data` field path of every catalog type in the document."""
    fields = set()

    def walk(schema, prefix):
        for name, child in (schema.get("properties") or {}).items():
            path = prefix + [name]
            fields.add(".".join(path))
            walk(child, path)

    for variant in document["components"]["schemas"]["PublishBody"]["oneOf"]:
        walk(variant["properties"]["data"], [])
    return sorted(fields)


def filters(fields, max_len):
    """Filters of the documented grammar over `fields`, at most `max_len` characters."""
    field = st.sampled_from(fields).map(lambda f: "data." + f)
    text = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=12)
    number = st.one_of(st.integers(-(10**12), 10**12), st.floats(allow_nan=False, allow_infinity=False, width=32))
    literal = st.one_of(text, number, st.booleans(), st.none()).map(json.dumps)
    ordered = st.one_of(text, number).map(json.dumps)
    compare = st.one_of(
        st.tuples(field, st.sampled_from(["==", "!="]), literal),
        st.tuples(field, st.sampled_from(["<", "<=", ">", ">="]), ordered),
    ).map(" ".join)
    within = st.tuples(field, st.lists(literal, min_size=1, max_size=4)).map(lambda p: f"{p[0]} in [{', '.join(p[1])}]")
    exists = field.map(lambda f: f + " exists")
    atom = st.one_of(compare, within, exists)
    expression = st.recursive(
        atom,
        lambda inner: st.one_of(
            st.tuples(inner, st.sampled_from(["and", "or"]), inner).map(" ".join),
            inner.map(lambda e: "not " + e),
            inner.map(lambda e: f"({e})"),
        ),
        max_leaves=6,
    )
    return expression.filter(lambda f: len(f) <= max_len and f.count("(") + f.count("not ") < MAX_DEPTH)


def endpoint_urls():
    """`https://` URLs the description of `herald-endpoint-url` allows."""
    label = st.from_regex(r"[a-z]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True)
    top = st.from_regex(r"[a-z]{2,6}", fullmatch=True)
    host = st.tuples(st.lists(label, min_size=1, max_size=3), top).map(lambda p: ".".join(p[0] + [p[1]]))
    port = st.one_of(st.just(""), st.integers(1, 65535).map(lambda n: f":{n}"))
    segment = st.from_regex(r"[A-Za-z0-9._~-]{1,12}", fullmatch=True)
    path = st.lists(segment, max_size=4).map(lambda s: "/" + "/".join(s))
    query = st.one_of(st.just(""), st.from_regex(r"\?[a-z]{1,8}=[A-Za-z0-9]{0,8}", fullmatch=True))
    return st.tuples(host, port, path, query).map(lambda p: "https://" + "".join(p))


with open(os.environ["HERALD_OPENAPI"], encoding="utf-8") as file:
    _document = json.load(file)
_endpoint = _document["components"]["schemas"]["NewEndpointBody"]["properties"]
schemathesis.openapi.format(_endpoint["filter"]["anyOf"][0]["format"], filters(catalog_fields(_document), MAX_FILTER_LEN))
schemathesis.openapi.format(_endpoint["url"]["format"], endpoint_urls())
