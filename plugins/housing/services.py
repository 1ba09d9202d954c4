"""Housing: the service the API and pages use, assembled from the ``board`` and the
``housing_record`` parts. The rules (pipeline, authorities' registration, the flag) are in
``rules``; the records and the service's base in ``records``.
"""

from __future__ import annotations

from plugins.housing.board import BoardMixin
from plugins.housing.housing_record import RecordMixin


class HousingService(BoardMixin, RecordMixin):
    """Housing's API and pages: every method checks the protocol and audits."""
