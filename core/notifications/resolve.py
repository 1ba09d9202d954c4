"""Tasks that close themselves: a task whose work has been recorded is done.

A reminder's ``key`` names the row it is about (``assessment-overdue:<referral id>``,
``plan-action:<action id>:<due>``, ``liberation:<person id>:<date>:<step>``, ...). The
condition for each kind (:data:`SETTLED_BY`) is read here from the same rows the reminder
jobs read, so the list never asks for work that is already done. It runs before a user's
list is read and after each reminder job, so it needs no event wiring in every service
that records the work.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable

from sqlalchemy import exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from core.assessments.models import INITIAL_KINDS, Assessment
from core.authz.models import BreakGlassGrant
from core.consents.models import Consent
from core.db.base import utcnow
from core.notifications.models import Notification
from core.outcomes.models import OutcomeReview
from core.persons.checklist import complete_checklists
from core.persons.models import Location, Person
from core.plans.models import PlanAction
from core.plugins import get_plugin_manager
from core.referrals.models import Referral, ReferralDecision
from core.tenancy.models import Tenant

Targets = dict[uuid.UUID, list[Notification]]  # what each task is about -> its open tasks
Closed = set[uuid.UUID]  # the tasks (notification ids) to close
Settle = Callable[[AsyncSession, uuid.UUID, Targets], Awaitable[Closed]]
TargetCheck = Callable[[AsyncSession, uuid.UUID, set[uuid.UUID]], Awaitable[set[uuid.UUID]]]


def _parse(key: str) -> tuple[str, uuid.UUID, str] | None:
    prefix, _, rest = key.partition(":")
    if prefix not in PREFIXES:
        return None
    target, _, extra = rest.partition(":")
    try:
        return prefix, uuid.UUID(target), extra
    except ValueError:
        return None


async def _assessments_settled(
    session: AsyncSession, tenant_id: uuid.UUID, ids: set[uuid.UUID]
) -> set[uuid.UUID]:
    """Referrals whose initial assessment is recorded, that were declined, or are gone."""
    assessed = set(
        await session.scalars(
            select(Assessment.referral_id).where(
                Assessment.tenant_id == tenant_id,
                Assessment.referral_id.in_(ids),
                Assessment.kind.in_(INITIAL_KINDS),
            )
        )
    )
    live = set(
        await session.scalars(
            select(Referral.id).where(
                Referral.tenant_id == tenant_id,
                Referral.id.in_(ids),
                or_(Referral.decision.is_(None), Referral.decision != ReferralDecision.DECLINED),
            )
        )
    )
    # A newer referral of the same person (not declined) is the one whose assessment is
    # asked for now: the record's tag shows that one, so the older task closes.
    newer = aliased(Referral)
    superseded = set(
        await session.scalars(
            select(Referral.id).where(
                Referral.tenant_id == tenant_id,
                Referral.id.in_(ids),
                exists().where(
                    newer.tenant_id == Referral.tenant_id,
                    newer.person_id == Referral.person_id,
                    newer.received_at > Referral.received_at,
                    or_(newer.decision.is_(None), newer.decision != ReferralDecision.DECLINED),
                ),
            )
        )
    )
    return assessed | superseded | (ids - live)


async def _actions_settled(
    session: AsyncSession, tenant_id: uuid.UUID, ids: set[uuid.UUID]
) -> set[uuid.UUID]:
    open_ids = set(
        await session.scalars(
            select(PlanAction.id).where(
                PlanAction.tenant_id == tenant_id,
                PlanAction.id.in_(ids),
                PlanAction.completed_at.is_(None),
            )
        )
    )
    return ids - open_ids


async def _break_glass_settled(
    session: AsyncSession, tenant_id: uuid.UUID, ids: set[uuid.UUID]
) -> set[uuid.UUID]:
    pending = set(
        await session.scalars(
            select(BreakGlassGrant.id).where(
                BreakGlassGrant.tenant_id == tenant_id,
                BreakGlassGrant.id.in_(ids),
                BreakGlassGrant.reviewed_at.is_(None),
            )
        )
    )
    return ids - pending


async def _reviews_settled(session: AsyncSession, tenant_id: uuid.UUID, targets: Targets) -> Closed:
    """Review tasks (by notification id) after which the person's review was recorded."""
    tasks = [t for group in targets.values() for t in group if t.person_id is not None]
    if not tasks:
        return set()
    latest = dict(
        (
            await session.execute(
                select(OutcomeReview.person_id, OutcomeReview.created_at)
                .where(
                    OutcomeReview.tenant_id == tenant_id,
                    OutcomeReview.person_id.in_({t.person_id for t in tasks}),
                )
                .order_by(OutcomeReview.created_at)
            )
        ).all()
    )
    # Recorded since the reminder was made: the review it asked for (a review dated in the
    # past but entered now answers it too, as the worker meant).
    return {
        t.id
        for t in tasks
        if (done := latest.get(t.person_id)) is not None and _aware(done) >= _aware(t.created_at)
    }


def _aware(value: object) -> object:
    # SQLite returns naive datetimes for timezone-aware columns; compare like with like.
    return value.replace(tzinfo=None) if hasattr(value, "replace") else value  # type: ignore[union-attr]


