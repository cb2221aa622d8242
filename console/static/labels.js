"use strict";
// Korean labels for the contract's codes (incident types, statuses, alert tiers), English beside.

GT.LABELS = {
  type: {
    fire: "화재", medical: "구급", cardiac_arrest: "심정지", rescue: "구조", traffic: "교통사고",
    hazmat: "위험물", gas_leak: "가스누출", flood: "침수", collapse: "붕괴", crowd: "인파밀집",
    structural: "구조물 위험", earthquake: "지진", other: "기타",
  },
  incidentStatus: {
    open: "접수", dispatched: "출동", on_scene: "현장 도착", resolved: "처리 완료", closed: "종결",
  },
  unitStatus: {
    available: "대기", dispatched: "출동 지령", en_route: "출동 중", on_scene: "현장 도착",
    transporting: "이송 중", at_hospital: "병원 도착", out_of_service: "운행 불가", unknown: "미상",
  },
  unitKind: {
    engine: "펌프차", ladder: "사다리차", ambulance: "구급차", rescue: "구조공작차",
    hazmat: "화학차", command: "지휘차",
  },
  tier: { critical: "위급", emergency: "긴급", safety: "안전안내" },
  severityTier: { Extreme: "critical", Severe: "emergency", Moderate: "safety", Minor: "safety" },
  alertStatus: {
    draft: "승인 대기", approved: "승인됨", sent: "발송됨", cancelled: "취소", all_clear: "해제",
  },
  structureKind: { bridge: "교량", tunnel: "터널", underpass: "지하차도", overpass: "고가차도" },
  structureState: { open: "정상", watch: "주의", closure_recommended: "통제 권고", closed: "통제 중" },
  readingKind: {
    water_level: "수위", tunnel_co: "일산화탄소", smoke_detector: "연기 감지", wind: "풍속",
    bridge_strain: "변형률",
  },
  condition: {
    cardiac_arrest: "심정지", stemi: "급성 심근경색", stroke: "뇌졸중", major_trauma: "중증외상",
    burns: "화상", paediatric: "소아", obstetric: "산과", medical: "내과계", minor: "경증",
  },
  capability: { pci: "PCI", stroke: "뇌졸중", trauma: "외상", burns: "화상", paediatric: "소아", obstetric: "산과" },
  patientSeverity: { critical: "중증", serious: "응급", minor: "경증" },
  destinationStatus: { recommended: "추천", accepted: "수락됨", changed: "변경됨" },
  group: { pending: "출동 대기 awaiting dispatch", active: "출동 중 active", rest: "처리 완료 resolved" },
};

// The interface language: Korean labels by default, the codes in plain English as a setting.
GT.lang = (() => { try { return localStorage.getItem("gt-lang") || "ko"; } catch (_) { return "ko"; } })();

GT.label = function label(table, code) {
  const raw = String(code === undefined || code === null ? "" : code);
  if (GT.lang === "en") return table === "tier" ? { critical: "Critical", emergency: "Emergency", safety: "Safety" }[raw] || raw : raw.replace(/_/g, " ");
  const t = GT.LABELS[table] || {};
  return t[code] || raw;
};

GT.setLang = function setLang(lang) {
  try { localStorage.setItem("gt-lang", lang); } catch (_) { /* private mode: this page only */ }
  location.reload();
};

// The alert's tier (the tier field, or its CAP severity when a producer left the tier out).
GT.alertTier = function alertTier(alert) {
  return alert.tier || GT.LABELS.severityTier[alert.severity] || "safety";
};

GT.TIER_RANK = { critical: 0, emergency: 1, safety: 2 };
