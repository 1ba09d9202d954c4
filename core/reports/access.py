"""Who may run reports: the protocol's tenant-level ``reports`` permission (the partnership
lead and analysts in the templates); exact, unsuppressed figures are the lead's alone.
"""

from __future__ import annotations

from litestar.exceptions import PermissionDeniedException

from core.authz.access import Access


async def report_access(access: Access, *, exact: bool) -> bool:
    """403 unless the protocol gives the actor ``reports``/``read`` (the partnership lead and
    analysts in the templates); True when the figures must be suppressed."""
    await access.require_tenant("reports", "read")
    # Exact figures are a lead's management view, never an analyst's: decided by role, as
    # the protocol has no finer permission than reading reports.
    if exact and not access.actor.has_role("partnership_lead"):
        raise PermissionDeniedException(
            detail="Exact figures are for the partnership lead; analysts see suppressed "
            "figures only",
            extra=[{"key": "exact", "message": "not allowed for this role"}],
        )
    return not exact
