"""The management routing table (management_routing.dmn) as administrators edit it (§7.8, §8.4)."""
from __future__ import annotations

from forms.validate import N_
from processes.usecases.kinds import RoutingCase, RoutingSpec

# the areas the submission form offers, with its labels; "" is general material
AREAS = (("finance", N_("Finance and economy")), ("academic", N_("Academic affairs")),
         ("research", N_("Research")), ("international", N_("International affairs")),
         ("youth", N_("Youth policy")), ("strategy", N_("Strategic development")))
OTHER = '? not in ("finance", "academic", "research", "international", "youth", "strategy")'

ROUTING = RoutingSpec(
    decision="management_routing",
    title=N_("Who in management agrees material for the mass media"),
    question=N_("Who in management would agree material for the mass media today"),
    clause="§7.8, §8.4",
    inputs={"Input_Area": N_("Area of responsibility")},
    entries={"Input_Area": (*((f'"{key}"', label) for key, label in AREAS),
                            (OTHER, N_("General (no area or another one)")), ("-", N_("Any")))},
    roles=("rector", "vice_rector:finance", "vice_rector:academic", "vice_rector:research",
           "vice_rector:international", "vice_rector:youth", "mcd_head"),
    cases=(*(RoutingCase(key, (label,), {"area": key}) for key, label in AREAS),
           RoutingCase("general", (N_("General"),), {"area": ""})),
    output_label=N_("Member of management who agrees it"),
)
