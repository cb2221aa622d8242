"""What the caller's words say: a call's free-text description read as an incident type.

Callers describe what they see, not a category, and call-takers pick categories under
stress: the words are evidence of their own. This is a small fixed word list (no model, no
network), Korean and English, matched on Korean text with its spaces removed so that the
spacing of speech-to-text (``불이났어요``, ``불 이 났 어 요``) reads the same.

Where the cues come from:
- IAED Medical Priority Dispatch System (MPDS) and Fire Priority Dispatch System (FPDS)
  chief complaints, which sort a caller's first words into the kind of emergency: Cardiac
  or Respiratory Arrest/Death, Unconscious/Fainting, Falls, Breathing Problems, Chest Pain,
  Convulsions/Seizures, Traffic/Transportation Incidents, Structure Fire, Vehicle Fire,
  Smoke Investigation, Gas Leak/Gas Odor, Odor (Strange/Unknown), Hazmat, Water Rescue,
  Entrapment, Elevator/Escalator Incident, Structural Collapse.
- American Heart Association 2020 guidelines (telecommunicator CPR): a person who is
  unresponsive and not breathing normally is treated as in cardiac arrest — so "쓰러졌는데
  숨을 안 쉬어요" is an arrest, while "쓰러졌어요" alone is a fainting (medical).
- The 112 calls of the evening of the 2022 Itaewon crush, released by the Korean National
  Police Agency (경찰청, 2022-11-01): callers said "압사당할 것 같아요", "사람들이 너무 많아
  밀려 넘어지고", "골목에 인파가…": falls, pinning and breathlessness *in a crowd* are a crush.
- The call categories of the contract (``CallCategory``) and the simulator's sample
  descriptions; misspellings and mishearings (``화제``, ``가쳤어요``, ``냄세``, ``무리 차요``
  for 물이 차요) are the project's own, from how Korean speech-to-text spells speech.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field

from streams.contract import IncidentType
from streams.fusion import PRECEDENCE, compatible

T = IncidentType

__all__ = ["CLEAR", "Reading", "combine", "read"]

CLEAR = 0.7
"""Words at least this sure name a type on their own: an ``other`` call takes it without
doubt, and a category the words contradict yields to them."""
COMPARABLE = 0.6
"""Types whose score is within this share of the best are read together, and the scene
wins over the patient (a fire with a casualty is a fire): fusion's ``PRECEDENCE``."""


@dataclass(frozen=True, slots=True)
class Cue:
    """Words that point to a type with a weight (negative: words that deny it)."""

    type: IncidentType
    weight: float
    ko: tuple[str, ...] = ()
    """Korean, matched anywhere in the text with its spaces and punctuation removed."""
    en: re.Pattern[str] | None = None
    """An English regular expression, matched on the lower-cased text."""
    in_crowd: bool = False
    """Counts only when the words also describe a dense crowd."""


def _cue(
    kind: IncidentType, weight: float, ko: str = "", en: str | None = None, in_crowd: bool = False
) -> Cue:
    return Cue(kind, weight, tuple(ko.split()), re.compile(en) if en else None, in_crowd)


