"""Onward referrals: from the partnership to another service, and what became of them.

The service specification asks for "appropriate referral to prison psychological services
... via the Prison GP or the Offender Management Team", community treatment on release and
links to mutual aid; each is sent, then accepted or declined, then attended or not.
"""
