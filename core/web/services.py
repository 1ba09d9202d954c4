"""Builds a domain service for a page, whichever identity it takes.

The sharing engine (issue 3) is moving the domain services from ``Actor`` to ``Access``
one domain at a time; a page must not break in between. A service whose first parameter
after the session is named ``access`` gets the request's Access, any other its actor.
"""

from __future__ import annotations

import inspect
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from core.authz.access import Access

S = TypeVar("S")


def domain_service(cls: type[S], session: AsyncSession, access: Access, *args: Any) -> S:
    names = list(inspect.signature(cls).parameters)
    who = access if len(names) > 1 and names[1] == "access" else access.actor
    return cls(session, who, *args)
