"""Extract the create/update meeting request schemas from Zoom's OpenAPI document.

The Zoom sandbox validates request bodies the way Zoom does, but loading Zoom's 3 MB spec at every start
would be slow and wasteful, so this script writes the two schemas it needs to a small JSON file that is
committed inside the sandbox (zoom_sandbox/zoom_meeting_schemas.json). Re-run it when Zoom publishes a
new spec (Zoom's "Meeting API" OpenAPI document, saved as JSON):

    .venv/bin/python scripts/extract_zoom_schemas.py path/to/ZoomMeetingAPISpec.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

OPERATIONS = {
    "create_meeting": ("/users/{userId}/meetings", "post"),
    "update_meeting": ("/meetings/{meetingId}", "patch"),
}
# Keywords draft-04 JSON Schema validates with; everything else in OpenAPI 3.0 (description, example,
# x-*, deprecated, readOnly, discriminator, ...) is annotation only and is dropped to keep the file small.
# `format` is dropped too: Zoom accepts start_time without "Z" (local time), which is not RFC 3339.
KEEP = {
    "type", "properties", "items", "required", "enum", "maxLength", "minLength", "maximum", "minimum",
    "exclusiveMaximum", "exclusiveMinimum", "multipleOf", "pattern", "maxItems", "minItems",
    "uniqueItems", "additionalProperties", "allOf", "anyOf", "oneOf", "not", "maxProperties",
    "minProperties", "default",
}  # fmt: skip


def resolve(node: Any, spec: dict, seen: tuple[str, ...] = ()) -> Any:
    """Return `node` with every local $ref inlined (a cycle would never end, so it is an error)."""
    if isinstance(node, list):
        return [resolve(item, spec, seen) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        ref = node["$ref"]
        if not ref.startswith("#/") or ref in seen:
            raise ValueError(f"cannot inline $ref {ref!r}")
        target: Any = spec
        for part in ref[2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        return resolve(target, spec, (*seen, ref))
    return {key: resolve(value, spec, seen) for key, value in node.items()}


def to_json_schema(node: Any) -> Any:
    """Translate an OpenAPI 3.0 schema object into plain draft-04 JSON Schema."""
    if isinstance(node, list):
        return [to_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key not in KEEP:
            continue
        if key == "properties":
            out[key] = {name: to_json_schema(sub) for name, sub in value.items()}
        elif key == "additionalProperties" and value is False:
            continue  # Zoom ignores fields it does not know; it never rejects them
        else:
            out[key] = to_json_schema(value)
    if node.get("nullable") is True and isinstance(out.get("type"), str):
        out["type"] = [out["type"], "null"]
    return out


def extract(spec: dict) -> dict:
    """The small document the sandbox loads: one JSON Schema per request body."""
    schemas = {}
    for name, (path, method) in OPERATIONS.items():
        body = spec["paths"][path][method]["requestBody"]
        schema = resolve(body["content"]["application/json"]["schema"], spec)
        schemas[name] = {"$schema": "http://json-schema.org/draft-04/schema#", **to_json_schema(schema)}
    return {
        "source": f"Zoom Meeting API {spec['info']['version']} (OpenAPI {spec['openapi']})",
        "generated_by": "scripts/extract_zoom_schemas.py",
        "schemas": schemas,
    }


def main(argv: list[str] | None = None) -> None:
    default_out = Path(__file__).resolve().parents[1] / "zoom_sandbox" / "zoom_meeting_schemas.json"
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("spec", type=Path, help="path to ZoomMeetingAPISpec.json")
    parser.add_argument("--output", type=Path, default=default_out)
    args = parser.parse_args(argv)
    document = extract(json.loads(args.spec.read_text(encoding="utf-8")))
    args.output.write_text(json.dumps(document, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {args.output} ({args.output.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