CUES: list[Cue] = [
    # fire (FPDS Structure / Vehicle Fire, Smoke Investigation); never "불" alone: 불편, 불러
    _cue(T.FIRE, 0.9, "불이나 불이났 불났 불낫 불이낫 불이붙 불붙 불길 불꽃 불타"),
    _cue(T.FIRE, 0.9, "화재 화제 산불 활활"),
    _cue(T.FIRE, 0.9, "타고있 타고잇 불이번 번지고 치솟 전소", r"\bon fire\b|\bflames?\b|\bblaze"),
    _cue(T.FIRE, 0.9, en=r"\b(house|car|building|kitchen|big|a) fire\b|\bfire (in|at|on)\b"),
    _cue(T.FIRE, 0.7, "연기 타는냄새 탄내 매캐 그을음", r"\bsmoke\b|\bsmoky\b|burning smell"),
    _cue(T.FIRE, 0.7, "화재경보 화재감지 소화기 스파크", r"\bfire alarm|\bfire\b"),
    _cue(T.FIRE, 0.7, en=r"something burning|\bis burning\b"),
    _cue(T.FIRE, -1.0, "불은안나 불은안났 불안났 불난건아니 화재는아니 연기는안 연기는없"),
    _cue(T.FIRE, -1.0, en=r"\bno (fire|smoke)\b|\bnot on fire\b"),
    # crowd crush (the 2022 Itaewon 112 calls)
    _cue(T.CROWD, 0.95, "압사", r"\bcrush(ed|ing)?\b|\bstampede|\btrampl"),
    _cue(T.CROWD, 0.6, "인파 군중 밀려 밀치 떠밀 밀어요 밀지마 쏠려 옴짝달싹", r"\bcrowd"),
    _cue(T.CROWD, 0.6, "꽉차 겹겹이 몰려"),
    _cue(T.CROWD, 0.5, "사람이너무많 사람들이너무많 사람너무많 사람이많 사람들이많"),
    _cue(T.CROWD, 0.5, en=r"too many people|\bpushing\b|\bpacked\b|can'?t move"),
    _cue(
        T.CROWD, 0.8, "깔렸 깔려 깔리 깔린 넘어졌 넘어지 넘어져 쓰러졌 쓰러지 쓰러져", in_crowd=True
    ),
    _cue(T.CROWD, 0.8, "숨을못쉬 숨못쉬 의식이없", r"\bfell\b|\bfalling\b|fainting", in_crowd=True),
    _cue(T.CROWD, 0.8, en=r"\bpinned\b|\bunder (them|the crowd)|breathe", in_crowd=True),
    # gas (FPDS Gas Leak/Gas Odor; 까스 is how it is said, 냄세 how it is misspelt)
    _cue(T.GAS_LEAK, 0.9, "가스냄새 가스냄세 까스냄새 가스가새 가스새 가스누출 가스누설"),
    _cue(T.GAS_LEAK, 0.9, "가스가샌 가스샌 가스가나 가스관 가스통", r"\bgas (leak|smell|odou?r)"),
    _cue(T.GAS_LEAK, 0.9, en=r"\bsmell(s|ing)? (of )?gas\b|\bleaking gas|\bgas (is )?leaking"),
    _cue(T.GAS_LEAK, 0.5, "가스 까스 엘피지 lpg 도시가스", r"\bgas\b|\blpg\b"),
    _cue(T.GAS_LEAK, 0.6, "썩은계란 계란썩은", r"rotten eggs?"),
    # hazardous materials (FPDS Hazmat, Odor (Strange/Unknown))
    _cue(
        T.HAZMAT,
        0.85,
        "화학물질 화학가스 유해물질 유독가스 유독물질 염산 황산 불산 암모니아 염소가스",
    ),
    _cue(T.HAZMAT, 0.85, en=r"\bchemicals?\b|\btoxic\b|\bammonia\b|\bchlorine\b|\bacid\b"),
    _cue(T.HAZMAT, 0.4, "누출"),
    _cue(T.HAZMAT, 0.6, "약품 탱크로리 독성 눈이따가", r"\bfumes\b|\bspill|\btanker\b"),
    # flood (물이 차 / 침수; 무리 차 is 물이 차 misheard)
    _cue(T.FLOOD, 0.95, "침수 홍수 범람 물에잠 물바다", r"\bflood(ed|ing|s)?\b|\boverflow"),
    _cue(T.FLOOD, 0.8, "물이차 물이찼 물이들어 물이넘 물이쏟아 무리차 역류", r"water (is )?rising"),
    _cue(T.FLOOD, 0.8, "까지찼 까지차 잠겼", r"under ?water|\bsubmerged\b|stuck in the water"),
    # rescue (FPDS Entrapment, Elevator Incident, Water Rescue)
    _cue(T.RESCUE, 0.85, "갇혔 갇혀 갇힌 가쳤 가처 고립 조난", r"\btrapped\b|\bstranded\b"),
    _cue(T.RESCUE, 0.7, "끼었 끼였 끼어 끼임 빠졌 매달려 뛰어내리 길을잃 못나와 못나오"),
    _cue(T.RESCUE, 0.7, en=r"\bstuck\b|\blocked in\b|\bdrown|\bhanging from|can'?t get"),
    _cue(T.RESCUE, 0.5, "엘리베이터 엘레베이터 승강기 문이안열 문이잠", r"\belevator\b|\blift\b"),
    _cue(T.RESCUE, 0.5, "깔렸 깔려 깔린", r"\bpinned\b|\bfell into\b"),
    # cardiac arrest (MPDS Cardiac or Respiratory Arrest; AHA: unresponsive, not breathing)
    _cue(T.CARDIAC_ARREST, 0.95, "심정지 심장마비 숨을안쉬 숨안쉬 숨을쉬지않 숨을안쉼 수믈안쉬"),
    _cue(
        T.CARDIAC_ARREST,
        0.9,
        "호흡이없 호흡없 맥박이없 맥박없 맥박도없 맥이없 맥이안잡 맥박이안잡 숨도안쉬",
    ),
    _cue(T.CARDIAC_ARREST, 0.9, "심폐소생 자동심장충격기 제세동", r"\bcpr\b|\baed\b"),
    _cue(T.CARDIAC_ARREST, 0.95, en=r"cardiac arrest|not breathing|isn'?t breathing|no pulse"),
    _cue(T.CARDIAC_ARREST, 0.9, en=r"stopped breathing|\bunresponsive\b"),
    _cue(T.CARDIAC_ARREST, -1.0, "숨은쉬 숨쉬고있 호흡은있 맥박은있 의식은있", r"\bis breathing"),
    # medical (MPDS: Unconscious/Fainting, Falls, Breathing Problems, Chest Pain, …)
    _cue(T.MEDICAL, 0.7, "쓰러졌 쓰러지 쓰러져 쓰러젔 의식이없 의식없 기절 실신 경련 발작"),
    _cue(T.MEDICAL, 0.7, "호흡곤란 호흡이곤란 숨쉬기곤란 숨이막 숨이차 숨쉬기힘"),
    _cue(T.MEDICAL, 0.7, "가슴이아 가슴이답답 통증 식은땀 마비 저혈당 양수 진통"),
    _cue(T.MEDICAL, 0.7, "다쳤 다쳐 부상 피가 피나 출혈 골절 부러 화상 물렸 쏘였 약을많이"),
    _cue(T.MEDICAL, 0.5, "넘어졌 넘어지 넘어져 넘어젔 굴러 아파 아프 토하 구토 어지러 열이나"),
    _cue(T.MEDICAL, 0.7, en=r"\bfaint(ed)?\b|passed out|\bseizure|chest pain|\bbleeding\b"),
    _cue(T.MEDICAL, 0.7, en=r"\binjur(ed|y)\b|difficulty breathing|\basthma\b"),
    _cue(T.MEDICAL, 0.7, en=r"\b(leg|arm|hip|wrist|ankle|bone)s? (is |are )?broken"),
    _cue(T.MEDICAL, 0.7, en=r"\bin labou?r\b|\ballergic\b|\bstroke\b|\boverdose\b|\bambulance"),
    _cue(T.MEDICAL, 0.5, en=r"\bfell\b|\bhurts?\b|\bpain\b|\bcollapsed\b|\bsick\b|\bdizzy\b"),
    # traffic (MPDS Traffic/Transportation Incidents)
    _cue(T.TRAFFIC, 0.95, "교통사고 차사고 추돌 뺑소니 접촉사고 차에치 치였", r"car accident"),
    _cue(T.TRAFFIC, 0.8, "충돌 전복 뒤집혔 들이받 부딪혔 차끼리 보행자를 돌진", r"\bpile-?up\b"),
    _cue(T.TRAFFIC, 0.8, en=r"\bcollid(ed|ing|e)\b"),
    _cue(T.TRAFFIC, 0.8, en=r"hit by a (car|bus|truck)|\bcollision\b|rear-?ended|\boverturned\b"),
    _cue(T.TRAFFIC, 0.8, en=r"\b(car|motorcycle|bus|truck) crash\b|\bcrash(ed)? into\b"),
    _cue(T.TRAFFIC, 0.4, "오토바이 트럭 버스 택시 고속도로", r"\baccident\b|\bexpressway\b"),
    # collapse (FPDS Structural Collapse)
    _cue(T.COLLAPSE, 0.9, "무너졌 무너져 무너지 무너질 무너진 붕괴 내려앉 매몰 싱크홀 땅이꺼"),
    _cue(T.COLLAPSE, 0.9, en=r"\b(building|wall|roof|ceiling|house) (has )?collapsed\b"),
    _cue(T.COLLAPSE, 0.9, en=r"caved in|\bsinkhole\b|\brubble\b|\bcollapse (of|at)\b"),
    # earthquake and structures under strain
    _cue(T.EARTHQUAKE, 0.9, "지진", r"\bearthquake\b|\btremor\b"),
    _cue(T.STRUCTURAL, 0.7, "금이가 균열", r"\bcracks?\b"),
]

