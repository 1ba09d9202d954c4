"""What the national returns need to know about a person (NDTMS in England, DAISy in
Scotland): equality items, where they live, their legal status and release dates as the
justice system states them, and their problem substances. Each item is in its own
sharing category; "not stated" is always an answer."""
