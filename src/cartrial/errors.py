"""The one error type for bad input, shared by every layer: it names each bad field and why."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.field}: {self.reason}"


class InputError(ValueError):
    """Input that cannot be used as given. Shells map it to exit code 2 (CLI) or a 422 (API)."""

    def __init__(self, source: str, errors: tuple[FieldError, ...]) -> None:
        self.source = source
        self.errors = errors
        super().__init__(f"{source}: " + "; ".join(str(e) for e in errors))

    @classmethod
    def single(cls, source: str, field: str, reason: str) -> InputError:
        return cls(source, (FieldError(field=field, reason=reason),))
