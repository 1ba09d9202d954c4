"""Assessments: screening (the initial assessment, due in five working days), comprehensive
(for those who need structured treatment), risk."""
