"""Pure rules: decisions made from plain facts, with no I/O and no clock of their own, so that
every front end (delivery, previews, explanations, commands) asks the same function."""
