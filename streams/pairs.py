"""Which incident types are one emergency when reported near each other, as a responder sees
it: each pair added or refused with why (fusion's ``join_radius_m`` applies them)."""

from __future__ import annotations

from streams.contract import IncidentType

T = IncidentType

__all__ = ["PAIRS", "REFUSED"]

PAIRS: dict[frozenset[IncidentType], str] = {
    frozenset(pair): reason
    for *pair, reason in [
        (T.FIRE, T.MEDICAL, "people hurt by smoke or flames are the fire's casualties"),
        (T.FIRE, T.RESCUE, "people trapped in a burning building are the fire's rescue"),
        (T.FIRE, T.CARDIAC_ARREST, "a collapsed, breathless person at a fire is a smoke victim"),
        (T.FIRE, T.COLLAPSE, "burning buildings fall in: one scene, one command"),
        (T.FIRE, T.GAS_LEAK, "a gas smell next to a fire is its fuel or its next explosion"),
        (T.FIRE, T.HAZMAT, "burning chemicals or toxic smoke (a tunnel CO alarm) are the fire"),
        (T.FIRE, T.TRAFFIC, "a vehicle burning after a crash is one scene"),
        (T.CROWD, T.MEDICAL, "falls and fainting in a crush are the crush's casualties"),
        (T.CROWD, T.CARDIAC_ARREST, "cardiac arrests in a crush are compressive asphyxia"),
        (T.CROWD, T.RESCUE, "people pinned under others (깔렸어요) are the crush"),
        (T.CROWD, T.COLLAPSE, "a crowd on what gives way (판교 환풍구, 2014) is one scene"),
        (T.CARDIAC_ARREST, T.MEDICAL, "a patient who stops breathing is the same patient"),
        (T.COLLAPSE, T.RESCUE, "people trapped in rubble are the collapse"),
        (T.COLLAPSE, T.MEDICAL, "people hurt by falling debris are the collapse's casualties"),
        (T.COLLAPSE, T.CARDIAC_ARREST, "a victim without a pulse in the rubble is the collapse's"),
        (T.COLLAPSE, T.GAS_LEAK, "gas explosions bring buildings down"),
        (T.TRAFFIC, T.MEDICAL, "people hurt in a crash are the crash's casualties"),
        (T.TRAFFIC, T.RESCUE, "people trapped in wrecked vehicles are the crash"),
        (T.TRAFFIC, T.CARDIAC_ARREST, "a driver in arrest at a crash is the crash's patient"),
        (T.HAZMAT, T.GAS_LEAK, "a gas leak is a hazardous-materials release"),
        (T.HAZMAT, T.MEDICAL, "people overcome by fumes are the release's casualties"),
        (T.GAS_LEAK, T.MEDICAL, "people dizzy or unconscious from gas are the leak's casualties"),
        (T.FLOOD, T.RESCUE, "people stranded by water are the flood's rescue"),
        (T.STRUCTURAL, T.COLLAPSE, "a strained structure that falls is one structure"),
        (T.EARTHQUAKE, T.COLLAPSE, "buildings falling in a quake are the quake"),
    ]
}
"""Pairs of types that are one emergency when near each other, each with why."""
REFUSED: dict[frozenset[IncidentType], str] = {
    frozenset(pair): reason
    for *pair, reason in [
        (T.CROWD, T.FIRE, "a fire in a crowd needs engines the crowd plan lacks: two incidents"),
        (T.CROWD, T.TRAFFIC, "a vehicle in a crowd needs its own plan; the dispatcher may merge"),
        (T.MEDICAL, T.RESCUE, "a stuck lift and a sick person nearby are usually two calls"),
        (T.FLOOD, T.MEDICAL, "a flood spans a district: it would swallow every sick call in 1 km"),
        (T.FIRE, T.FLOOD, "water and fire at one place are two emergencies (or hose water)"),
        (T.FIRE, T.EARTHQUAKE, "fires after a quake each need their own engines"),
        (T.EARTHQUAKE, T.RESCUE, "a quake spans 5 km: each trapped person needs their own crew"),
        (T.EARTHQUAKE, T.MEDICAL, "a quake spans 5 km: each casualty needs their own ambulance"),
    ]
}
"""Pairs reviewed and kept apart, each with why (the dispatcher can still merge them)."""
