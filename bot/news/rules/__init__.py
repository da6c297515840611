"""Pure rules: decisions made from plain facts, and text read or written by rule (plain text,
search queries, OPML, typed times), with no I/O and no clock of their own, so that every
front end (delivery, previews, explanations, commands) asks the same function."""
