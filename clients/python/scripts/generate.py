#!/usr/bin/env python3
"""Generate ``src/herald_client/models.py`` from Herald's OpenAPI document.

Standard library only, so that CI can run it (and check its output) without
installing anything:

    python3 clients/python/scripts/generate.py            # rewrite models.py
    python3 clients/python/scripts/generate.py --check    # exit 1 if models.py is stale

What it makes, from ``clients/openapi.json``:

- one ``TypedDict`` per object schema of ``components.schemas`` (the request
  bodies and the answers), with the document's descriptions as docstrings and
  comments; optional properties are keys that may be absent (the
  ``total=False`` half of a two-class pair, which Python 3.9 understands);
- a ``Literal`` alias per string enum (``DeliveryStatus``, ``AttemptError``…);
- from the event catalog (the ``oneOf`` of ``PublishBody``), a ``TypedDict``
  per event type's ``data`` (``ProjectCompletedData``…), one per publish body
  (``ProjectCompletedEvent``: ``type`` as a ``Literal`` and its ``data``),
  ``PublishBody`` as their union and ``EventType`` as the ``Literal`` of every
  catalog type.

An object schema with no properties (``EnvelopeView``) becomes
``Dict[str, Any]``; an inline object schema that is equal to a named one (the
``data`` items of the ``List_*`` pages) refers to that name.
"""
from __future__ import annotations

import argparse
import difflib
import json
import keyword
import re
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional, Set, Tuple

HERE = Path(__file__).resolve().parent
PACKAGE_ROOT = HERE.parent
DOCUMENT = PACKAGE_ROOT.parent / "openapi.json"
OUTPUT = PACKAGE_ROOT / "src" / "herald_client" / "models.py"
COMMAND = "python3 clients/python/scripts/generate.py"

Schema = Dict[str, Any]


def class_name(text: str) -> str:
    """`project.completed` -> `ProjectCompleted`; `List_AccountView` stays as it is."""
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", text) and text[0].isupper():
        return text
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", text) if part)


def comment_lines(text: str, indent: str) -> List[str]:
    return [f"{indent}#: {line}".rstrip() for line in text.strip().splitlines()]


def docstring(text: str, indent: str) -> List[str]:
    body = text.strip().replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    lines = body.splitlines()
    if len(lines) == 1:
        return [f'{indent}"""{lines[0]}"""']
    return [f'{indent}"""{lines[0]}'] + [f"{indent}{line}".rstrip() for line in lines[1:]] + [f'{indent}"""']