async def _liberation_settled(
    session: AsyncSession, tenant_id: uuid.UUID, targets: Targets
) -> Closed:
    """Countdown tasks (``liberation:<person>:<date>:<step>``) whose release checklist is
    complete, or whose date is no longer the person's (moved, cleared, or released)."""
    tenant = await session.get(Tenant, tenant_id)
    people = {
        p.id: p
        for p in await session.scalars(
            select(Person).where(Person.tenant_id == tenant_id, Person.id.in_(set(targets)))
        )
    }
    live = [p for p in people.values() if p.location == Location.IN_CUSTODY and p.liberation_date]
    complete = (
        await complete_checklists(session, get_plugin_manager(), tenant, live) if tenant else set()
    )
    closed: Closed = set()
    for person_id, tasks in targets.items():
        person = people.get(person_id)
        for task in tasks:
            day = task.key.split(":")[2] if task.key.count(":") >= 2 else ""
            current = person is not None and person in live and str(person.liberation_date) == day
            if not current or person_id in complete:
                closed.add(task.id)
    return closed


async def _consent_renewed(session: AsyncSession, tenant_id: uuid.UUID, targets: Targets) -> Closed:
    """Expiry tasks whose consent was withdrawn, or given again: a newer consent of the same
    person, information and recipient, in force past the old one's expiry."""
    old = aliased(Consent)
    new = aliased(Consent)
    settled = set(
        await session.scalars(
            select(old.id).where(
                old.tenant_id == tenant_id,
                old.id.in_(set(targets)),
                or_(
                    old.withdrawn_at.is_not(None),
                    exists().where(
                        new.tenant_id == old.tenant_id,
                        new.person_id == old.person_id,
                        new.category == old.category,
                        new.recipient_organisation_id.is_not_distinct_from(
                            old.recipient_organisation_id
                        ),
                        new.recipient_kind.is_not_distinct_from(old.recipient_kind),
                        new.id != old.id,
                        new.withdrawn_at.is_(None),
                        new.given_at >= old.given_at,
                        or_(new.expires_at.is_(None), new.expires_at > old.expires_at),
                    ),
                ),
            )
        )
    )
    return _tasks_of(
        targets, settled | (set(targets) - await _existing(session, tenant_id, targets))
    )


async def _existing(
    session: AsyncSession, tenant_id: uuid.UUID, targets: Targets
) -> set[uuid.UUID]:
    return set(
        await session.scalars(
            select(Consent.id).where(Consent.tenant_id == tenant_id, Consent.id.in_(set(targets)))
        )
    )


def _tasks_of(targets: Targets, settled: set[uuid.UUID]) -> Closed:
    return {t.id for target in settled for t in targets.get(target, [])}


def by_target(check: TargetCheck) -> Settle:
    """A check that answers which targets are settled, as one that answers which tasks."""

    async def settle(session: AsyncSession, tenant_id: uuid.UUID, targets: Targets) -> Closed:
        return _tasks_of(targets, await check(session, tenant_id, set(targets)))

    return settle


# Each kind of task whose work can be recorded: the key prefixes it is filed under, and how
# it is settled. A new self-closing kind is one row here.
SETTLED_BY: dict[tuple[str, ...], Settle] = {
    ("assessment-due", "assessment-overdue"): by_target(_assessments_settled),
    ("plan-action",): by_target(_actions_settled),
    ("break-glass",): by_target(_break_glass_settled),
    ("outcome-review",): _reviews_settled,
    ("liberation",): _liberation_settled,
    ("consent-expiry",): _consent_renewed,
}
PREFIXES = tuple(p for prefixes in SETTLED_BY for p in prefixes)


async def close_settled(
    session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID | None = None
) -> int:
    """Mark done every open task (of ``user_id``, or of everyone) whose work is recorded.

    Runs in the caller's transaction; returns how many tasks it closed.
    """
    stmt = select(Notification).where(
        Notification.tenant_id == tenant_id,
        Notification.done_at.is_(None),
        or_(*(Notification.key.startswith(f"{p}:") for p in PREFIXES)),
    )
    if user_id is not None:
        stmt = stmt.where(Notification.user_id == user_id)
    rows = list((await session.scalars(stmt)).all())
    if not rows:
        return 0
    by_prefix: dict[str, dict[uuid.UUID, list[Notification]]] = defaultdict(dict)
    for row in rows:
        parsed = _parse(row.key)
        if parsed is not None:
            by_prefix[parsed[0]].setdefault(parsed[1], []).append(row)
    closing: set[uuid.UUID] = set()
    for prefixes, settle in SETTLED_BY.items():
        targets: Targets = {}
        for prefix in prefixes:
            for target, tasks in by_prefix.get(prefix, {}).items():
                targets.setdefault(target, []).extend(tasks)
        if targets:
            closing |= await settle(session, tenant_id, targets)

    # "Due today" becomes "overdue" the next day: one task per referral, the newer one.
    overdue = {
        (t.user_id, target)
        for target, tasks in by_prefix.get("assessment-overdue", {}).items()
        for t in tasks
    }
    closing.update(
        t.id
        for target, tasks in by_prefix.get("assessment-due", {}).items()
        for t in tasks
        if (t.user_id, target) in overdue
    )
    if not closing:
        return 0
    await session.execute(
        update(Notification)
        .where(Notification.tenant_id == tenant_id, Notification.id.in_(closing))
        .values(done_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return len(closing)
