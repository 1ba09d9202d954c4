"""Case meetings: the daily Persons of Concern Group, and complex-case meetings."""
