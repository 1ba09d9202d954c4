"""Outcome reviews on the seven Low Moss domains, and distance travelled."""
