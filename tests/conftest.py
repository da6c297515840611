"""Settings every test shares."""

from __future__ import annotations

from hypothesis import settings

# Hypothesis fails an example that takes over 200 ms by default: an assertion on wall-clock
# time, which a busy machine breaks (a story property test did, at 260 ms, under load). The
# suite asserts no speed (tests/test_no_wall_clock.py); benchmarks/ measures it.
settings.register_profile("shopwire", deadline=None)
settings.load_profile("shopwire")
