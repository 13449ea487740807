"""``/api/v1/openapi.json`` and ``/api/v1/docs``: the API's description, for programs and for
people. Public: they describe the API and hold no data (every other route needs a token)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from flask import jsonify, render_template, url_for

from console.access import public
from console.api import bp, spec

METHODS = ("get", "post", "put", "patch", "delete")


@bp.get("/openapi.json")
@public
def openapi():
    return jsonify(spec.document(url_for("api.openapi").rsplit("/", 1)[0]))


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    type: str
    required: bool
    description: str


@dataclass(frozen=True, slots=True)
class Operation:
    method: str
    path: str
    summary: str
    description: str
    scopes: list[str]
    parameters: list[dict]
    body: str | None
    responses: list[tuple[str, str, str | None]]  # status, description, schema
    examples: list[tuple[str, str]]  # status, an example body as indented JSON


def type_of(schema: dict | None) -> str:
    """A schema as a short phrase: ``string | null``, ``array of Order``, ``one of a, b``."""
    if not schema:
        return "any"
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if "enum" in schema:
        return "one of " + ", ".join("null" if v is None else str(v) for v in schema["enum"])
    kinds = schema.get("type", "any")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    words = []
    for kind in kinds:
        if kind == "array":
            words.append(f"array of {type_of(schema.get('items'))}")
        elif kind == "string" and "format" in schema:
            words.append(f"string ({schema['format']})")
        else:
            words.append(kind)
    text = " | ".join(words)
    bounds = [
        f"{word} {schema[key]}"
        for key, word in (("minimum", "≥"), ("maximum", "≤"), ("maxLength", "length ≤"))
        if key in schema
    ]
    if "maxItems" in schema:
        bounds.append(f"at most {schema['maxItems']} items")
    return f"{text} ({', '.join(bounds)})" if bounds else text


def _schema_of(content: dict | None) -> str | None:
    if not content:
        return None
    media, body = next(iter(content.items()))
    return f"{type_of(body.get('schema'))} · {media}"


def _examples(responses: dict) -> list[tuple[str, str]]:
    out = []
    for status, response in responses.items():
        for body in (response.get("content") or {}).values():
            if "example" in body:
                out.append((status, json.dumps(body["example"], indent=2, ensure_ascii=False)))
    return out


def operations(document: dict) -> list[Operation]:
    out = []
    for path, item in document["paths"].items():
        for method in METHODS:
            if method not in item:
                continue
            op = item[method]
            security = op.get("security", document.get("security", []))
            scopes = sorted({scope for need in security for scope in need.get("bearer", [])})
            body = op.get("requestBody")
            out.append(
                Operation(
                    method=method.upper(),
                    path=path,
                    summary=op.get("summary", ""),
                    description=op.get("description", ""),
                    scopes=scopes,
                    parameters=[
                        {
                            "name": p["name"],
                            "in": p["in"],
                            "type": type_of(p.get("schema")),
                            "required": p.get("required", False),
                            "description": p.get("description", ""),
                        }
                        for p in op.get("parameters", [])
                    ],
                    body=_schema_of(body["content"]) if body else None,
                    responses=[
                        (status, r.get("description", ""), _schema_of(r.get("content")))
                        for status, r in op.get("responses", {}).items()
                    ],
                    examples=_examples(op.get("responses", {})),
                )
            )
    return out


def schemas(document: dict) -> dict[str, tuple[str, list[Field]]]:
    out = {}
    for name, schema in document["components"]["schemas"].items():
        required = set(schema.get("required", []))
        fields = [
            Field(key, type_of(prop), key in required, prop.get("description", ""))
            for key, prop in schema.get("properties", {}).items()
        ]
        out[name] = (schema.get("description", ""), fields)
    return out


@bp.get("/docs")
@public
def docs():
    document = spec.document(url_for("api.openapi").rsplit("/", 1)[0])
    return render_template(
        "api/docs.html",
        document=document,
        operations=operations(document),
        schemas=schemas(document),
    )
