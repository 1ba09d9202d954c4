"""The demo protocols as tables: (who, how they stand to the person, consent?, category,
action) -> allowed. Each partnership's protocol is seeded as `tenants sync` seeds it (its
template plus the lines of the plugins it switches on); each row is checked against
Casbin's enforce() and against the compiled decision that the SQL filters use."""

from __future__ import annotations

import uuid

import pytest

from core.authz.access import Relation, explain
from core.authz.enforcer import TenantPolicy, subjects_of
from core.authz.protocol import ProtocolError, Vocabulary, parse, seed_text
from core.plugins import get_plugin_manager
from core.settings import PROJECT_ROOT
from core.tenancy.models import Tenant
from core.tenancy.spec import load_specs
from core.vocabulary import CORE_CATEGORIES, tenant_categories

POLICIES = PROJECT_ROOT / "policies"
ROLES = frozenset(
    {
        "partnership_lead",
        "case_worker",
        "nhs_nurse",
        "prison_officer",
        "housing_officer",
        "peer_mentor",
        "analyst",
    }
)

# role, organisation kind, relation to the person, consent given, category, action, allowed
COMMON = [
    # Who the person is: every partner; the analyst sees nobody.
    ("case_worker", "third_sector", "partnership", False, "identity", "read", True),
    ("nhs_nurse", "nhs", "partnership", False, "identity", "read", True),
    ("prison_officer", "prison", "partnership", False, "identity", "read", True),
    ("analyst", "third_sector", "partnership", False, "identity", "read", False),
    ("peer_mentor", "third_sector", "own_organisation", False, "identity", "read", False),
    ("peer_mentor", "third_sector", "assigned", False, "identity", "read", True),
    # Health stays with the NHS; a key worker reads it only for their own person, with consent.
    ("nhs_nurse", "nhs", "partnership", False, "health", "read", True),
    ("nhs_nurse", "nhs", "partnership", False, "health", "write", True),
    ("case_worker", "third_sector", "own_organisation", True, "health", "read", False),
    ("case_worker", "third_sector", "assigned", False, "health", "read", False),
    ("case_worker", "third_sector", "assigned", True, "health", "read", True),
    # ...and writes it (naloxone: the harm_reduction plugin, on everywhere) only so.
    ("case_worker", "third_sector", "assigned", True, "health", "write", True),
    ("case_worker", "third_sector", "own_organisation", True, "health", "write", False),
    ("prison_officer", "prison", "partnership", True, "health", "read", False),
    # Substance use: the recovery service for its own people; prison staff with consent.
    ("case_worker", "third_sector", "own_organisation", False, "substance_use", "write", True),
    ("case_worker", "third_sector", "partnership", False, "substance_use", "read", False),
    ("prison_officer", "prison", "partnership", False, "substance_use", "read", False),
    ("prison_officer", "prison", "partnership", True, "substance_use", "read", True),
    # Custody and risk: the prison, for everyone; key workers set liberation dates for theirs.
    ("prison_officer", "prison", "partnership", False, "custody", "write", True),
    ("case_worker", "third_sector", "own_organisation", False, "custody", "write", True),
    ("case_worker", "third_sector", "partnership", False, "custody", "write", False),
    ("case_worker", "third_sector", "partnership", False, "risk", "read", False),
    ("case_worker", "third_sector", "own_organisation", False, "risk", "read", True),
    # Case notes: partners working with the person; others only with consent.
    ("case_worker", "third_sector", "own_organisation", False, "case_notes", "read", True),
    ("case_worker", "third_sector", "partnership", False, "case_notes", "read", False),
    ("case_worker", "third_sector", "partnership", True, "case_notes", "read", True),
    ("case_worker", "third_sector", "partnership", True, "case_notes", "write", False),
    # Peer support: the mentor for the people they are matched with.
    ("peer_mentor", "third_sector", "assigned", False, "peer_support", "write", True),
    ("peer_mentor", "third_sector", "own_organisation", False, "peer_support", "read", False),
    # The protocol itself and the reports.
    ("partnership_lead", "third_sector", "partnership", False, "protocol", "manage", True),
    ("case_worker", "third_sector", "partnership", False, "protocol", "manage", False),
    ("analyst", "third_sector", "partnership", False, "reports", "read", True),
    ("case_worker", "third_sector", "partnership", False, "reports", "read", False),
    # Nothing unnamed is allowed: deny by default.
    ("housing_officer", "local_authority", "partnership", False, "health", "read", False),
    ("housing_officer", "local_authority", "partnership", False, "justice", "read", False),
]
# Family information (family_support) needs the person's consent to the partner, always.
FAMILY = [
    ("case_worker", "third_sector", "own_organisation", False, "family", "read", False),
    ("case_worker", "third_sector", "partnership", True, "family", "read", True),
    ("case_worker", "third_sector", "partnership", True, "family", "write", True),
]
# Housing (housing): the sub-group for everyone; key workers for their own people.
HOUSING = [
    ("housing_officer", "local_authority", "partnership", False, "housing", "write", True),
    ("case_worker", "third_sector", "own_organisation", False, "housing", "read", True),
    ("case_worker", "third_sector", "partnership", False, "housing", "read", False),
    ("case_worker", "third_sector", "own_organisation", False, "housing", "write", False),
]
# Where the plugins are off (HMP Perth), nobody gets housing or family at all.
NO_HOUSING_OR_FAMILY = [
    ("housing_officer", "local_authority", "partnership", False, "housing", "read", False),
    ("case_worker", "third_sector", "partnership", True, "family", "read", False),
]
PER_PARTNERSHIP = {
    "low-moss": [
        *FAMILY,
        *HOUSING,
        ("nhs_nurse", "nhs", "partnership", False, "case_notes", "read", False),
        ("prison_officer", "prison", "partnership", False, "case_notes", "read", False),
    ],
    # HMP Perth's daily group shares case notes across the prison and NHS Tayside.
    "hmp-perth": [
        *NO_HOUSING_OR_FAMILY,
        ("nhs_nurse", "nhs", "partnership", False, "case_notes", "read", True),
        ("prison_officer", "prison", "partnership", False, "case_notes", "read", True),
    ],
    # Leicester: probation reads justice and risk for the people it supervises.
    "leicester": [
        *FAMILY,
        *HOUSING,
        ("case_worker", "probation", "own_organisation", False, "justice", "write", True),
        ("case_worker", "probation", "partnership", False, "risk", "read", False),
        ("case_worker", "probation", "own_organisation", False, "risk", "read", True),
        ("nhs_nurse", "nhs", "partnership", False, "case_notes", "read", False),
    ],
}
CASES = [
    pytest.param(tenant, *row, id=f"{tenant}:{'-'.join(str(x) for x in row)}")
    for tenant, rows in PER_PARTNERSHIP.items()
    for row in [*COMMON, *rows]
]


