"""Recovery plans: goals, actions with owners, the contingency plan, reviews, handover."""