CROWD_CONTEXT = re.compile(
    "압사|인파|군중|밀려|밀치|떠밀|밀어요|쏠려|옴짝달싹|겹겹이|몰려|사람이너무많|사람들이너무많|사람너무많"
    r"|사람이많|사람들이많|crowd|crush|too many people|pushing|stampede|packed"
)
_SPACE = re.compile(r"[\s.,!?~·…'\"()\-]+")
_LATIN = re.compile("[a-z]")


def _by_first(cues: list[Cue]) -> dict[str, list[tuple[str, int]]]:
    """Each Korean cue word with its cue's number, by the word's first letter."""
    index: dict[str, list[tuple[str, int]]] = {}
    for n, cue in enumerate(cues):
        for word in cue.ko:
            index.setdefault(word[0], []).append((word, n))
    return index


_BY_FIRST = _by_first(CUES)


@dataclass(frozen=True, slots=True)
class Reading:
    """What the words say: a type (None: nothing), how sure (0…1), and why."""

    type: IncidentType | None
    confidence: float
    scores: Mapping[IncidentType, float] = field(default_factory=dict)
    cues: tuple[str, ...] = ()


NOTHING = Reading(None, 0.0)


def read(description: str | None) -> Reading:
    """The incident type a call's description points to.

    >>> read("불이 났어요 빨리 와주세요").type
    <IncidentType.FIRE: 'fire'>
    >>> read("사람들이 밀려서 넘어졌어요").type, read("할머니가 넘어지셨어요").type
    (<IncidentType.CROWD: 'crowd'>, <IncidentType.MEDICAL: 'medical'>)
    """
    if not description:
        return NOTHING
    text = unicodedata.normalize("NFC", description).lower()
    squeezed = _SPACE.sub("", text)
    hits: dict[int, str] = {}  # cue number → the words that matched it
    for i, char in enumerate(squeezed):  # each cue word is looked up by its first letter
        for word, n in _BY_FIRST.get(char, ()):
            if n not in hits and squeezed.startswith(word, i):
                hits[n] = word
    if _LATIN.search(text):
        for n, cue in enumerate(CUES):
            if n not in hits and cue.en is not None and (m := cue.en.search(text)):
                hits[n] = m.group(0)
    crowd: bool | None = None
    found: dict[IncidentType, float] = {}
    denied: set[IncidentType] = set()
    why: list[str] = []
    for n in sorted(hits):
        cue, hit = CUES[n], hits[n]
        if cue.in_crowd:
            if crowd is None:
                crowd = bool(CROWD_CONTEXT.search(squeezed) or CROWD_CONTEXT.search(text))
            if not crowd:
                continue
        if cue.weight < 0:
            denied.add(cue.type)
            continue
        # independent cues add up: the chance that at least one of them is right
        found[cue.type] = 1 - (1 - found.get(cue.type, 0.0)) * (1 - cue.weight)
        why.append(hit)
    scores = {kind: round(s, 3) for kind, s in found.items() if kind not in denied}
    if not scores:
        return Reading(None, 0.0, {}, tuple(why))
    best = max(scores.values())
    kind = next(k for k in PRECEDENCE if scores.get(k, 0.0) >= best * COMPARABLE)
    return Reading(kind, scores[kind], scores, tuple(why))


