"""Housing rules: the registration pipeline, each local authority's rule, and the board.

The pipeline is ``not_started → application_submitted → registered → offer_made →
accommodation_secured``; ``no_fixed_abode`` is recorded at (or after) liberation when
nothing was secured. A local authority's rule comes from the tenant file
(``housing_registration``): an ``on_liberation_day`` authority registers no one before
liberation, so its application cannot be submitted earlier and becomes the liberation
day's action.

The board's red/amber/green flag weighs the steps still to go against the days left:

* green: accommodation secured;
* red: no fixed abode, or the liberation date has passed without accommodation;
* authority registering *before liberation* (or none chosen yet, the stricter
  assumption): each step still to go needs a fortnight (``STEP_DAYS``). Red when
  the days left are fewer than ``steps to go * 14``; amber when there is less than
  one fortnight to spare; green otherwise;
* authority registering *on liberation day*: nothing can be secured ahead, so amber
  until secured, and red when liberation is a week away (``PREPARE_DAYS``) and the
  person's housing needs are still not recorded, the day's application unprepared.
"""

from __future__ import annotations

from datetime import date, timedelta

from core.tenancy.models import Organisation
from plugins.housing.models import RegistrationRule, Status
from plugins.housing.schemas import NextAction, Rag

PLUGIN = "housing"


CATEGORY = "housing"


PIPELINE: tuple[Status, ...] = (
    Status.NOT_STARTED,
    Status.APPLICATION_SUBMITTED,
    Status.REGISTERED,
    Status.OFFER_MADE,
    Status.ACCOMMODATION_SECURED,
)


# Where each status may move. Backward moves are the real ones: an offer refused or
# withdrawn (back to registered), a secured tenancy falling through before liberation.
ALLOWED: dict[Status, tuple[Status, ...]] = {
    Status.NOT_STARTED: (Status.APPLICATION_SUBMITTED, Status.NO_FIXED_ABODE),
    Status.APPLICATION_SUBMITTED: (Status.REGISTERED, Status.NO_FIXED_ABODE),
    Status.REGISTERED: (Status.OFFER_MADE, Status.NO_FIXED_ABODE),
    Status.OFFER_MADE: (Status.ACCOMMODATION_SECURED, Status.REGISTERED, Status.NO_FIXED_ABODE),
    Status.ACCOMMODATION_SECURED: (Status.REGISTERED,),
    # After a liberation with nowhere to stay the work goes on in the community.
    Status.NO_FIXED_ABODE: (
        Status.APPLICATION_SUBMITTED,
        Status.REGISTERED,
        Status.OFFER_MADE,
        Status.ACCOMMODATION_SECURED,
    ),
}


# A fortnight per step still to go: application decided, offer made, tenancy signed.
STEP_DAYS = 14


# An on-liberation-day application needs the person's needs written down a week ahead.
PREPARE_DAYS = 7


DEFAULT_BOARD_WEEKS = 12


MAX_BOARD_WEEKS = 52


LABELS: dict[Status, str] = {
    Status.APPLICATION_SUBMITTED: "Submit the housing application",
    Status.REGISTERED: "Confirm the registration",
    Status.OFFER_MADE: "Chase an offer of accommodation",
    Status.ACCOMMODATION_SECURED: "Secure the accommodation",
}


def steps_to_go(status: str) -> int:
    """Pipeline steps between ``status`` and secured accommodation."""
    if status == Status.NO_FIXED_ABODE:
        return len(PIPELINE) - 1
    return len(PIPELINE) - 1 - PIPELINE.index(Status(status))


def rule_of(authority: Organisation | None) -> RegistrationRule:
    """An authority's rule; with none chosen, or none declared, the stricter one."""
    if authority is None:
        return RegistrationRule.BEFORE_LIBERATION
    value = (authority.attributes or {}).get("housing_registration")
    return RegistrationRule(value) if value else RegistrationRule.BEFORE_LIBERATION


def rag(status: str, rule: RegistrationRule, days_left: int, has_needs: bool) -> Rag:
    """The board's flag; the rule is written out in this module's docstring."""
    if status == Status.ACCOMMODATION_SECURED:
        return "green"
    if status == Status.NO_FIXED_ABODE or days_left < 0:
        return "red"
    if rule == RegistrationRule.ON_LIBERATION_DAY:
        return "red" if days_left <= PREPARE_DAYS and not has_needs else "amber"
    slack = days_left - steps_to_go(status) * STEP_DAYS
    if slack < 0:
        return "red"
    return "amber" if slack < STEP_DAYS else "green"


def next_action(
    status: str, rule: RegistrationRule, liberation_date: date | None
) -> NextAction | None:
    """The next step along the pipeline and the date it is due for the board to be green."""
    if status == Status.ACCOMMODATION_SECURED:
        return None
    if status == Status.NO_FIXED_ABODE:
        return NextAction(
            status=Status.APPLICATION_SUBMITTED,
            label="Submit a homeless application in the community",
            due=None,
        )
    target = PIPELINE[PIPELINE.index(Status(status)) + 1]
    if rule == RegistrationRule.ON_LIBERATION_DAY and status == Status.NOT_STARTED:
        return NextAction(
            status=target,
            label="Submit the housing application on liberation day "
            "(the local authority registers no one earlier)",
            due=liberation_date,
            liberation_day_action=True,
        )
    due = None
    if liberation_date is not None:
        # Leave a fortnight for each step after this one.
        due = liberation_date - timedelta(days=(steps_to_go(status) - 1) * STEP_DAYS)
    return NextAction(status=target, label=LABELS[target], due=due)


def days_until(liberation_date: date | None, today: date) -> int | None:
    return None if liberation_date is None else (liberation_date - today).days
