"""Tasks that close themselves: a task whose work has been recorded is done.

A reminder's ``key`` names the row it is about (``assessment-overdue:<referral id>``,
``plan-action:<action id>:<due>``, ...). The condition for each kind is read here from the
same rows the reminder jobs read, so the list never asks for work that is already done. It
runs before a user's list is read and after each reminder job, so it needs no event wiring
in every service that records the work.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable

from sqlalchemy import exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from core.assessments.models import Assessment, AssessmentKind
from core.authz.models import BreakGlassGrant
from core.db.base import utcnow
from core.notifications.models import Notification
from core.outcomes.models import OutcomeReview
from core.plans.models import PlanAction
from core.referrals.models import Referral, ReferralDecision

# The key's prefix for each kind whose work can be recorded.
PREFIXES = ("assessment-due", "assessment-overdue", "plan-action", "outcome-review", "break-glass")


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
    """Referrals whose comprehensive assessment is recorded, that were declined, or are gone."""
    assessed = set(
        await session.scalars(
            select(Assessment.referral_id).where(
                Assessment.tenant_id == tenant_id,
                Assessment.referral_id.in_(ids),
                Assessment.kind == AssessmentKind.COMPREHENSIVE,
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


async def _reviews_settled(
    session: AsyncSession, tenant_id: uuid.UUID, tasks: Iterable[Notification]
) -> set[uuid.UUID]:
    """Review tasks (by notification id) after which the person's review was recorded."""
    tasks = [t for t in tasks if t.person_id is not None]
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


Settle = Callable[[AsyncSession, uuid.UUID, set[uuid.UUID]], object]


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

    async def settle(prefixes: tuple[str, ...], check: Settle) -> None:
        targets: dict[uuid.UUID, list[Notification]] = {}
        for prefix in prefixes:
            for target, tasks in by_prefix.get(prefix, {}).items():
                targets.setdefault(target, []).extend(tasks)
        if targets:
            settled = await check(session, tenant_id, set(targets))  # type: ignore[misc]
            closing.update(t.id for target in settled for t in targets[target])

    await settle(("assessment-due", "assessment-overdue"), _assessments_settled)
    await settle(("plan-action",), _actions_settled)
    await settle(("break-glass",), _break_glass_settled)

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
    reviews = [t for tasks in by_prefix.get("outcome-review", {}).values() for t in tasks]
    closing |= await _reviews_settled(session, tenant_id, reviews)
    if not closing:
        return 0
    await session.execute(
        update(Notification)
        .where(Notification.tenant_id == tenant_id, Notification.id.in_(closing))
        .values(done_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return len(closing)
