"""Forms for a person's episode and referrals: move the phase, take on a case, decide."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncSession

from core.authz.access import Access
from core.authz.actor import Actor
from core.episodes.models import Phase
from core.episodes.schemas import EpisodeUpdate, PhaseMove
from core.episodes.services import ALLOWED_MOVES, EpisodeService
from core.errors import not_found
from core.referrals.models import ReferralDecision
from core.referrals.schemas import ReferralDecide
from core.referrals.services import ReferralService
from core.web.filters import humanise
from core.web.forms import FormErrors, form_values, save_form
from core.web.record import PERSON, form_page, person_url

EPISODE = f"{PERSON}/episodes/{{episode_id:uuid}}"
REFERRAL = f"{PERSON}/referrals/{{referral_id:uuid}}"

DECISIONS = [
    (ReferralDecision.FULL_SUPPORT.value, "Full support package"),
    (ReferralDecision.BRIEF_INTERVENTION.value, "Brief intervention or duty support"),
    (ReferralDecision.DECLINED.value, "Declined: the offer is still recorded"),
]


async def episode_of(
    session: AsyncSession, access: Access, person_id: uuid.UUID, episode_id: uuid.UUID
) -> Any:
    episode = await EpisodeService(session, access).get(episode_id)
    if episode.person_id != person_id:
        raise not_found("Episode")
    return episode


def phase_options(current: str) -> list[tuple[str, str]]:
    return [(p.value, humanise(p.value)) for p in ALLOWED_MOVES[Phase(current)]]


@get(f"{EPISODE}/phase", include_in_schema=False)
async def phase_form(
    request: Request[Any, Any, Any],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
    person_id: FromPath[uuid.UUID],
    episode_id: FromPath[uuid.UUID],
) -> Template:
    episode = await episode_of(db_session, access, person_id, episode_id)
    return await form_page(
        request,
        access,
        db_session,
        person_id,
        "pages/phase_form.html",
        {},
        FormErrors(),
        episode=episode,
        phases=phase_options(episode.phase),
    )


@post(f"{EPISODE}/phase", include_in_schema=False)
async def phase_submit(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
    person_id: FromPath[uuid.UUID],
    episode_id: FromPath[uuid.UUID],
) -> Template | Redirect:
    episode = await episode_of(db_session, access, person_id, episode_id)
    values = form_values(await request.form())
    errors = FormErrors()
    if not values.get("to"):
        errors.add("to", "Select the phase to move to")
    if values.get("to") == Phase.CLOSED and not values.get("reason"):
        errors.add("reason", "Enter why the episode is closing")

    async def save(move: PhaseMove) -> None:
        await EpisodeService(db_session, access).move(episode_id, move)

    if await save_form(
        db_session,
        {"to": values.get("to"), "reason": values.get("reason") or None},
        PhaseMove,
        errors,
        {"to": "Select the phase to move to", "reason": "Reason is too long"},
        save,
        "to",
    ):
        return Redirect(person_url(actor, person_id, "phase"))
    return await form_page(
        request,
        access,
        db_session,
        person_id,
        "pages/phase_form.html",
        values,
        errors,
        episode=episode,
        phases=phase_options(episode.phase),
    )


@post(f"{EPISODE}/key-worker", include_in_schema=False)
async def take_on(
    actor: NamedDependency[Actor],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
    person_id: FromPath[uuid.UUID],
    episode_id: FromPath[uuid.UUID],
) -> Redirect:
    """The signed-in worker becomes the key worker: one click, as the meeting agrees it."""
    await episode_of(db_session, access, person_id, episode_id)
    await EpisodeService(db_session, access).update(
        episode_id, EpisodeUpdate(key_worker_id=actor.user_id)
    )
    return Redirect(person_url(actor, person_id, "key_worker"))


async def referral_of(
    session: AsyncSession, access: Access, person_id: uuid.UUID, referral_id: uuid.UUID
) -> Any:
    referral = await ReferralService(session, access).get(referral_id)
    if referral.person_id != person_id:
        raise not_found("Referral")
    return referral


@get(f"{REFERRAL}/decide", include_in_schema=False)
async def decide_form(
    request: Request[Any, Any, Any],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
    person_id: FromPath[uuid.UUID],
    referral_id: FromPath[uuid.UUID],
) -> Template:
    referral = await referral_of(db_session, access, person_id, referral_id)
    return await form_page(
        request,
        access,
        db_session,
        person_id,
        "pages/decide_form.html",
        {},
        FormErrors(),
        referral=referral,
        decisions=DECISIONS,
    )


@post(f"{REFERRAL}/decide", include_in_schema=False)
async def decide_submit(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
    person_id: FromPath[uuid.UUID],
    referral_id: FromPath[uuid.UUID],
) -> Template | Redirect:
    referral = await referral_of(db_session, access, person_id, referral_id)
    values = form_values(await request.form())
    errors = FormErrors()
    if values.get("decision") not in {d for d, _ in DECISIONS}:
        errors.add("decision", "Select the decision")

    async def save(decision: ReferralDecide) -> None:
        await ReferralService(db_session, access).decide(referral_id, decision)

    if await save_form(
        db_session,
        {"decision": values.get("decision"), "notes": values.get("notes") or None},
        ReferralDecide,
        errors,
        {"decision": "Select the decision", "notes": "Notes must be 4,000 characters or fewer"},
        save,
        "decision",
    ):
        return Redirect(person_url(actor, person_id, "decision") + "#referrals")
    if inspect(referral).expired:
        # A refusal rolled back and expired the loaded row: read it again for the page.
        referral = await referral_of(db_session, access, person_id, referral_id)
    return await form_page(
        request,
        access,
        db_session,
        person_id,
        "pages/decide_form.html",
        values,
        errors,
        referral=referral,
        decisions=DECISIONS,
    )


HANDLERS = [phase_form, phase_submit, take_on, decide_form, decide_submit]
