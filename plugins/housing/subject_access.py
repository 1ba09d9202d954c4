"""What this plugin holds on a person, for the partnership lead's subject-access export."""

from __future__ import annotations

from core.hookspecs import hookimpl
from core.persons.subject_access import SubjectAccessSource, model_source
from plugins.housing.models import HousingRecord, HousingStep
from plugins.housing.rules import CATEGORY


@hookimpl
def subject_access_sections() -> list[SubjectAccessSource]:
    return [
        model_source(HousingRecord, CATEGORY),
        model_source(HousingStep, CATEGORY),
    ]
