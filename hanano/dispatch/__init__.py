"""Dispatch and rescue operations: teams, hospitals, tasks, worksites, victims, roads,
recommendations and the safety of rescuers (double-tap watch, pull-backs, check-ins)."""
