"""Structured treatment: the treatment a person is *in*, not only what partners did.

Interventions are point events; a treatment modality runs from a start to an end with a
coded exit, and the person's treatment goal is a dated history. Holme House: men "may
also change their treatment goals during a single sentence".
"""
