"""Name lists for the synthetic demonstration data.

Every family name here is invented: each is a word meaning "not real" (Test, Sample,
Demo, Mock, ...) joined to an ordinary place-name ending, so that no demo record can be
mistaken for, or matched to, a real person. Given names are common first names, which
identify nobody on their own.
"""

from __future__ import annotations

# Words that say "this is not a real person".
FAMILY_ROOTS: tuple[str, ...] = (
    "Test",
    "Sample",
    "Demo",
    "Mock",
    "Dummy",
    "Proto",
    "Example",
    "Fiction",
    "Placebo",
    "Pretend",
    "Specimen",
    "Madeup",
)

FAMILY_ENDINGS: tuple[str, ...] = (
    "wood",
    "ton",
    "ford",
    "ley",
    "by",
    "field",
    "stone",
    "bridge",
    "burn",
    "croft",
)

# 120 invented surnames: Testwood, Sampleton, Demoford, Mockley, ...
FAMILY_NAMES: tuple[str, ...] = tuple(
    root + ending for root in FAMILY_ROOTS for ending in FAMILY_ENDINGS
)

GIVEN_NAMES: tuple[str, ...] = (
    "Aaron",
    "Adam",
    "Aidan",
    "Alan",
    "Alex",
    "Andrew",
    "Barry",
    "Ben",
    "Calum",
    "Chris",
    "Craig",
    "Daniel",
    "Darren",
    "David",
    "Dean",
    "Ewan",
    "Gary",
    "Graham",
    "Iain",
    "Jack",
    "James",
    "Jamie",
    "Jason",
    "John",
    "Jordan",
    "Kevin",
    "Kieran",
    "Lee",
    "Liam",
    "Mark",
    "Martin",
    "Michael",
    "Neil",
    "Paul",
    "Peter",
    "Ryan",
    "Scott",
    "Sean",
    "Stephen",
    "Steven",
    "Stuart",
    "Thomas",
    "Amy",
    "Claire",
    "Donna",
    "Emma",
    "Gemma",
    "Kayleigh",
    "Laura",
    "Lisa",
    "Nicola",
    "Sarah",
)
