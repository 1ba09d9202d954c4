"""`throughcare users`: create a user, reset a password."""

from __future__ import annotations

from typing import Any

import click

from core.cli.common import _run, console


@click.group()
def users() -> None:
    """User accounts."""


@users.command("create")
@click.argument("username")
@click.option("--name", "display_name", required=True, help="Full name shown to colleagues.")
@click.option("--tenant", help="Partnership slug for the membership.")
@click.option("--organisation", help="Organisation slug within the partnership.")
@click.option("--role", "roles", multiple=True, help="Role (repeatable).")
@click.option("--platform-admin", is_flag=True, help="Runs the platform; sees no case data.")
@click.password_option(help="Prompted for when not given.")
def users_create(
    username: str,
    display_name: str,
    tenant: str | None,
    organisation: str | None,
    roles: tuple[str, ...],
    platform_admin: bool,
    password: str,
) -> None:
    """Create a user, optionally a member of one partnership."""
    from core.accounts.admin import create_member

    if bool(tenant) != bool(organisation) or (tenant and not roles):
        raise click.UsageError("--tenant, --organisation and at least one --role go together")

    async def go(factory: Any) -> Any:
        async with factory() as session:
            return await create_member(
                session,
                username,
                display_name,
                password,
                tenant=tenant,
                organisation=organisation,
                roles=list(roles),
                is_platform_admin=platform_admin,
            )

    try:
        _run(go)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    console.print(f"[green]Created {username.lower()}.[/green]")


@users.command("reset-password")
@click.argument("username")
@click.password_option(help="Prompted for when not given.")
def users_reset_password(username: str, password: str) -> None:
    """Set a new password; every token the user holds is revoked."""
    from core.accounts.admin import reset_user_password

    async def go(factory: Any) -> Any:
        async with factory() as session:
            return await reset_user_password(session, username, password)

    try:
        _run(go)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    console.print(f"[green]Password reset for {username.lower()}; tokens revoked.[/green]")
