"""Validated configs and model cards: the one place user-given settings are checked on load.

Two jobs, both part of the base layer (imports nothing above ``errors`` and ``io``):

* :func:`from_mapping` builds a frozen dataclass config from a JSON object, checking every key
  against the dataclass: unknown keys are refused (the key named), every value has the field's
  type (``true`` is not a number, ``"two"`` not an integer), numbers are finite and within the
  bounds the class declares in ``BOUNDS`` (``{"field": (low, high)}``, either end ``None``),
  strings and string tuples within ``CHOICES``; relations between fields are the class's own
  ``__post_init__`` checks. The error names the source file and the key.
  :func:`check_fields` runs the same checks on a config built in code (from its
  ``__post_init__``: ``MonitorConfig``, ``RuntimeConfig``).
* Model cards (``cribwatch/weights/*.json``): one schema (``card.schema.json`` beside this
  file), read, validated and written here. Every card has ``format``, ``version``,
  ``capability``, ``model``, ``weights``, ``architecture``, ``training`` and ``licences``;
  capability-specific sections (a detector config, metrics) sit beside them.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import types
import typing
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import jsonschema

from cribwatch.errors import CribwatchError
from cribwatch.io import OUTPUT_MARK, read_json_object, write_json

T = TypeVar("T")

#: Keys every reader ignores: the output marker cribwatch adds to the JSON it writes.
IGNORED_KEYS = frozenset({"written_by"})

CARD_FORMAT = "cribwatch-card"
CARD_VERSION = 1
CAPABILITIES = ("color", "cry", "rollover")


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", str(tp))


def _check_value(name: str, tp: Any, value: Any, where: str) -> Any:
    """Check ``value`` against the annotation ``tp``; return it converted (lists to tuples)."""
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        errors = []
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _check_value(name, arg, value, where)
            except CribwatchError as exc:
                errors.append(exc)
        raise errors[0] if errors else CribwatchError(f"{where}: {name} must not be null")
    if origin is typing.Literal:
        if value not in args:
            raise CribwatchError(f"{where}: {name} must be one of {', '.join(map(str, args))}")
        return value
    if origin is tuple:
        if not isinstance(value, list | tuple):
            raise CribwatchError(f"{where}: {name} must be a list, not {type(value).__name__}")
        if len(args) == 2 and args[1] is Ellipsis:
            item_types = [args[0]] * len(value)
        elif args:
            if len(value) != len(args):
                raise CribwatchError(
                    f"{where}: {name} must be a list of {len(args)} items, not {len(value)}"
                )
            item_types = list(args)
        else:
            item_types = [Any] * len(value)
        return tuple(
            _check_value(f"{name}[{i}]", tp_i, v, where)
            for i, (tp_i, v) in enumerate(zip(item_types, value, strict=True))
        )
    if tp is bool:
        if not isinstance(value, bool):
            raise CribwatchError(f"{where}: {name} must be true or false")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise CribwatchError(f"{where}: {name} must be an integer, not {value!r}")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise CribwatchError(f"{where}: {name} must be a number, not {value!r}")
        if not math.isfinite(value):
            raise CribwatchError(f"{where}: {name} must be a finite number, not {value!r}")
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise CribwatchError(f"{where}: {name} must be a string, not {value!r}")
        return value
    if tp is Any or tp is object:
        return value
    if isinstance(tp, type) and not isinstance(value, tp):
        raise CribwatchError(f"{where}: {name} must be {_type_name(tp)}, not {value!r}")
    return value


def _check_limits(
    key: str,
    value: Any,
    bounds: Mapping[str, tuple[float | None, float | None]],
    choices: Mapping[str, tuple[str, ...]],
    where: str,
) -> None:
    """``value`` of ``key`` within the class's ``BOUNDS`` and ``CHOICES``."""
    lo, hi = bounds.get(key, (None, None))
    if isinstance(value, int | float) and not isinstance(value, bool):
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            low = "-inf" if lo is None else f"{lo:g}"
            high = "inf" if hi is None else f"{hi:g}"
            raise CribwatchError(f"{where}: {key} must be in [{low}, {high}], not {value!r}")
    if key in choices:
        allowed = choices[key]
        items = value if isinstance(value, tuple) else (value,)
        for item in items:
            if item not in allowed:
                raise CribwatchError(
                    f"{where}: {key} has unknown value {item!r} (one of {', '.join(allowed)})"
                )


