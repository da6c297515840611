"""Company and topic tagging: the project's own tables (``companies``, ``topics``) and the
taggers that run them over an item's text. Pure; nothing here does I/O."""
