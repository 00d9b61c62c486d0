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

    def __reduce__(self) -> tuple[type[InputError], tuple[str, tuple[FieldError, ...]]]:
        # Rebuilt from its own arguments, not from the message: bad input found on a Dask worker
        # (`cartrial simulate GRID.toml --scheduler`) comes back as itself.
        return (type(self), (self.source, self.errors))

    @classmethod
    def single(cls, source: str, field: str, reason: str) -> InputError:
        return cls(source, (FieldError(field=field, reason=reason),))
