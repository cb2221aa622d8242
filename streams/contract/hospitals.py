"""Emergency rooms in the contract: their live status (input), the patient a crew reports,
the destination chosen for it and the mass-casualty distribution plan (outputs)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from streams.contract.common import (
    ContractModel,
    EventId,
    GeoJSONGeometry,
    ShortText,
    Timestamp,
)


class Capability(StrEnum):
    """What an emergency room can treat now, as 중앙응급의료센터's real-time board reports it."""

    PCI = "pci"  # 심혈관 중재술 (STEMI, cardiac arrest with return of circulation)
    STROKE = "stroke"  # 뇌졸중 재관류 (thrombolysis, thrombectomy)
    TRAUMA = "trauma"  # 중증외상 수술
    BURNS = "burns"  # 중증화상
    PAEDIATRIC = "paediatric"  # 소아 응급
    OBSTETRIC = "obstetric"  # 분만·산과 응급


class ErCapabilities(ContractModel):
    """Capabilities reported available (true), unavailable (false) or not reported (absent)."""

    pci: bool | None = None
    stroke: bool | None = None
    trauma: bool | None = None
    burns: bool | None = None
    paediatric: bool | None = None
    obstetric: bool | None = None


class ErStatus(ContractModel):
    """An emergency room's live status: beds free now and capabilities available now."""

    id: EventId
    hospital_id: EventId
    """The hospital's ``hpid`` (E-Gen institution code, as in the city's emergency rooms)."""
    at: Timestamp
    beds_available: int = Field(ge=0, le=1000)
    beds_total: int | None = Field(default=None, ge=0, le=1000)
    capabilities: ErCapabilities = Field(default_factory=ErCapabilities)
    source: str | None = Field(default=None, max_length=40)


class PatientCondition(StrEnum):
    """The patient's condition as the crew assesses it on contact."""

    CARDIAC_ARREST = "cardiac_arrest"
    STEMI = "stemi"
    STROKE = "stroke"
    MAJOR_TRAUMA = "major_trauma"
    BURNS = "burns"
    PAEDIATRIC = "paediatric"
    OBSTETRIC = "obstetric"
    MEDICAL = "medical"
    MINOR = "minor"


class PatientSeverity(StrEnum):
    """Severity on contact (Pre-KTAS levels 1–2 critical, 3 serious, 4–5 minor)."""

    CRITICAL = "critical"
    SERIOUS = "serious"
    MINOR = "minor"


class Patient(ContractModel):
    """The patient(s) a crew has contact with (no personal data)."""

    condition: PatientCondition
    severity: PatientSeverity
    count: int = Field(default=1, ge=1, le=1000)


class DestinationStatus(StrEnum):
    """Whether a destination is the system's recommendation or the crew's choice."""

    RECOMMENDED = "recommended"
    ACCEPTED = "accepted"  # the crew took the recommended hospital
    CHANGED = "changed"  # the crew (or a dispatcher) chose another hospital


class DiversionCause(StrEnum):
    """Why a patient already given an ER is recommended another (its ER's new report)."""

    CAPABILITY_LOST = "capability_lost"  # a capability the patient needs is unavailable now
    ZERO_BEDS = "zero_beds"  # it reported zero beds
    NO_BED_ON_ARRIVAL = "no_bed_on_arrival"  # no bed projected left when the unit arrives


class RankedHospital(ContractModel):
    """One emergency room considered for a patient, with why it ranks where it does."""

    hospital_id: EventId
    name: str = Field(max_length=120)
    level: str = Field(default="", max_length=40)
    drive_s: float = Field(ge=0)
    beds_available: int | None = Field(default=None, ge=0)
    """Beds last reported (None: never reported)."""
    status_age_s: float | None = Field(default=None, ge=0)
    stale: bool = False
    """The last status is older than the stated maximum age: its beds are not trusted."""
    capable: bool
    reason: ShortText = ""


class Destination(ContractModel):
    """The emergency room a unit takes its patient to (one record per unit per decision)."""

    incident_id: EventId
    unit_id: EventId
    version: int = Field(default=1, ge=1)
    issued_at: Timestamp
    condition: PatientCondition
    severity: PatientSeverity | None = None
    needs: list[Capability] = Field(default_factory=list)
    status: DestinationStatus
    hospital_id: EventId
    hospital_name: str = Field(max_length=120)
    eta_s: float = Field(ge=0)
    route: GeoJSONGeometry | None = None
    reason: ShortText = ""
    ranked: list[RankedHospital] = Field(default_factory=list, max_length=20)
    command_id: EventId | None = None
    """The crew's or dispatcher's ``choose_destination`` command this record answers."""
    mass_casualty: bool = False
    """Chosen by the incident's mass-casualty distribution plan."""
    diverted_from: EventId | None = None
    """The hospital the unit was to take its patient to until its new status report said
    it can no longer take the patient (this record moves the unit, on scene or on its way)."""
    diverted_because: DiversionCause | None = None
    er_status_id: EventId | None = None
    """The ``er-status`` report that moved it (one move per report)."""


class SeverityCounts(ContractModel):
    """Patients by severity."""

    critical: int = Field(default=0, ge=0)
    serious: int = Field(default=0, ge=0)
    minor: int = Field(default=0, ge=0)


class MciAllocation(ContractModel):
    """The patients of a mass-casualty incident planned for one hospital, and those taken."""

    hospital_id: EventId
    name: str = Field(max_length=120)
    drive_s: float = Field(ge=0)
    capacity: int = Field(ge=0)
    """Patients of this incident the hospital can take: those already sent there plus the
    beds its fresh status assures on their arrival from the scene, after every patient
    heading there (its report's age and the drive, as the destination ranking projects
    them; stale: none)."""
    planned: SeverityCounts
    transported: SeverityCounts = Field(default_factory=SeverityCounts)


class MciPlan(ContractModel):
    """The distribution of a mass-casualty incident's patients over hospitals (compacted by
    incident id: the latest version is the plan)."""

    incident_id: EventId
    version: int = Field(default=1, ge=1)
    updated_at: Timestamp
    patients_total: int = Field(ge=0)
    allocations: list[MciAllocation] = Field(default_factory=list, max_length=100)
    unallocated: int = Field(default=0, ge=0)
    """Patients no fresh hospital capacity was left for."""