class Generator:
    """Walks the document's schemas and collects Python definitions."""

    def __init__(self, document: Schema) -> None:
        self.document = document
        self.schemas: Dict[str, Schema] = document["components"]["schemas"]
        # name -> (source lines, names it depends on)
        self.definitions: Dict[str, Tuple[List[str], Set[str]]] = {}
        self.typing_names: Set[str] = set()
        self.defining = ""

    # -- types ---------------------------------------------------------------

    def ref_name(self, ref: str) -> str:
        prefix = "#/components/schemas/"
        if not ref.startswith(prefix):
            raise ValueError(f"unsupported $ref {ref}")
        return class_name(ref[len(prefix):])

    def named_equal(self, schema: Schema) -> Optional[str]:
        """The component equal to an inline `schema` (never the one being defined)."""
        for name, candidate in self.schemas.items():
            if candidate == schema and name not in ("PublishBody", self.defining):
                return class_name(name)
        return None

    def use(self, *names: str) -> None:
        self.typing_names.update(names)

    def annotation(self, schema: Schema, context: str, deps: Set[str]) -> str:
        """The Python type of `schema`; `context` names any class made for it."""
        if "$ref" in schema:
            name = self.ref_name(schema["$ref"])
            deps.add(name)
            return name
        for combinator in ("oneOf", "anyOf"):
            if combinator in schema:
                return self.union([self.annotation(s, context, deps) for s in schema[combinator]])
        if "allOf" in schema and len(schema["allOf"]) == 1:
            return self.annotation(schema["allOf"][0], context, deps)
        if "const" in schema:
            self.use("Literal")
            return f"Literal[{schema['const']!r}]"
        kinds = schema.get("type")
        if isinstance(kinds, list):
            parts = [self.annotation({**schema, "type": kind}, context, deps) for kind in kinds]
            return self.union(parts)
        if kinds == "null":
            return "None"
        if kinds == "string":
            if "enum" in schema:
                self.use("Literal")
                return "Literal[" + ", ".join(repr(v) for v in schema["enum"]) + "]"
            return "str"
        if kinds == "integer":
            return "int"
        if kinds == "number":
            return "float"
        if kinds == "boolean":
            return "bool"
        if kinds == "array":
            self.use("List")
            return f"List[{self.annotation(schema.get('items', {}), context + 'Item', deps)}]"
        if kinds == "object" or kinds is None and "properties" in schema:
            equal = self.named_equal(schema)
            if equal is not None:
                deps.add(equal)
                return equal
            if schema.get("properties"):
                self.typed_dict(context, schema)
                deps.add(context)
                return context
            extra = schema.get("additionalProperties")
            self.use("Dict")
            if isinstance(extra, dict) and extra:
                return f"Dict[str, {self.annotation(extra, context + 'Value', deps)}]"
            self.use("Any")
            return "Dict[str, Any]"
        self.use("Any")
        return "Any"

    def union(self, parts: List[str]) -> str:
        unique: List[str] = []
        for part in parts:
            if part not in unique:
                unique.append(part)
        # A string enum next to any string is just a string.
        if "str" in unique:
            unique = [p for p in unique if not (p.startswith("Literal[") and p[8:9] in "'\"")]
        others = [p for p in unique if p != "None"]
        if len(others) == 1 and len(unique) == 2:
            self.use("Optional")
            return f"Optional[{others[0]}]"
        if len(unique) == 1:
            return unique[0]
        self.use("Union")
        return "Union[" + ", ".join(unique) + "]"

    # -- definitions ---------------------------------------------------------

    def alias(self, name: str, schema: Schema) -> None:
        deps: Set[str] = set()
        lines = comment_lines(schema["description"], "") if schema.get("description") else []
        lines.append(f"{name} = {self.annotation(schema, name, deps)}")
        self.definitions[name] = (lines, deps)

    def typed_dict(self, name: str, schema: Schema, bases: Optional[List[str]] = None) -> None:
        if name in self.definitions:
            return
        self.definitions[name] = ([], set())  # reserve the name (recursion)
        deps: Set[str] = set(bases or [])
        required = set(schema.get("required", []))
        fields: List[Tuple[str, str, str, bool]] = []
        for prop, prop_schema in schema.get("properties", {}).items():
            ann = self.annotation(prop_schema, name + class_name(prop), deps)
            description = prop_schema.get("description", "")
            if not description:
                description = next(
                    (s.get("description", "") for s in prop_schema.get("oneOf", []) if s.get("description")), ""
                )
            fields.append((prop, ann, description, prop in required))
        self.use("TypedDict")
        if any(not f[0].isidentifier() or keyword.iskeyword(f[0]) for f in fields):
            raise ValueError(f"{name}: a property name that is not a Python identifier")
        must = [f for f in fields if f[3]]
        may = [f for f in fields if not f[3]]
        lines: List[str] = []
        parents = ", ".join(bases) if bases else "TypedDict"
        description = schema.get("description") or schema.get("title") or name

        def body(chosen: List[Tuple[str, str, str, bool]], doc: Optional[str]) -> List[str]:
            out = docstring(doc, "    ") if doc else []
            for prop, ann, text, _ in chosen:
                if text:
                    out += comment_lines(text, "    ")
                out.append(f"    {prop}: {ann}")
            return out or ["    pass"]

        if must and may:
            base = f"_{name}Required"
            lines += [f"class {base}({parents}):"]
            lines += body(must, f"The keys `{name}` always has.")
            lines += ["", "", f"class {name}({base}, total=False):"]
            lines += body(may, description)
        elif may:
            lines += [f"class {name}({parents}, total=False):"]
            lines += body(may, description)
        else:
            lines += [f"class {name}({parents}):"]
            lines += body(must, description)
        self.definitions[name] = (lines, deps)

    def component(self, raw_name: str, schema: Schema) -> None:
        name = class_name(raw_name)
        self.defining = raw_name
        if raw_name == "PublishBody":
            self.catalog(schema)
        elif "allOf" in schema and len(schema["allOf"]) > 1:
            bases: List[str] = []
            merged: Schema = {"type": "object", "properties": {}, "required": [],
                              "description": schema.get("description", "")}
            for part in schema["allOf"]:
                if "$ref" in part:
                    bases.append(self.ref_name(part["$ref"]))
                else:
                    merged["properties"].update(part.get("properties", {}))
                    merged["required"] += part.get("required", [])
            self.typed_dict(name, merged, bases)
        elif schema.get("type") == "object" and schema.get("properties"):
            self.typed_dict(name, schema)
        else:
            self.alias(name, schema)

    def catalog(self, schema: Schema) -> None:
        """The event catalog: each `oneOf` item of `PublishBody` is one event type."""
        events: List[str] = []
        types: List[str] = []
        for item in schema["oneOf"]:
            event_type = item["properties"]["type"]["const"]
            types.append(event_type)
            stem = class_name(event_type)
            data = dict(item["properties"]["data"])
            data["description"] = f"`{event_type}`: {item.get('description', '')}".rstrip()
            self.typed_dict(f"{stem}Data", data)
            body = {
                "type": "object",
                "description": f"A `{event_type}` event to publish: {item.get('description', '')}",
                "required": item.get("required", []),
                "properties": {
                    "type": item["properties"]["type"],
                    "data": {"$ref": f"#/components/schemas/{stem}Data"},
                },
            }
            self.typed_dict(f"{stem}Event", body)
            events.append(f"{stem}Event")
        self.use("Literal", "Union")
        self.definitions["EventType"] = (
            ["#: Every type of the event catalog."]
            + ["EventType = Literal["] + [f"    {t!r}," for t in types] + ["]"],
            set(),
        )
        description = schema.get("description", "")
        lines = comment_lines(description, "") + ["PublishBody = Union["] + [f"    {e}," for e in events] + ["]"]
        self.definitions["PublishBody"] = (lines, set(events))
        self.definitions["EVENT_TYPES"] = (
            ["#: The catalog's types, in the document's order.", "EVENT_TYPES: Tuple[EventType, ...] = ("]
            + [f"    {t!r}," for t in types]
            + [")"],
            {"EventType"},
        )
        self.use("Tuple")

    # -- output --------------------------------------------------------------

    def ordered(self) -> List[str]:
        """Definitions sorted by name, each after what it depends on."""
        done: List[str] = []
        seen: Set[str] = set()

        def visit(name: str) -> None:
            if name in seen or name not in self.definitions:
                return
            seen.add(name)
            for dep in sorted(self.definitions[name][1]):
                visit(dep)
            done.append(name)

        for name in sorted(self.definitions):
            visit(name)
        return done

    def render(self) -> str:
        for raw_name, schema in self.schemas.items():
            self.component(raw_name, schema)
        names = self.ordered()
        info = self.document.get("info", {})
        out = [
            f"# Generated by {COMMAND} from clients/openapi.json",
            f"# (Herald {info.get('version', '?')}); do not edit by hand: change the document and run the command again.",
            '"""Types of Herald\'s API, generated from its OpenAPI document.',
            "",
            "Answers and request bodies are ``TypedDict``s (plain ``dict``s at run time);",
            "each event type of the catalog has its ``…Data`` and its ``…Event`` (the",
            "publish body), and ``PublishBody`` is their union.",
            '"""',
            "from typing import " + ", ".join(sorted(self.typing_names)),
            "",
            "__all__ = [",
        ]
        out += [f"    {name!r}," for name in names if not name.startswith("_")]
        out += ["]"]
        for name in names:
            out += ["", ""] + self.definitions[name][0]
        return "\n".join(out) + "\n"


def generate(document_path: Path = DOCUMENT) -> str:
    """The text of models.py for the document at `document_path`."""
    with open(document_path, encoding="utf-8") as f:
        return Generator(json.load(f)).render()


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if models.py differs from what would be generated")
    parser.add_argument("--document", type=Path, default=DOCUMENT)
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    text = generate(args.document)
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
        if current != text:
            sys.stdout.writelines(difflib.unified_diff(
                current.splitlines(True), text.splitlines(True), str(args.output), "generated"))
            print(f"{args.output} is stale: run {COMMAND}", file=sys.stderr)
            return 1
        return 0
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
