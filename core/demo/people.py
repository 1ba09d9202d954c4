"""Who the people are: their statuses in the caseload's shape, names and identity numbers,
the decisions their referrals will get, and where they are (custody or community).
"""

from __future__ import annotations

from datetime import date, timedelta
from itertools import pairwise

from core.demo.base import (
    ASSESSMENT,
    CLOSED,
    COMMUNITY,
    CUSTODY,
    EpisodeDraft,
    GeneratorBase,
    PersonDraft,
    check_digit,
    prison_prefix,
)
from core.demo.names import FAMILY_NAMES, GIVEN_NAMES
from core.persons.models import Location
from core.referrals.models import ReferralDecision
from core.tenancy.models import OrganisationKind

# Low Moss, 19 March 2015: 198 active of ~600 people; 104 community, 78 custody, 16 assessment.
ACTIVE_SHARE = 198 / 600
COMMUNITY_SHARE = 104 / 198
ASSESSMENT_SHARE = 16 / 198
FULL_SUPPORT_SHARE = 0.36  # of decided referrals not declined (206 of 571)
WINDOW_DAYS = 335  # about eleven months of referrals
PRE_LIBERATION_DAYS = 42  # an episode moves to pre-liberation six weeks before release


class PeopleMixin(GeneratorBase):
    def statuses(self, count: int) -> list[str]:
        active = round(count * ACTIVE_SHARE)
        assessment = max(1, round(active * ASSESSMENT_SHARE)) if active else 0
        community = min(active - assessment, round(active * COMMUNITY_SHARE))
        custody = active - assessment - community
        statuses = (
            [COMMUNITY] * community
            + [CUSTODY] * custody
            + [ASSESSMENT] * assessment
            + [CLOSED] * (count - active)
        )
        self.rng.shuffle(statuses)
        return statuses

    def identity_numbers(self, count: int) -> tuple[list[str], list[date], list[str]]:
        prefix = prison_prefix(self.spec.slug)
        prison = [f"{prefix}{n}" for n in self.rng.sample(range(100000, 1000000), count)]
        births: list[date] = []
        numbers: list[str] = []
        seen: set[str] = set()
        scotland = self.nation == "scotland"
        for _ in range(count):
            age = int(self.rng.triangular(18, 64, 31))
            born = self.today - timedelta(days=365 * age + self.rng.randint(0, 364))
            births.append(born)
            while True:
                # CHI numbers begin with the date of birth; NHS numbers here use 999, the
                # range NHS England reserves for testing.
                head = born.strftime("%d%m%y") if scotland else "999"
                nine = head + "".join(str(self.rng.randint(0, 9)) for _ in range(9 - len(head)))
                check = check_digit(nine)
                number = f"{nine}{check}"
                if check != 10 and number not in seen:
                    seen.add(number)
                    numbers.append(number)
                    break
        return prison, births, numbers

    def plan_people(self) -> None:
        count = self.spec.demo.persons
        statuses = self.statuses(count)
        names = self.rng.sample(range(len(GIVEN_NAMES) * len(FAMILY_NAMES)), count)
        prison, births, numbers = self.identity_numbers(count)
        assessment_seen = 0
        establishment = next((o.name for o in self.orgs if o.kind == OrganisationKind.PRISON), None)
        for i, status in enumerate(statuses):
            given = GIVEN_NAMES[names[i] % len(GIVEN_NAMES)]
            family = FAMILY_NAMES[names[i] // len(GIVEN_NAMES)]
            person = PersonDraft(id=self.uid(), given=given, family=family, status=status)
            if status == ASSESSMENT:
                # The first is past its five working days, so the overdue list has someone.
                ago = 12 if assessment_seen == 0 else self.rng.randint(1, 16)
                assessment_seen += 1
            elif status == CUSTODY:
                ago = self.rng.randint(14, 300)
            elif status == COMMUNITY:
                ago = self.rng.randint(45, 330)
            else:
                ago = self.rng.randint(25, WINDOW_DAYS)
            final_day = self.today - timedelta(days=ago)
            draw = self.rng.random()
            earlier = 2 if draw < 0.04 else 1 if draw < 0.20 else 0
            earlier = min(earlier, (WINDOW_DAYS - ago - 10) // 45)
            episodes: list[EpisodeDraft] = []
            if earlier > 0:
                room = WINDOW_DAYS - ago - 10
                slot = room // earlier
                for k in range(earlier):
                    start = WINDOW_DAYS - k * slot - self.rng.randint(0, slot // 3)
                    opened = self.today - timedelta(days=start)
                    slot_end = self.today - timedelta(days=WINDOW_DAYS - (k + 1) * slot)
                    episodes.append(
                        EpisodeDraft(
                            id=self.uid(),
                            status=CLOSED,
                            received_day=opened,
                            close_by=min(slot_end, final_day - timedelta(days=7)),
                        )
                    )
            final = EpisodeDraft(id=self.uid(), status=status, received_day=final_day)
            if status == COMMUNITY and self.rng.random() < 0.2:
                final.community_referred = True
            episodes.append(final)
            for before, after in pairwise(episodes):
                after.previous_id = before.id
            person.episodes = episodes
            self.persons.append(person)
            self.person_rows[person.id] = {
                "given_name": given,
                "family_name": family,
                "sort_name": f"{family} {given}".lower(),
                "date_of_birth": births[i],
                "prison_number": prison[i],
                "nhs_number": numbers[i],
                "establishment": establishment,
            }

    def assign_decisions(self) -> None:
        """Quotas, so that the shape holds for any number of people."""
        open_eps = [e for p in self.persons for e in p.episodes if e.status in (CUSTODY, COMMUNITY)]
        closed_eps = [e for p in self.persons for e in p.episodes if e.status == CLOSED]
        declined = max(1, round(0.05 * len(closed_eps))) if closed_eps else 0
        full_total = round(FULL_SUPPORT_SHARE * (len(open_eps) + len(closed_eps) - declined))
        # Full support packages last: most of the active caseload is on one.
        full_open = min(len(open_eps), round(0.6 * len(open_eps)), full_total)
        full_closed = max(0, full_total - full_open)
        self.rng.shuffle(open_eps)
        for i, episode in enumerate(open_eps):
            episode.decision = (
                ReferralDecision.FULL_SUPPORT
                if i < full_open
                else ReferralDecision.BRIEF_INTERVENTION
            )
        self.rng.shuffle(closed_eps)
        for i, episode in enumerate(closed_eps):
            if i < declined:
                episode.decision = ReferralDecision.DECLINED
            elif i < declined + full_closed:
                episode.decision = ReferralDecision.FULL_SUPPORT
            else:
                episode.decision = ReferralDecision.BRIEF_INTERVENTION

    def place(self, person: PersonDraft) -> None:
        """Reception and liberation dates, and where the person is now."""
        final = person.episodes[-1]
        first_day = person.episodes[0].received_day
        ago = (self.today - final.received_day).days
        person.reception = first_day - timedelta(days=self.rng.randint(2, 120))
        if person.status == CUSTODY:
            draw = self.rng.random()
            if draw < 0.75:  # the housing board and liberation countdowns need these
                person.liberation = self.today + timedelta(days=self.rng.randint(7, 112))
            elif draw < 0.9:
                person.liberation = self.today + timedelta(days=self.rng.randint(113, 400))
        elif person.status == ASSESSMENT:
            if self.rng.random() < 0.6:
                person.liberation = self.today + timedelta(days=self.rng.randint(14, 200))
        elif person.status == COMMUNITY:
            person.location = Location.IN_COMMUNITY
            if final.community_referred:
                person.liberation = final.received_day - timedelta(days=self.rng.randint(3, 90))
                person.reception = person.liberation - timedelta(days=self.rng.randint(30, 400))
            else:
                person.liberation = final.received_day + timedelta(
                    days=self.rng.randint(21, ago - 3)
                )
        elif (
            final.decision == ReferralDecision.FULL_SUPPORT
            and ago >= 60
            and self.rng.random() < 0.6  # supported through the gate, then closed
        ):
            person.location = Location.IN_COMMUNITY
            person.liberation = final.received_day + timedelta(days=self.rng.randint(21, ago - 20))

    def place_after_closure(self, person: PersonDraft) -> None:
        """A closed person not supported through the gate: still in, or released since."""
        final = person.episodes[-1]
        if person.status != CLOSED or person.liberation is not None:
            return
        assert final.closed is not None
        room = (self.today - final.closed.date()).days - 1
        if room >= 1 and self.rng.random() < 0.5:
            person.location = Location.IN_COMMUNITY
            person.liberation = final.closed.date() + timedelta(days=self.rng.randint(1, room))
        elif self.rng.random() < 0.8:
            person.liberation = self.today + timedelta(days=self.rng.randint(7, 300))
