"""Synthetic demonstration data: ``throughcare demo load``.

Everything this package writes is invented. The people's family names are made-up words
that say so (Testwood, Sampleton, Demoford, ... see ``names``), NHS numbers come from the
range reserved for testing and CHI numbers merely pass the check digit; no record
describes a real person. The shapes, though, are the field's: referral sources, decisions,
caseload, liberation dates and outcomes follow the Low Moss Public Social Partnership's
evaluation and the other seed documents, relative to a chosen ``today``.

- ``names``: the fictional name lists.
- ``generator``: pure and deterministic, one partnership's rows from its ``[demo]`` seed,
  assembled from one module per domain: ``people``, ``referrals`` (episode timelines),
  ``assessments``, ``support`` (interventions, outcome reviews), ``plans``, ``consents``,
  ``meetings``; ``base`` holds what they share. Each plugin's demo is beside its plugin.
- ``loader``: ``load_demo`` creates the demo users and bulk-inserts the rows, idempotently.
"""
