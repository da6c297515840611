"""Adapters: the core's own code that runs somewhere other than the event loop (worker
processes) or talks to the outside world on the core's behalf."""
