"""What the generated JSON schema says beyond the models' own fields: each entry type's
rules (`schema_rule`) and the `tag` alias."""

from __future__ import annotations

from typing import Any


def add_type_rules(schema: dict[str, Any]) -> None:
    """Each built-in type's `schema_rule`, applied when `type` names it."""
    from brain.entrypoints import BUILTIN, entry_type

    rules = [{"if": {"properties": {"type": {"const": name}}, "required": ["type"]},
              "then": rule} for name in BUILTIN
             if (rule := entry_type(name).schema_rule) is not None]
    if rules:
        schema["allOf"] = rules


def add_tag_alias(schema: dict[str, Any]) -> None:
    """`tag` beside `tags` (the original format's spelling)."""
    properties = schema.setdefault("properties", {})
    if "tags" in properties:
        properties["tag"] = {**properties["tags"], "description": "Alias of `tags`."}
