from __future__ import annotations

import uuid
from datetime import date, datetime

import msgspec


class TaskOut(msgspec.Struct):
    id: uuid.UUID
    kind: str
    title: str
    link: str | None
    person_id: uuid.UUID | None
    due_date: date | None
    # Due before today (the reminder clock's today) and not done.
    overdue: bool
    created_at: datetime
    done_at: datetime | None
    # The person's name, only when the reader may see their identity; else None.
    person_name: str | None = None
