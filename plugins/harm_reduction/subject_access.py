"""What this plugin holds on a person, for the partnership lead's subject-access export."""

from __future__ import annotations

from core.hookspecs import hookimpl
from core.persons.subject_access import SubjectAccessSource, model_source
from plugins.harm_reduction.common import HEALTH
from plugins.harm_reduction.models import DrugTest, NaloxoneSupply, NaloxoneTraining


@hookimpl
def subject_access_sections() -> list[SubjectAccessSource]:
    return [
        model_source(DrugTest, HEALTH),
        model_source(NaloxoneTraining, HEALTH),
        model_source(NaloxoneSupply, HEALTH),
    ]
