"""Assessments: screening, comprehensive (due in five working days), risk."""