def combine(category: IncidentType, reading: Reading) -> tuple[IncidentType, bool]:
    """The type a call is fused as, from the call-taker's category and the caller's words,
    and whether that type is uncertain.

    - Words that agree with the category, or say nothing: the category.
    - Category ``other``: the words' type (uncertain unless they are ``CLEAR``), or ``other``.
    - Words that clearly name another type: the scene of the two (fusion's ``PRECEDENCE``:
      a "medical" call whose caller describes a crush is the crush), uncertain when the two
      can never be one emergency (then it may also join whatever is near).
    - Words that weakly contradict it: the category.

    >>> combine(T.OTHER, read("가스 냄새가 나요"))
    (<IncidentType.GAS_LEAK: 'gas_leak'>, False)
    >>> combine(T.MEDICAL, read("압사당할 것 같아요 사람들이 밀려요"))
    (<IncidentType.CROWD: 'crowd'>, False)
    """
    if reading.type is None:
        return category, category is T.OTHER
    if category is T.OTHER:
        return reading.type, reading.confidence < CLEAR
    if reading.type is category or reading.scores.get(category, 0.0) > 0:
        return category, False
    if reading.confidence < CLEAR:
        return category, False
    scene = min(category, reading.type, key=PRECEDENCE.index)
    return scene, not compatible(category, reading.type)