def check_fields(config: Any, where: str | None = None) -> None:
    """The checks of :func:`from_mapping` (type, finite, ``BOUNDS``, ``CHOICES``) on every field
    of a dataclass config built in code: call it from the class's ``__post_init__``. Errors
    name ``where`` (default: the class's name) and the field."""
    cls = type(config)
    where = where or cls.__name__
    hints = typing.get_type_hints(cls)
    bounds: Mapping[str, tuple[float | None, float | None]] = getattr(cls, "BOUNDS", {})
    choices: Mapping[str, tuple[str, ...]] = getattr(cls, "CHOICES", {})
    for f in dataclasses.fields(config):
        if f.init:
            value = getattr(config, f.name)
            _check_value(f.name, hints[f.name], value, where)
            _check_limits(f.name, value, bounds, choices, where)


def from_mapping(cls: type[T], data: Any, source: str | os.PathLike[str]) -> T:
    """Build the dataclass ``cls`` from ``data``, validating every key (see the module doc).

    ``source`` names where the values came from (a file path, ``"--config"``) in every error.
    Missing keys take the field defaults.
    """
    where = str(source)
    if not isinstance(data, Mapping):
        raise CribwatchError(f"{where}: must be a JSON object, not {type(data).__name__}")
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}  # type: ignore[arg-type]
    hints = typing.get_type_hints(cls)
    bounds: Mapping[str, tuple[float | None, float | None]] = getattr(cls, "BOUNDS", {})
    choices: Mapping[str, tuple[str, ...]] = getattr(cls, "CHOICES", {})
    unknown = [k for k in data if k not in fields and k not in IGNORED_KEYS]
    if unknown:
        raise CribwatchError(
            f"{where}: unknown key {unknown[0]!r} (known: {', '.join(sorted(fields))})"
        )
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        if key in IGNORED_KEYS:
            continue
        value = _check_value(key, hints[key], value, where)
        _check_limits(key, value, bounds, choices, where)
        kwargs[key] = value
    try:
        return cls(**kwargs)
    except CribwatchError as exc:
        msg = exc.message
        raise CribwatchError(msg if msg.startswith(where) else f"{where}: {msg}") from exc
    except (TypeError, ValueError) as exc:
        raise CribwatchError(f"{where}: {exc}") from exc


def to_mapping(config: Any) -> dict[str, Any]:
    """A dataclass config as a JSON-ready dict (tuples as lists)."""
    out = {}
    for f in dataclasses.fields(config):
        v = getattr(config, f.name)
        out[f.name] = list(v) if isinstance(v, tuple) else v
    return out


# ----------------------------------------------------------------------------- cards


def card_schema() -> dict[str, Any]:
    """The JSON Schema of a model card (``cribwatch/card.schema.json``)."""
    text = (resources.files("cribwatch") / "card.schema.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def validate_card(card: Any, source: str | os.PathLike[str]) -> dict[str, Any]:
    """Check ``card`` against the card schema; the error names ``source`` and the first fault."""
    validator = jsonschema.Draft202012Validator(card_schema())
    errors = sorted(validator.iter_errors(card), key=lambda e: list(e.absolute_path))
    if errors:
        err = errors[0]
        path = "/".join(str(p) for p in err.absolute_path) or "(top)"
        raise CribwatchError(f"{source}: not a valid cribwatch model card at {path}: {err.message}")
    assert isinstance(card, dict)
    return card


def card_path(weights: str | os.PathLike[str]) -> Path:
    """The card of a weights file: the same name with ``.json`` (``cry.pt`` -> ``cry.json``)."""
    p = Path(weights)
    return p.with_suffix(".json")


def read_card(path: str | os.PathLike[str], capability: str | None = None) -> dict[str, Any]:
    """Read and validate a card; with ``capability`` also check it is that capability's."""
    card = validate_card(read_json_object(path), path)
    if capability is not None and card["capability"] != capability:
        raise CribwatchError(
            f"{path}: a {card['capability']} model card where a {capability} model is needed"
        )
    return card


def write_card(path: str | os.PathLike[str], card: Mapping[str, Any]) -> None:
    """Validate and write a card atomically (with the output marker)."""
    body = {"format": CARD_FORMAT, "version": CARD_VERSION, **card}
    body.setdefault("written_by", OUTPUT_MARK)
    write_json(path, validate_card(body, path))
