"""A subject's status and the moves between statuses the study allows."""

from __future__ import annotations

from enum import StrEnum

from cartrial.services.errors import ConflictError


class SubjectStatus(StrEnum):
    SCREENING = "screening"
    SCREEN_FAILURE = "screen_failure"
    ENROLLED = "enrolled"
    LEUKAPHERESIS = "leukapheresis"
    LYMPHODEPLETION = "lymphodepletion"
    INFUSED = "infused"
    DLT_WINDOW = "dlt_window"
    FOLLOW_UP = "follow_up"
    WITHDRAWN = "withdrawn"
    DIED = "died"


_FORWARD: dict[SubjectStatus, frozenset[SubjectStatus]] = {
    SubjectStatus.SCREENING: frozenset({SubjectStatus.SCREEN_FAILURE, SubjectStatus.ENROLLED}),
    # A screening corrected with a reason may turn a screen failure back into a candidate.
    SubjectStatus.SCREEN_FAILURE: frozenset({SubjectStatus.SCREENING}),
    SubjectStatus.ENROLLED: frozenset({SubjectStatus.LEUKAPHERESIS}),
    SubjectStatus.LEUKAPHERESIS: frozenset({SubjectStatus.LYMPHODEPLETION}),
    SubjectStatus.LYMPHODEPLETION: frozenset({SubjectStatus.INFUSED}),
    SubjectStatus.INFUSED: frozenset({SubjectStatus.DLT_WINDOW}),
    SubjectStatus.DLT_WINDOW: frozenset({SubjectStatus.FOLLOW_UP}),
    SubjectStatus.FOLLOW_UP: frozenset(),
    SubjectStatus.WITHDRAWN: frozenset(),
    SubjectStatus.DIED: frozenset(),
}
# From enrollment on, a subject may withdraw or die at any time.
_ALWAYS = frozenset({SubjectStatus.WITHDRAWN, SubjectStatus.DIED})
_ON_STUDY = frozenset(_FORWARD) - {SubjectStatus.SCREENING, SubjectStatus.SCREEN_FAILURE} - _ALWAYS


def check_transition(current: SubjectStatus, new: SubjectStatus) -> None:
    allowed = _FORWARD[current] | (_ALWAYS if current in _ON_STUDY else frozenset())
    if new not in allowed and new != current:
        raise ConflictError(f"a subject in status {current.value!r} cannot move to {new.value!r}")
