"""Domain events: published in the transaction of the change, answered with outbox jobs.

``publish`` asks the plugins this tenant has switched on (and core) what should happen,
through the ``on_domain_event`` hook, and writes every answer to the outbox in the caller's
transaction: the change and the jobs it causes commit together or not at all.
"""

from __future__ import annotations

import uuid
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

import msgspec
import pluggy
from sqlalchemy.ext.asyncio import AsyncSession

from core.hooktypes import EVENT_NAMES, DomainEvent, JobRequest
from core.plugins import get_plugin_manager, tenant_hook

if TYPE_CHECKING:
    from core.authz.actor import Actor

# Set per request by the app's jobs plugin, so an app built with its own plugin manager
# (a test's) is the one asked; outside a request the process-wide manager answers.
_plugin_manager: ContextVar[pluggy.PluginManager | None] = ContextVar(
    "throughcare_plugin_manager", default=None
)


def set_plugin_manager(pm: pluggy.PluginManager | None) -> Any:
    return _plugin_manager.set(pm)


def reset_plugin_manager(token: Any) -> None:
    _plugin_manager.reset(token)


def current_plugin_manager() -> pluggy.PluginManager:
    return _plugin_manager.get() or get_plugin_manager()


async def publish(
    session: AsyncSession,
    actor: Actor,
    name: str,
    *,
    person_id: uuid.UUID | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """Publish ``name`` for the actor's tenant; the jobs it causes join the caller's
    transaction (the caller commits). ``data`` holds facts (ids, ISO dates), never notes."""
    from core.jobs.outbox import enqueue

    if name not in EVENT_NAMES:
        raise ValueError(f"unknown domain event {name!r}; known: {', '.join(EVENT_NAMES)}")
    event = DomainEvent(
        name=name,
        tenant_id=actor.tenant_id,
        tenant_slug=actor.tenant_slug,
        person_id=person_id,
        actor_user_id=actor.user_id,
        data=data or {},
    )
    hook = tenant_hook(current_plugin_manager(), "on_domain_event", actor.enabled_plugins)
    for answer in hook(event=event):
        for request in answer or []:
            # A plugin's answer crosses into the outbox: check it is what the hook promises.
            checked = msgspec.convert(msgspec.to_builtins(request), JobRequest)
            await enqueue(session, actor.tenant_id, checked.job, checked.key, checked.args)
