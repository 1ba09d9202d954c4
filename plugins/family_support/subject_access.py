"""What this plugin holds on a person, for the partnership lead's subject-access export."""

from __future__ import annotations

from core.hookspecs import hookimpl
from core.persons.subject_access import SubjectAccessSource, model_source
from plugins.family_support.common import CATEGORY
from plugins.family_support.models import FamilyContact, FamilyDay, FamilySession


@hookimpl
def subject_access_sections() -> list[SubjectAccessSource]:
    return [
        model_source(FamilyContact, CATEGORY),
        model_source(FamilySession, CATEGORY),
        model_source(FamilyDay, CATEGORY),
    ]
