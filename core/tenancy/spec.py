"""The shape of a tenant file (tenants/<slug>.toml), decoded and checked with msgspec."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

import msgspec

from core.tenancy.models import Nation, OrganisationKind

Slug = Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")]


class OrganisationSpec(msgspec.Struct, forbid_unknown_fields=True):
    slug: Slug
    name: str
    kind: OrganisationKind
    lead: bool = False
    # Local authorities differ: some register nobody for housing before liberation (Low Moss).
    housing_registration: Literal["before_liberation", "on_liberation_day"] | None = None


class RoleSpec(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(pattern=r"^[a-z_]{2,40}$")]
    description: str


class DemoUserSpec(msgspec.Struct, forbid_unknown_fields=True):
    username: str
    display_name: str
    organisation: Slug
    roles: list[str]


class DemoSpec(msgspec.Struct, forbid_unknown_fields=True):
    seed: int = 1
    persons: int = 100
    users: list[DemoUserSpec] = []


class TenantSpec(msgspec.Struct, forbid_unknown_fields=True):
    slug: Slug
    name: str
    nation: Nation
    protocol: str
    roles: list[RoleSpec]
    organisations: list[OrganisationSpec]
    plugins: list[str] = []
    plugin_settings: dict[str, dict[str, Any]] = {}
    demo: DemoSpec = msgspec.field(default_factory=DemoSpec)
    # Whether staff must pass a TOTP code at sign-in. Unset: required in production,
    # optional in development and test (core.accounts.second_factor.is_required).
    second_factor: Literal["required", "optional"] | None = None
    # The two-person rule: a protocol change that lets any organisation reach more than this
    # share of the caseload in a category waits for a second lead (core/authz/approvals.py).
    protocol_approval_threshold: Annotated[float, msgspec.Meta(ge=0, le=1)] = 0.5

    def config(self) -> dict[str, Any]:
        return {
            "protocol": self.protocol,
            "second_factor": self.second_factor,
            "roles": [r.name for r in self.roles],
            "role_descriptions": {r.name: r.description for r in self.roles},
            "plugins": list(self.plugins),
            "plugin_settings": self.plugin_settings,
            "protocol_approval_threshold": self.protocol_approval_threshold,
        }


class TenantFileError(ValueError):
    pass


def load_spec(path: Path) -> TenantSpec:
    try:
        spec = msgspec.toml.decode(path.read_bytes(), type=TenantSpec)
    except msgspec.ValidationError as exc:
        raise TenantFileError(f"{path.name}: {exc}") from None
    except msgspec.DecodeError as exc:
        raise TenantFileError(f"{path.name}: not valid TOML ({exc})") from None
    problems: list[str] = []
    if path.stem != spec.slug:
        problems.append(f"file name must be {spec.slug}.toml")
    org_slugs = [o.slug for o in spec.organisations]
    if len(set(org_slugs)) != len(org_slugs):
        problems.append("organisation slugs must be unique")
    if sum(o.lead for o in spec.organisations) != 1:
        problems.append("exactly one organisation must be the lead")
    roles = {r.name for r in spec.roles}
    for user in spec.demo.users:
        if user.organisation not in org_slugs:
            problems.append(f"demo user {user.username}: unknown organisation {user.organisation}")
        for role in user.roles:
            if role not in roles:
                problems.append(f"demo user {user.username}: unknown role {role}")
    if problems:
        raise TenantFileError(f"{path.name}: " + "; ".join(problems))
    return spec


def load_specs(directory: Path) -> list[TenantSpec]:
    return [load_spec(p) for p in sorted(directory.glob("*.toml"))]
