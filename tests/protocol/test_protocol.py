from pathlib import Path

import pytest

from cartrial.data import embedded_protocol, embedded_protocol_table, embedded_protocol_text
from cartrial.errors import InputError
from cartrial.protocol import parse_protocol


def test_registered_protocol_dose_levels_match_the_registry_record() -> None:
    protocol = embedded_protocol()
    assert protocol.ref == "relma-cel-sle-phase1@1.0"
    levels = [(d.number, d.label, d.car_t_cells, d.role) for d in protocol.dose_levels]
    assert levels == [
        (1, "DL-1", 15_000_000, "backup"),
        (2, "DL1", 25_000_000, "start"),
        (3, "DL2", 50_000_000, "escalation"),
        (4, "DL3", 100_000_000, "escalation"),
    ]
    assert protocol.dose_level(4).alternative_car_t_cells == 150_000_000
    assert protocol.start_dose.number == 2
    assert protocol.design.name == "3+3"
    assert protocol.dlt.window_days == 28


def test_amendment_inherits_everything_it_does_not_change() -> None:
    registered, amended = embedded_protocol("1.0"), embedded_protocol("2.0")
    assert amended.ref == "relma-cel-sle-phase1@2.0"
    assert [d.car_t_cells for d in amended.dose_levels] == [25_000_000, 50_000_000, 75_000_000, 100_000_000]
    assert amended.start_dose.car_t_cells == 25_000_000
    assert amended.eligibility == registered.eligibility
    assert amended.dlt == registered.dlt
    assert amended.title == registered.title
    assert amended.amends == "1.0"
    assert amended.assumption is not None


def _fields(exc: pytest.ExceptionInfo[InputError]) -> set[str]:
    return {e.field for e in exc.value.errors}


def test_bad_toml_is_named() -> None:
    with pytest.raises(InputError) as exc:
        parse_protocol("id = ", "bad.toml")
    assert _fields(exc) == {"(file)"}
    assert "bad.toml" in str(exc.value)


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("car_t_cells = 50_000_000", "car_t_cells = 20_000_000", "(top level)"),
        ('name = "3+3"', 'name = "boin"', "design"),
        ("window_days = 28", "window_days = -1", "dlt.window_days"),
        ('role = "backup"', 'role = "escalation"', "(top level)"),
        ("cohort_size = 3", "cohort_size = 0", "design.cohort_size"),
    ],
)
def test_invalid_protocol_names_the_field(old: str, new: str, field: str) -> None:
    text = embedded_protocol_text().replace(old, new, 1)
    assert text != embedded_protocol_text()
    with pytest.raises(InputError) as exc:
        parse_protocol(text, "p.toml")
    assert field in _fields(exc)


def test_unknown_key_is_rejected_not_ignored() -> None:
    text = "surprise = 1\n" + embedded_protocol_text()
    with pytest.raises(InputError) as exc:
        parse_protocol(text, "p.toml")
    assert "surprise" in _fields(exc)


def test_amendment_of_unknown_version_is_rejected(tmp_path: Path) -> None:
    text = 'id = "x"\nversion = "9"\nstatus = "amendment"\namends = "7.7"\n'
    with pytest.raises(InputError) as exc:
        parse_protocol(text, "a.toml", embedded_protocol_table)
    assert _fields(exc) == {"amends"}
