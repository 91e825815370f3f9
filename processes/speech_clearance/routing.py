"""The speech text routing table (approver_routing.dmn) as administrators edit it (§8.6, §8.4)."""
from __future__ import annotations

from itertools import combinations

from forms.validate import N_
from processes.usecases.kinds import RoutingCase, RoutingSpec

YES_NO_ANY = (("True", N_("Yes")), ("False", N_("No")), ("-", N_("Any")))
# the categories the submission form offers, in its order, with its labels
CATEGORIES = (("finance", N_("Financial and economic activity")), ("strategy", N_("Business strategy")),
              ("significant_facts", N_("Other significant facts")))


def _cases() -> tuple[RoutingCase, ...]:
    """Every non-empty set of ticked categories (a text with none needs no clearance)."""
    found = []
    for size in range(1, len(CATEGORIES) + 1):
        for chosen in combinations(CATEGORIES, size):
            found.append(RoutingCase("+".join(k for k, _ in chosen), tuple(label for _, label in chosen),
                                     {"categories": [k for k, _ in chosen]}))
    return tuple(found)


ROUTING = RoutingSpec(
    decision="approver_routing",
    title=N_("Who clears a speech text"),
    question=N_("Who would clear a speech text today"),
    clause="§8.6, §8.4",
    inputs={"Input_Strategy": N_("Business strategy"),
            "Input_Finance": N_("Financial and economic activity"),
            "Input_SignificantFacts": N_("Other significant facts")},
    entries={"Input_Strategy": YES_NO_ANY, "Input_Finance": YES_NO_ANY, "Input_SignificantFacts": YES_NO_ANY},
    roles=("rector", "vice_rector:finance", "vice_rector:academic", "vice_rector:research",
           "vice_rector:international", "vice_rector:youth", "mcd_head"),
    cases=_cases(),
    output_label=N_("Public person who clears it"),
)