def vocabulary(slug: str) -> Vocabulary:
    spec = next(s for s in load_specs(PROJECT_ROOT / "tenants") if s.slug == slug)
    categories = tenant_categories(get_plugin_manager(), spec.plugins)
    return Vocabulary(domain=slug, roles=ROLES, categories=frozenset(categories))


def policy(slug: str) -> TenantPolicy:
    spec = next(s for s in load_specs(PROJECT_ROOT / "tenants") if s.slug == slug)
    tenant = Tenant(slug=slug, nation=spec.nation, name=spec.name, config=spec.config())
    text = seed_text(POLICIES, get_plugin_manager(), tenant)
    parse(text, vocabulary(slug))
    return TenantPolicy(POLICIES / "model.conf", slug, 1, text)


def test_a_partnership_without_the_plugins_has_no_housing_or_family_category():
    assert {"housing", "family"} <= vocabulary("low-moss").categories
    assert not {"housing", "family"} & vocabulary("hmp-perth").categories
    bad = "p, r:housing_officer, hmp-perth, housing, read, partnership, no_consent\n"
    with pytest.raises(ProtocolError, match="unknown category 'housing'"):
        parse(bad, vocabulary("hmp-perth"))


@pytest.mark.parametrize(
    ("tenant", "role", "kind", "relation", "consent", "category", "action", "allowed"), CASES
)
def test_protocol_table(tenant, role, kind, relation, consent, category, action, allowed):
    p = policy(tenant)
    user, subjects = uuid.uuid4(), subjects_of((role,), kind)
    casbin_says, _ = p.enforce(user, subjects, category, action, relation, consent)
    grants = p.grants_for(user, subjects)
    rel = Relation(relation, frozenset({category} if consent else ()), frozenset())
    compiled = explain(grants.get(category, action), category, action, rel)
    assert casbin_says is allowed
    assert compiled.allowed is allowed, compiled.reason


def test_explanations_name_what_is_missing():
    p = policy("low-moss")
    user = uuid.uuid4()
    nurse = p.grants_for(user, subjects_of(("nhs_nurse",), "nhs"))
    worker = p.grants_for(uuid.uuid4(), subjects_of(("case_worker",), "third_sector"))
    stranger = Relation("partnership", frozenset(), frozenset())
    assigned = Relation("assigned", frozenset(), frozenset())

    allowed = explain(nurse.get("health", "read"), "health", "read", stranger)
    assert allowed.allowed and allowed.rule == "k:nhs, health, read, partnership, no_consent"
    no_rule = explain(worker.get("justice", "write"), "justice", "write", assigned)
    assert "no write access to justice" in no_rule.reason
    too_far = explain(worker.get("health", "read"), "health", "read", stranger)
    assert "only for people they are key worker for" in too_far.reason
    no_consent = explain(worker.get("health", "read"), "health", "read", assigned)
    assert "consent" in no_consent.reason and not no_consent.allowed
    glass = Relation("partnership", frozenset(), frozenset({"health"}))
    assert explain(worker.get("health", "read"), "health", "read", glass).rule == "break-glass"
    assert not explain(worker.get("health", "write"), "health", "write", glass).allowed


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("p, r:surgeon, low-moss, health, read, partnership, no_consent", "unknown subject"),
        ("p, r:nhs_nurse, low-moss, dental, read, partnership, no_consent", "unknown category"),
        ("p, r:nhs_nurse, low-moss, health, delete, partnership, no_consent", "unknown action"),
        ("p, r:nhs_nurse, low-moss, health, read, planet, no_consent", "unknown scope"),
        ("p, r:nhs_nurse, low-moss, health, read, partnership, maybe", "consent condition"),
        ("p, r:nhs_nurse, leicester, health, read, partnership, no_consent", "partnership must"),
        ("p, r:nhs_nurse, low-moss, health", "expected 'p, subject"),
    ],
)
def test_a_bad_line_is_refused_with_its_reason(line, problem):
    vocabulary = Vocabulary(domain="low-moss", roles=ROLES, categories=frozenset(CORE_CATEGORIES))
    with pytest.raises(ProtocolError) as info:
        parse(f"# fine\n{line}\n", vocabulary)
    assert "line 2" in str(info.value) and problem in str(info.value)
