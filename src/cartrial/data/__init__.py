"""Access to the files embedded in the package: protocol versions and demo data."""

from __future__ import annotations

from importlib import resources
from typing import Any

from cartrial.protocol import Protocol, parse_protocol
from cartrial.protocol.parse import load_protocol_table

DEFAULT_PROTOCOL_VERSION = "1.0"
_PROTOCOL_FILES = {"1.0": "registered-v1.0.toml", "2.0": "amendment-v2.0.toml"}


def embedded_protocol_versions() -> tuple[str, ...]:
    return tuple(_PROTOCOL_FILES)


def embedded_protocol_text(version: str = DEFAULT_PROTOCOL_VERSION) -> str:
    if version not in _PROTOCOL_FILES:
        known = ", ".join(_PROTOCOL_FILES)
        raise KeyError(f"no embedded protocol version {version!r} (known: {known})")
    return resources.files("cartrial.data").joinpath("protocols", _PROTOCOL_FILES[version]).read_text("utf-8")


def embedded_protocol_table(version: str) -> dict[str, Any]:
    """The raw table of an embedded version, merged over what it amends (raises KeyError if unknown)."""
    return load_protocol_table(
        embedded_protocol_text(version), _PROTOCOL_FILES[version], embedded_protocol_table
    )


def embedded_protocol(version: str = DEFAULT_PROTOCOL_VERSION) -> Protocol:
    """The registered protocol (default) or an embedded amendment."""
    return parse_protocol(embedded_protocol_text(version), _PROTOCOL_FILES[version], embedded_protocol_table)


def demo_file_text(name: str) -> str:
    return resources.files("cartrial.data").joinpath("demo", name).read_text("utf-8")
