"""Whether a headline says that something will not happen: a company or a government ruling
out what another has just done ("Royal Mail rules out peak surcharge for business parcels",
"Australia rules out parcel levy after New Zealand Budget move", "Bol keeps returns free:
'no plans to charge'", "Meesho says it will not raise shipping charges this festive season").

Such a report shares the fee, the levy or the charge and most words with the story of the
one that does it, so the join model takes it in; but it tells another party's decision not
to: another event. The clusterer keeps these reports and the others apart (``clusterer``);
reports of one refusal still go together.

Read by the form only: a refusal's phrase with its verb. A report of the event itself that
quotes what stays the same ("marketplace sellers told fees will not change", "Amazon won't
say how much it sold") is not one. Pure: the standard library only.
"""

from __future__ import annotations

import re

from bot.news.stories.needles import needles

__all__ = ["is_denial"]

# Lower-case patterns, matched against the lowered headline. "Will not" and "won't" count
# only before a verb of raising or bringing in a charge: "won't say", "won't go away",
# "fees will not change" tell something of the event itself.
_DENIAL_RE = re.compile(
    r"\brul(?:e|es|ed|ing) out\b|\bno plans? to\b|\bhas no plans?\b"
    r"|\b(?:will not|won't|won’t|not to) (?:raise|rise|increase|charge|introduce|impose|levy"
    r"|add|follow)\b"
    r"|\bsays no (?:new |extra |additional |peak )*(?:fees?|surcharges?|charges?|levy|levies"
    r"|price ris(?:e|es)|increases?)\b"
)
# Strings one of which every match holds, read from the pattern itself so they follow it when
# it changes: most headlines are passed over by a substring test. None: read every headline.
_NEEDLES = needles(_DENIAL_RE.pattern)

if _DENIAL_RE.pattern != _DENIAL_RE.pattern.lower():
    raise RuntimeError("denial patterns must be lower case")


def is_denial(title: str) -> bool:
    """Whether a (cleaned) headline says that a fee, a charge or a move will not happen."""
    lower = title.lower()
    if _NEEDLES is not None and not any(needle in lower for needle in _NEEDLES):
        return False
    return _DENIAL_RE.search(lower) is not None
