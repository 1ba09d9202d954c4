"""Reports: KPI queries over the case tables, small-number suppression, exports, the
six-monthly report job."""
