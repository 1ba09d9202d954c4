"""What this plugin holds on a person, for the partnership lead's subject-access export."""

from __future__ import annotations

from core.hookspecs import hookimpl
from core.persons.subject_access import SubjectAccessSource, model_source
from plugins.peer_mentoring.common import CATEGORY
from plugins.peer_mentoring.models import GateAppointment, MentoringSession, MentorMatch


@hookimpl
def subject_access_sections() -> list[SubjectAccessSource]:
    return [
        model_source(MentorMatch, CATEGORY),
        model_source(MentoringSession, CATEGORY),
        model_source(GateAppointment, CATEGORY),
    ]
