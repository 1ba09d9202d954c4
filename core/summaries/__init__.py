"""The episode summary for the Offender Manager.

The service specification: "summary reports of assessment and intervention to the
Offender Manager and key staff involved in the individual's sentence and needs after each
episode of intervention". A summary carries only what the sender may read *and* the
person has consented to share with the recipient, category by category; sending it is
recorded with the categories it held and a hash of what was sent.
"""
