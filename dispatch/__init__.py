"""Dispatch: run cards, live fleet state and unit recommendation against golden time."""

from dispatch.assignment import AssignmentStatus, to_assignments
from dispatch.coverage import CoverageState, UnitSite
from dispatch.destination import ErReport, Option, rank
from dispatch.errors import (
    DispatchError,
    IllegalTransitionError,
    OutOfOrderUpdateError,
    RunCardError,
    UnknownUnitError,
)
from dispatch.fleet import (
    DEFAULT_STALE_AFTER_S,
    TRANSITIONS,
    Fleet,
    Position,
    Unit,
    UnitStatus,
    UnitUpdate,
    check_transition,
    seed_fleet,
)
from dispatch.hospitals import ErRules, Hospital, HospitalError, load_er_rules, registry
from dispatch.mci import Room, distribute, split_untriaged
from dispatch.moveup import MoveUp, district_cover, suggest_move_ups, suggest_returns
from dispatch.override import Override, record_override
from dispatch.recommend import Candidate, Policy, Recommendation, UnitPick, recommend
from dispatch.recommender import DEFAULT_COVER_TRAVEL_S, Recommender, straight_line_m
from dispatch.run_cards import (
    INCIDENT_TYPES,
    UNIT_KINDS,
    IncidentType,
    MassCasualtyRule,
    RunCard,
    RunCardBook,
    load_run_cards,
    parse_run_cards,
)

__all__ = [
    "DEFAULT_COVER_TRAVEL_S",
    "DEFAULT_STALE_AFTER_S",
    "INCIDENT_TYPES",
    "TRANSITIONS",
    "UNIT_KINDS",
    "AssignmentStatus",
    "Candidate",
    "CoverageState",
    "DispatchError",
    "ErReport",
    "ErRules",
    "Fleet",
    "Hospital",
    "HospitalError",
    "IllegalTransitionError",
    "IncidentType",
    "MassCasualtyRule",
    "MoveUp",
    "Option",
    "OutOfOrderUpdateError",
    "Override",
    "Policy",
    "Position",
    "Recommendation",
    "Recommender",
    "Room",
    "RunCard",
    "RunCardBook",
    "RunCardError",
    "Unit",
    "UnitPick",
    "UnitSite",
    "UnitStatus",
    "UnitUpdate",
    "UnknownUnitError",
    "check_transition",
    "distribute",
    "district_cover",
    "load_er_rules",
    "load_run_cards",
    "parse_run_cards",
    "rank",
    "recommend",
    "record_override",
    "registry",
    "seed_fleet",
    "split_untriaged",
    "straight_line_m",
    "suggest_move_ups",
    "suggest_returns",
    "to_assignments",
]
