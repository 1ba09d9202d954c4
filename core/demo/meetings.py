"""The partnership's daily meetings over the last two weeks, and one escalated case."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta

from core.demo.base import (
    ASSESSMENT,
    CUSTODY,
    GeneratorBase,
    OrgRef,
    PersonDraft,
    UserRef,
)
from core.meetings.models import (
    CaseMeeting,
    MeetingAction,
    MeetingAttendee,
    MeetingItem,
    MeetingKind,
)
from core.tenancy.models import OrganisationKind
from core.working_days import is_working_day

MEETING_REASONS: tuple[str, ...] = (
    "Raised in last night's report.",
    "Positive drug test this week.",
    "Liberation is close: housing not yet confirmed.",
    "Missed two appointments.",
    "Returned from hospital after a suspected overdose.",
)
MEETING_DISCUSSIONS: tuple[str, ...] = (
    "Each partner shared what it knows; the person has asked for help before.",
    "Low mood reported by hall staff; healthcare to review today.",
    "Support offered last week was declined; the group considered what more to offer.",
    "Housing and prescribing arrangements for liberation day discussed.",
)
MEETING_OUTCOMES: tuple[str, ...] = (
    "Recovery-focused plan agreed.",
    "Offer of support repeated; to be reviewed tomorrow.",
    "Referred for a full assessment.",
    "No further action; keep under review.",
)
MEETING_ACTIONS: tuple[str, ...] = (
    "See the person today and offer support.",
    "Healthcare review this afternoon.",
    "Chase the housing application.",
    "Offer a naloxone kit and training.",
    "Arrange a peer mentor visit.",
)


class MeetingsMixin(GeneratorBase):
    def meetings(self) -> None:
        """A handful of daily meetings over the last two weeks, and one escalated case."""
        rng = self.rng
        concern = [p for p in self.persons if p.status in (CUSTODY, ASSESSMENT)]
        if not concern:
            return
        days = [
            self.today - timedelta(days=n)
            for n in range(1, 15)
            if is_working_day(self.today - timedelta(days=n), self.nation)
        ][:6]
        days.reverse()
        chair = next((u for u in self.users if "partnership_lead" in u.roles), None)
        core = self.orgs_of(OrganisationKind.PRISON, OrganisationKind.NHS)
        if self.lead_org not in core:
            core.append(self.lead_org)
        others = [o for o in self.orgs if o not in core]
        escalate_at = len(days) // 2
        for n, held in enumerate(days):
            extra = rng.sample(others, min(len(others), rng.randint(1, 2)))
            attending = [*core, *extra]
            meeting_id = self.meeting(
                held,
                MeetingKind.DAILY,
                f"{self.spec.name}: daily meeting, {held:%A %d %B %Y}",
                chair,
                attending,
            )
            for person in rng.sample(concern, min(len(concern), rng.randint(2, 5))):
                escalated = n == escalate_at and not self.escalations
                self.item(meeting_id, held, person, attending, escalated)
                if escalated:
                    self.escalations.append((meeting_id, held, person))
        # Complex case meetings follow the daily ones, so the rows they point at come first.
        for meeting_id, held, person in self.escalations:
            later = [d for d in days if d > held] or [held]
            attending = list(core)
            complex_id = self.meeting(
                later[0],
                MeetingKind.COMPLEX_CASE,
                f"Complex case meeting: {person.given} {person.family}",
                chair,
                attending,
                escalated_from=meeting_id,
                person=person,
            )
            self.item(complex_id, later[0], person, attending, False)

    def meeting(
        self,
        held: date,
        kind: str,
        title: str,
        chair: UserRef | None,
        attending: list[OrgRef],
        *,
        escalated_from: uuid.UUID | None = None,
        person: PersonDraft | None = None,
    ) -> uuid.UUID:
        start = datetime.combine(held, time(9, 0), UTC)
        meeting_id = self.add(
            CaseMeeting,
            start,
            kind=str(kind),
            held_on=held,
            title=title,
            escalated_from_meeting_id=escalated_from,
            escalated_person_id=person.id if person else None,
            chair_id=chair.id if chair else None,
            notes="Brief meeting; core membership from every discipline.",
            closed_at=start + timedelta(minutes=self.rng.randint(25, 50)),
        )
        for org in attending:
            user = self.user_of(org)
            self.add(
                MeetingAttendee,
                start,
                meeting_id=meeting_id,
                organisation_id=org.id,
                user_id=user.id if user else None,
                name=user.display_name if user else self.staff_name(org),
            )
        return meeting_id

    def item(
        self,
        meeting_id: uuid.UUID,
        held: date,
        person: PersonDraft,
        attending: list[OrgRef],
        escalated: bool,
    ) -> None:
        rng = self.rng
        start = datetime.combine(held, time(9, 0), UTC)
        item_id = self.add(
            MeetingItem,
            start,
            meeting_id=meeting_id,
            person_id=person.id,
            reason=rng.choice(MEETING_REASONS),
            discussion=rng.choice(MEETING_DISCUSSIONS),
            outcome="Escalated to a complex case meeting."
            if escalated
            else rng.choice(MEETING_OUTCOMES),
            escalated=escalated,
        )
        for _ in range(rng.randint(1, 2)):
            owner = rng.choice(attending)
            user = self.user_of(owner)
            due = held + timedelta(days=rng.randint(0, 5))
            completed: datetime | None = None
            if due < self.today and rng.random() < 0.6:
                completed = self.clamp(self.at(due, 10, 17), start)
            self.add(
                MeetingAction,
                start,
                meeting_id=meeting_id,
                item_id=item_id,
                description=rng.choice(MEETING_ACTIONS),
                owner_organisation_id=owner.id,
                owner_user_id=user.id if user else None,
                due_on=due,
                completed_at=completed,
            )
