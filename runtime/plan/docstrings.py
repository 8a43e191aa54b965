"""Attribute docstrings as JSON Schema descriptions, read only when a schema is generated.

Every model documents its fields with a docstring under the attribute. pydantic's
``use_attribute_docstrings`` would read them while each class is created: it finds and parses
the class's source, ~1 ms per class, ~0.2 s of every ``bench`` start for ~150 models whose
descriptions only ``bench schema`` and docs/report.schema.json show. ``json_schema(model)``
reads them instead, while generating a schema, with pydantic's rules: a field's docstring is
the one under its last declaration in the class hierarchy, and an explicit
``Field(description=...)`` wins.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from functools import cache
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue

__all__ = ["field_docstrings", "json_schema"]


@cache
def _own_docstrings(cls: type) -> dict[str, str]:
    """Docstrings of the attributes declared in ``cls``'s own body (not its bases')."""
    try:
        source = textwrap.dedent(inspect.getsource(cls))
    except (OSError, TypeError):
        return {}
    tree = ast.parse(source)
    node = next((n for n in tree.body if isinstance(n, ast.ClassDef)), None)
    if node is None:
        return {}
    docs: dict[str, str] = {}
    body = node.body
    for stmt, after in zip(body, body[1:], strict=False):
        if (
            isinstance(stmt, ast.AnnAssign)
            and isinstance(stmt.target, ast.Name)
            and isinstance(after, ast.Expr)
            and isinstance(after.value, ast.Constant)
            and isinstance(after.value.value, str)
        ):
            docs[stmt.target.id] = inspect.cleandoc(after.value.value)
    return docs


def field_docstrings(cls: type[BaseModel]) -> dict[str, str]:
    """Field name -> docstring, from the class that declares the field last (its MRO)."""
    docs: dict[str, str] = {}
    for name in cls.model_fields:
        owner = next(
            (k for k in cls.__mro__ if name in k.__dict__.get("__annotations__", {})), None
        )
        if owner is not None and name in _own_docstrings(owner):
            docs[name] = _own_docstrings(owner)[name]
    return docs


class _Documented(GenerateJsonSchema):
    """pydantic's generator, adding each field's docstring as its property's description."""

    def model_schema(self, schema: Any) -> JsonSchemaValue:
        json_schema = super().model_schema(schema)
        cls = schema["cls"]
        properties = json_schema.get("properties")
        if not isinstance(properties, dict):
            return json_schema
        docs = field_docstrings(cls)
        for name, info in cls.model_fields.items():
            if info.description is not None or name not in docs:
                continue  # an explicit description wins, as with use_attribute_docstrings
            keys = {name, info.alias, info.serialization_alias}
            if isinstance(info.validation_alias, str):
                keys.add(info.validation_alias)
            for key in keys:
                if key is not None and isinstance(properties.get(key), dict):
                    properties[key]["description"] = docs[name]
        return json_schema


def json_schema(model: type[BaseModel], **kwargs: Any) -> dict[str, Any]:
    """``model.model_json_schema(**kwargs)`` with the fields' docstrings as descriptions."""
    return model.model_json_schema(schema_generator=_Documented, **kwargs)
