"""/t/{tenant}/persons/{id}: one person's record, and the forms that add to it.

Split by job: the page itself (:mod:`.page`), its sections and the withheld notice
(:mod:`.sections`), the release checklist (:mod:`.checklist_page`), and each group of forms.
Every form handler goes through :func:`core.web.forms.save_form`. The names other pages
(episode forms, plugin pages) build on are re-exported here.
"""

from __future__ import annotations

from core.web.record import (
    activity_forms,
    checklist_page,
    consent_forms,
    page,
    plan_forms,
    plan_review,
)
from core.web.record.common import PERSON, date_values, form_page, person_url
from core.web.record.sections import join_words, withheld_notice

__all__ = ["HANDLERS", "PERSON", "date_values", "form_page", "join_words", "person_url"]
__all__ += ["withheld_notice"]

HANDLERS = [
    page.person_page,
    activity_forms.intervention_form,
    activity_forms.intervention_submit,
    plan_forms.liberation_form,
    plan_forms.liberation_submit,
    activity_forms.referral_form,
    activity_forms.referral_submit,
    activity_forms.review_form,
    activity_forms.review_submit,
    consent_forms.consent_form,
    consent_forms.consent_submit,
    consent_forms.consent_withdraw_form,
    consent_forms.consent_withdraw,
    plan_forms.plan_action_form,
    plan_forms.plan_action_submit,
    plan_forms.plan_action_done,
    plan_review.plan_review_form,
    plan_review.plan_review_submit,
    checklist_page.checklist_page,
]
