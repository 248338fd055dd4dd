"""The base of every specification model: strict, immutable, JSON-only values, and errors that
name the JSON path the user wrote (``$.arms[1].doses[0].rate: ...``) with the allowed values and a
"did you mean" suggestion for near misses."""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

__all__ = [
    "SpecError",
    "SpecModel",
    "did_you_mean",
    "fail",
    "json_path",
    "load_json",
    "spec_error",
    "validate_spec",
]


class SpecError(ValueError):
    """A specification that does not validate; the message starts with the JSON path."""


def did_you_mean(value: Any, allowed: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for a near miss among ``allowed``, else ``""``."""
    close = difflib.get_close_matches(str(value), [str(a) for a in allowed], n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def fail(path: str, message: str, value: Any = None, allowed: Iterable[str] | None = None):
    """Raise :class:`SpecError` ``path: message, got value; allowed: ... (did you mean ...)``."""
    text = f"{path}: {message}"
    if value is not None:
        text += f", got {value!r}"
    if allowed is not None:
        allowed = list(allowed)
        text += did_you_mean(value, allowed) if value is not None else ""
        text += f"; allowed: {', '.join(map(str, allowed)) or '(none)'}"
    raise SpecError(text)


def json_path(parts: Sequence[Any], root: str = "$") -> str:
    out = root
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else f".{p}" if out else str(p)
    return out or root


def _data_path(loc: Sequence[Any], data: Any) -> list[Any]:
    """The error location as the user wrote it: union tags and validator labels that pydantic
    inserts (and that are not in the input) are dropped; the last element always stays (a missing
    field is not in the input either)."""
    parts: list[Any] = []
    node = data
    for i, p in enumerate(loc):
        here = isinstance(node, Mapping) and p in node
        here = here or (isinstance(node, list) and isinstance(p, int) and 0 <= p < len(node))
        if here:
            parts.append(p)
            node = node[p]
        elif i == len(loc) - 1:
            parts.append(p)
    return parts


def _message(err: Mapping[str, Any]) -> str:
    kind, msg, ctx = err["type"], err["msg"], err.get("ctx") or {}
    value = err.get("input")
    if kind in ("value_error", "assertion_error"):
        return msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if kind == "missing":
        return "required field is missing"
    if kind == "finite_number":
        return f"must be a finite number (NaN and Infinity are not JSON), got {value!r}"
    if kind in ("literal_error", "enum"):
        expected = str(ctx.get("expected", ""))
        options = [s.strip().strip("'\"") for s in expected.replace(" or ", ", ").split(",")]
        return f"unknown value {value!r}{did_you_mean(value, options)}; allowed: {expected}"
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        return f"{msg[0].lower()}{msg[1:]}, got {value!r}"
    if kind.endswith("_type") or kind.endswith("_parsing"):
        return f"{msg[0].lower()}{msg[1:]}, got {value!r} ({type(value).__name__})"
    return f"{msg[0].lower()}{msg[1:]}"


def spec_error(exc: ValidationError, data: Any, root: str = "$") -> SpecError:
    """The first error of a pydantic ValidationError, as a SpecError naming the JSON path."""
    err = exc.errors(include_url=False)[0]
    parts = _data_path(err["loc"], data)
    message = _message(err)
    unknown = re.match(r"unknown key '([^']*)'", message)
    if unknown:  # raised by the model for its own keys: point at the key itself
        if parts and not _present(parts, data):
            parts.pop()  # a union tag, not a key of the input
        parts.append(unknown.group(1))
    nested = _NESTED.match(message)
    if nested:  # a validator named the field inside the object it checked
        if parts and not _present(parts, data):
            parts.pop()  # a union tag, not a key of the input
        message = nested.group(2)
        path = json_path(parts, root) + ("." if parts or root else "") + nested.group(1)
        path = path.replace(".[", "[")
    else:
        path = json_path(parts, root)
    return SpecError(f"{path}: {message}" if path else message)


#: "field[0].sub: problem": a relative path at the start of a validator's message
_NESTED = re.compile(r"^([A-Za-z_$][\w$]*(?:\[\d+\]|\.[A-Za-z_$][\w$]*)*): (.*)$", re.S)


def _present(parts: Sequence[Any], data: Any) -> bool:
    node = data
    for p in parts:
        if isinstance(node, Mapping) and p in node:
            node = node[p]
        elif isinstance(node, list) and isinstance(p, int) and 0 <= p < len(node):
            node = node[p]
        else:
            return False
    return True


def validate_spec(cls: type[BaseModel], data: Any, root: str = "$") -> Any:
    """``cls.model_validate(data)`` with errors turned into :class:`SpecError`."""
    try:
        return cls.model_validate(_lists(data))
    except ValidationError as exc:
        raise spec_error(exc, _lists(data), root) from None


def _lists(data: Any) -> Any:
    """Tuples become lists (strict models accept JSON arrays only)."""
    if isinstance(data, Mapping):
        return {k: _lists(v) for k, v in data.items()}
    if isinstance(data, tuple | list):
        return [_lists(v) for v in data]
    return data


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not valid JSON (write a number, or null where allowed)")


def load_json(path: Path) -> Any:
    """A JSON file; NaN and Infinity literals (which Python's json accepts) are refused."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"), parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise SpecError(
            f"{path}: not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None
    except ValueError as exc:
        raise SpecError(f"{path}: {exc}") from None


class SpecModel(BaseModel):
    """Strict (no string-to-number or number-to-bool coercion), finite numbers only, unknown
    keys refused with a suggestion, immutable. Field docstrings become the JSON Schema's
    descriptions."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        frozen=True,
        allow_inf_nan=False,
        use_attribute_docstrings=True,
        validate_default=False,
    )

    @model_validator(mode="before")
    @classmethod
    def _known_keys(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            allowed = [f.alias or name for name, f in cls.model_fields.items()]
            for key in data:
                if key not in allowed:
                    raise ValueError(
                        f"unknown key {key!r}{did_you_mean(key, allowed)}; "
                        f"allowed keys here: {', '.join(allowed)}"
                    )
        return data

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data, defaults included."""
        return self.model_dump(mode="json", by_alias=True)
