"""Public alerts: policy, area, Korean-first messages, CAP 1.2, lifecycle and channels.

Pure decision code over plain values; only channels.WebhookChannel does network I/O.
"""

from alerts.area import AlertArea, DistrictLike, DistrictShape, alert_area
from alerts.cap import CAP_MEDIA_TYPE, cap_polygon, to_cap, validate_cap
from alerts.channels import (
    Channel,
    DeadLetter,
    Delivery,
    WebhookChannel,
    ensure_deliverable,
    idempotency_key,
)
from alerts.dedup import find_duplicate
from alerts.districts import DistrictIndex, district_index
from alerts.draft import DraftOutcome, draft_alert
from alerts.errors import (
    AlertError,
    ApprovalError,
    CapValidationError,
    LiveChannelError,
    MessageTooLongError,
    PolicyError,
    QuietHoursError,
    RateLimitedError,
    TransitionError,
    UnencodableTextError,
)
from alerts.feed import ATOM_MEDIA_TYPE, atom_feed, current_alerts
from alerts.intake import context_from_incident
from alerts.lifecycle import all_clear, approve, audit_delivery, cancel, mark_sent, withdraw
from alerts.message import ComposedMessage, compose, compose_all, ksc5601_bytes, measure
from alerts.model import (
    KST,
    SEOUL_ISSUER,
    Alert,
    AlertContext,
    AlertStatus,
    Approval,
    AuditEntry,
    DistrictRef,
    Issuer,
    MessageInput,
    Mode,
    MsgType,
    Tier,
    public_action,
)
from alerts.phrases import PHRASEBOOKS, Phrasebook
from alerts.policy import Decision, Policy, decide, load_policy
from alerts.public import find_personal, is_public, public_event, public_view, redact_personal
from alerts.record import alert_from_dict
from alerts.targeting import devices_in_area
from alerts.throttle import check_rate, quiet_until

__all__ = [
    "ATOM_MEDIA_TYPE",
    "CAP_MEDIA_TYPE",
    "KST",
    "PHRASEBOOKS",
    "SEOUL_ISSUER",
    "Alert",
    "AlertArea",
    "AlertContext",
    "AlertError",
    "AlertStatus",
    "Approval",
    "ApprovalError",
    "AuditEntry",
    "CapValidationError",
    "Channel",
    "ComposedMessage",
    "DeadLetter",
    "Decision",
    "Delivery",
    "DistrictIndex",
    "DistrictLike",
    "DistrictRef",
    "DistrictShape",
    "DraftOutcome",
    "Issuer",
    "LiveChannelError",
    "MessageInput",
    "MessageTooLongError",
    "Mode",
    "MsgType",
    "Phrasebook",
    "Policy",
    "PolicyError",
    "QuietHoursError",
    "RateLimitedError",
    "Tier",
    "TransitionError",
    "UnencodableTextError",
    "WebhookChannel",
    "alert_area",
    "alert_from_dict",
    "all_clear",
    "approve",
    "atom_feed",
    "audit_delivery",
    "cancel",
    "cap_polygon",
    "check_rate",
    "compose",
    "compose_all",
    "context_from_incident",
    "current_alerts",
    "decide",
    "devices_in_area",
    "district_index",
    "draft_alert",
    "ensure_deliverable",
    "find_duplicate",
    "find_personal",
    "idempotency_key",
    "is_public",
    "ksc5601_bytes",
    "load_policy",
    "mark_sent",
    "measure",
    "public_action",
    "public_event",
    "public_view",
    "quiet_until",
    "redact_personal",
    "to_cap",
    "validate_cap",
    "withdraw",
]
