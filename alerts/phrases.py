"""Phrasebooks: per-language wording of hazards, actions and message layout (pluggable)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = ["ENGLISH", "GU_NAMES_EN", "KOREAN", "MAX_STATED_DISTANCE_M", "PHRASEBOOKS", "Phrasebook"]

# Beyond this an "evacuate N m away" figure stops being a usable instruction: say "the area".
MAX_STATED_DISTANCE_M = 5000.0


@dataclass(frozen=True)
class Phrasebook:
    """Everything needed to word an alert in one language.

    Layouts are str.format templates over the message parts; optional parts carry their
    own separators so that dropping one leaves a well-formed sentence.
    """

    language: str
    hazards: Mapping[str, str]
    actions: Mapping[str, str]
    actions_by_hazard: Mapping[str, str]
    secondary: Mapping[str, str]
    layouts: Mapping[str, str]
    closing_actions: Mapping[str, str]
    info: str
    tags: Mapping[str, str]
    date_format: str
    place_names: Mapping[str, str] = field(default_factory=dict)
    distance_format: str = "{d}m"

    def hazard(self, key: str) -> str:
        """The hazard's name in this language."""
        return self.hazards.get(key, self.hazards["other"])

    def action(self, hazard: str, response: str, distance_m: float | None) -> str:
        """The main instruction for a hazard and CAP response type."""
        template = self.actions_by_hazard.get(hazard) or self.actions.get(response) or ""
        if "{distance}" in template:
            if distance_m is None or distance_m > MAX_STATED_DISTANCE_M:
                template = self.actions["EvacuateNoDistance"]
            else:
                rounded = max(50, round(distance_m / 50.0) * 50)
                return template.format(distance=self.distance_format.format(d=rounded))
        return template

    def place(self, name: str) -> str:
        """A place name in this language (unchanged when there is no translation)."""
        return self.place_names.get(name, name)


GU_NAMES_EN: Mapping[str, str] = {
    "종로구": "Jongno-gu",
    "중구": "Jung-gu",
    "용산구": "Yongsan-gu",
    "성동구": "Seongdong-gu",
    "광진구": "Gwangjin-gu",
    "동대문구": "Dongdaemun-gu",
    "중랑구": "Jungnang-gu",
    "성북구": "Seongbuk-gu",
    "강북구": "Gangbuk-gu",
    "도봉구": "Dobong-gu",
    "노원구": "Nowon-gu",
    "은평구": "Eunpyeong-gu",
    "서대문구": "Seodaemun-gu",
    "마포구": "Mapo-gu",
    "양천구": "Yangcheon-gu",
    "강서구": "Gangseo-gu",
    "구로구": "Guro-gu",
    "금천구": "Geumcheon-gu",
    "영등포구": "Yeongdeungpo-gu",
    "동작구": "Dongjak-gu",
    "관악구": "Gwanak-gu",
    "서초구": "Seocho-gu",
    "강남구": "Gangnam-gu",
    "송파구": "Songpa-gu",
    "강동구": "Gangdong-gu",
    "서울": "Seoul",
}

KOREAN = Phrasebook(
    language="ko",
    hazards={
        "gas": "가스 누출",
        "chemical": "화학물질 누출",
        "smoke": "화재",
        "flood": "침수",
        "collapse": "건물 붕괴",
        "crowd": "인파 밀집",
        "traffic": "교통사고",
        "road_closure": "통행 통제",
        "other": "재난",
    },
    actions={
        "Evacuate": "인근 주민은 즉시 {distance} 밖으로 대피 바랍니다.",
        "EvacuateNoDistance": "인근 주민은 즉시 현장에서 멀리 대피 바랍니다.",
        "Shelter": "창문을 닫고 실내에 머무르십시오.",
        "Avoid": "현장 접근을 피하고 우회하십시오.",
        "Monitor": "안내 방송에 유의하십시오.",
        "Prepare": "대피를 준비하십시오.",
    },
    actions_by_hazard={
        "crowd": "밀집지역 진입을 멈추고 천천히 빠져나오십시오.",
        "road_closure": "진입하지 말고 우회하십시오.",
    },
    secondary={
        "gas": " 화기 사용을 금지하십시오.",
        "chemical": " 환기장치를 끄십시오.",
        "smoke": " 연기 흡입에 주의하십시오.",
        "flood": " 지하공간·하천변에서 벗어나십시오.",
        "collapse": " 추가 붕괴 위험이 있습니다.",
        "crowd": " 구조대 통로를 비워 주십시오.",
        "traffic": " 차량은 우회 바랍니다.",
    },
    layouts={
        "alert": "{tag}[{sender}] {date}{time} {place}{place_detail} {hazard}{keyword} 발생. "
        "{action}{secondary}{info}",
        "all_clear": "{tag}[{sender}] {date}{time} {place}{place_detail} {hazard}{keyword} "
        "상황 종료. {action}{info}",
        "cancel": "{tag}[{sender}] {date}{time} {place}{place_detail} {hazard}{keyword} "
        "문자 취소. {action}{info}",
    },
    closing_actions={
        "all_clear": "일상 활동을 재개하셔도 됩니다.",
        "cancel": "앞선 안내는 무시하십시오.",
    },
    info=" 추가 안내 예정.",
    tags={"Exercise": "[훈련] ", "Test": "[시험] ", "Actual": ""},
    date_format="%m.%d. ",
)

ENGLISH = Phrasebook(
    language="en",
    hazards={
        "gas": "Gas leak",
        "chemical": "Chemical leak",
        "smoke": "Fire",
        "flood": "Flooding",
        "collapse": "Collapse",
        "crowd": "Crowd crush",
        "traffic": "Road crash",
        "road_closure": "Road closure",
        "other": "Emergency",
    },
    actions={
        "Evacuate": "Evacuate {distance} away now.",
        "EvacuateNoDistance": "Evacuate the area now.",
        "Shelter": "Stay inside, shut windows.",
        "Avoid": "Avoid the area.",
        "Monitor": "Follow official updates.",
        "Prepare": "Prepare to evacuate.",
    },
    actions_by_hazard={
        "crowd": "Do not enter; leave slowly.",
        "road_closure": "Do not enter; take a detour.",
    },
    secondary={
        "gas": " No flames or sparks.",
        "chemical": " Turn off ventilation.",
        "smoke": " Avoid the smoke.",
        "flood": " Leave basements and riverbanks.",
        "collapse": " Further collapse possible.",
        "crowd": " Keep lanes clear for rescuers.",
        "traffic": " Drivers take a detour.",
    },
    layouts={
        "alert": "{tag}[{sender}] {date}{time} {hazard} at {place}{place_detail}. "
        "{action}{secondary}{info}",
        "all_clear": "{tag}[{sender}] {date}{time} {hazard} at {place}{place_detail} is over. "
        "{action}{info}",
        "cancel": "{tag}[{sender}] {date}{time} {hazard} alert for {place}{place_detail} "
        "cancelled. {action}{info}",
    },
    closing_actions={
        "all_clear": "You may resume normal activity.",
        "cancel": "Disregard the earlier alert.",
    },
    info=" Updates to follow.",
    tags={"Exercise": "[DRILL] ", "Test": "[TEST] ", "Actual": ""},
    date_format="%b %d ",
    place_names=GU_NAMES_EN,
    distance_format="{d} m",
)

PHRASEBOOKS: Mapping[str, Phrasebook] = {"ko": KOREAN, "en": ENGLISH}
