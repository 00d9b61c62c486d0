"""Parse a protocol version from TOML text into the typed model, with errors that name the field.

An amendment file names the version it amends (`amends = "1.0"`) and states only what it changes:
tables merge key by key over the amended version, any other value (arrays included) replaces it.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import ValidationError

from cartrial.errors import FieldError, InputError
from cartrial.protocol.model import Protocol

BaseResolver = Callable[[str], Mapping[str, Any]]
"""Given a version, the raw table of that version (already merged with its own base)."""


def field_errors_from_validation(error: ValidationError) -> tuple[FieldError, ...]:
    """Turn pydantic's errors into (field path, reason) pairs a user can act on."""
    return tuple(
        FieldError(field=".".join(str(part) for part in item["loc"]) or "(top level)", reason=item["msg"])
        for item in error.errors()
    )


def merge_amendment(base: Mapping[str, Any], amendment: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in amendment.items():
        old = merged.get(key)
        if isinstance(old, Mapping) and isinstance(value, Mapping):
            merged[key] = merge_amendment(old, value)
        else:
            merged[key] = value
    return merged


def load_protocol_table(text: str, source: str, resolve_base: BaseResolver | None = None) -> dict[str, Any]:
    """The raw protocol table of `text`, merged over the version it amends when it names one."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError.single(source, "(file)", f"not valid TOML: {exc}") from exc
    amends = raw.get("amends")
    if amends is None:
        return raw
    if resolve_base is None:
        raise InputError.single(source, "amends", f"version {amends!r} cannot be resolved here")
    try:
        base = resolve_base(str(amends))
    except KeyError as exc:
        raise InputError.single(source, "amends", f"no protocol version {amends!r} to amend") from exc
    return merge_amendment(base, raw)


def parse_protocol(text: str, source: str = "protocol", resolve_base: BaseResolver | None = None) -> Protocol:
    """Parse and validate one protocol version; raise `InputError` naming every bad field."""
    raw = load_protocol_table(text, source, resolve_base)
    try:
        return Protocol.model_validate(raw)
    except ValidationError as exc:
        raise InputError(source, field_errors_from_validation(exc)) from exc
