"""Case meetings: HMP Perth's daily Persons of Concern Group, and complex-case meetings.

Administration is kept to what the group needs (HMP Perth's tips): who attended, each person
discussed and why, the agreed actions with their owners, the outcome. A complex case is
escalated to a meeting of its own. The service is put together from one module per job:

- :mod:`core.meetings.agenda`: who to discuss, and earlier actions still open;
- :mod:`core.meetings.lifecycle`: start, read, list, close, escalate;
- :mod:`core.meetings.items`: attendees and the people discussed;
- :mod:`core.meetings.actions`: agreed actions, their named owners and their tasks;
- :mod:`core.meetings.base`: the lookups and the whole-meeting read they share.
"""

from __future__ import annotations

from core.meetings.actions import MeetingActions
from core.meetings.agenda import MeetingAgenda
from core.meetings.items import MeetingItems
from core.meetings.lifecycle import MeetingLifecycle
from core.meetings.outputs import action_out, attendee_out, item_out, meeting_summary

__all__ = ["MeetingService", "action_out", "attendee_out", "item_out", "meeting_summary"]


class MeetingService(MeetingLifecycle, MeetingItems, MeetingActions, MeetingAgenda):
    """One service for the API and the pages; each job lives in its own module."""
