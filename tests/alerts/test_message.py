"""Messages: Korean first, English always, five elements, carrier-counted limits."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from alert_samples import NOW
from hypothesis import given, settings
from hypothesis import strategies as st

from alerts import (
    KST,
    PHRASEBOOKS,
    SEOUL_ISSUER,
    MessageInput,
    MessageTooLongError,
    Mode,
    UnencodableTextError,
    compose,
    compose_all,
    ksc5601_bytes,
    measure,
)
from alerts.message import DROP_ORDER
from alerts.phrases import GU_NAMES_EN, KOREAN
from alerts.policy import LengthRule

HAZARDS = ["gas", "chemical", "smoke", "flood", "collapse", "crowd", "traffic", "other"]
RESPONSES = ["Evacuate", "Shelter", "Avoid", "Monitor", "Prepare"]
GU = sorted(k for k in GU_NAMES_EN if k != "서울")
place_text = st.text(
    alphabet=st.one_of(
        st.characters(min_codepoint=0xAC00, max_codepoint=0xD7A3),
        st.sampled_from(list(" 0123456789-()·,.abcXYZ🔥\u200b")),
    ),
    max_size=120,
)


def test_carrier_byte_count_hangul_two_ascii_one():
    assert ksc5601_bytes("가") == 2 and ksc5601_bytes("a") == 1
    assert ksc5601_bytes("가" * 90) == 180  # 한글 90자 = 180 bytes (TTAK.KO-06.0263)
    assert ksc5601_bytes("똠") == 2  # beyond KS X 1001's 2,350 but in CP949, as phones send
    assert measure("가a", "chars") == 2
    with pytest.raises(UnencodableTextError):
        ksc5601_bytes("불🔥")


@settings(max_examples=150, deadline=None)
@given(
    hazard=st.sampled_from(HAZARDS),
    response=st.sampled_from(RESPONSES),
    place=st.sampled_from(GU),
    detail=place_text,
    detail_en=place_text,
    distance=st.one_of(st.none(), st.floats(0, 20_000)),
    mode=st.sampled_from(list(Mode)),
    kind=st.sampled_from(["alert", "all_clear", "cancel"]),
    urgent=st.booleans(),
    minutes=st.integers(0, 60 * 24 * 400),
)
def test_messages_fit_and_carry_five_elements(
    policy, hazard, response, place, detail, detail_en, distance, mode, kind, urgent, minutes
):
    at = NOW + timedelta(minutes=minutes)
    facts = MessageInput(
        hazard, response, place, at, detail, detail_en, distance, mode, kind, urgent
    )
    msgs = compose_all(facts, ["ko", "en"], SEOUL_ISSUER, policy)
    assert list(msgs) == ["ko", "en"]  # Korean first, English always
    for lang, m in msgs.items():
        rule = policy.length_rule(lang)
        limit = rule.limit(urgent and kind == "alert")
        assert measure(m.text, rule.unit) == m.length <= limit == m.limit
        for element in ("sender", "hazard", "place", "action", "time"):
            assert m.elements[element] and m.elements[element] in m.text, (element, m.text)
        assert m.elements["time"] == at.astimezone(KST).strftime("%H:%M")
        assert set(m.dropped) <= set(DROP_ORDER)
        if mode is not Mode.ACTUAL:
            assert PHRASEBOOKS[lang].tags[mode.value].strip() in m.text
    assert "🔥" not in msgs["ko"].text  # unsendable characters never reach the carrier
    ksc5601_bytes(msgs["ko"].text)


def test_urgent_korean_limit_is_180_bytes_otherwise_314(policy):
    assert policy.length_rule("ko") == LengthRule("ksc5601_bytes", 180, 314)
    assert policy.length_rule("en") == LengthRule("chars", 90, 360)
    assert policy.length_rule("ja") == policy.length_rule("en")


def test_optional_parts_drop_in_order_and_never_mid_instruction(policy):
    facts = MessageInput(
        "chemical",
        "Evacuate",
        "영등포구",
        NOW,
        "여의도동 국회대로 " + "가" * 30,
        "Yeouido " + "x" * 40,
        1200.0,
        Mode.EXERCISE,
        "alert",
        True,
    )
    ko = compose(facts, KOREAN, SEOUL_ISSUER, policy)
    assert ko.dropped and ko.dropped == DROP_ORDER[: len(ko.dropped)]
    assert ko.text.endswith("1200m 밖으로 대피 바랍니다.")  # the instruction is whole
    en = compose(facts, PHRASEBOOKS["en"], SEOUL_ISSUER, policy)
    assert en.text.endswith("Evacuate 1200 m away now.")
    assert en.text.startswith("[DRILL] [Seoul City]")


def test_no_room_is_a_loud_error_not_a_cut(policy):
    tight = dataclasses.replace(
        policy, limits={**policy.limits, "ko": LengthRule("ksc5601_bytes", 60, 60)}
    )
    facts = MessageInput("gas", "Evacuate", "중구", NOW, distance_m=300)
    with pytest.raises(MessageTooLongError) as err:
        compose(facts, KOREAN, SEOUL_ISSUER, tight)
    assert err.value.limit == 60 and err.value.length > 60 and "대피" in err.value.text


def test_more_languages_plug_in(policy):
    japanese = dataclasses.replace(
        PHRASEBOOKS["en"],
        language="ja",
        hazards={**PHRASEBOOKS["en"].hazards, "gas": "ガス漏れ"},
        actions={**PHRASEBOOKS["en"].actions, "Evacuate": "直ちに{distance}以上離れてください。"},
        tags={"Exercise": "[訓練] ", "Test": "[試験] ", "Actual": ""},
        distance_format="{d}m",
    )
    facts = MessageInput("gas", "Evacuate", "중구", NOW, distance_m=300)
    msgs = compose_all(facts, ["ja"], SEOUL_ISSUER, policy, {**PHRASEBOOKS, "ja": japanese})
    assert list(msgs) == ["ko", "en", "ja"]
    assert "ガス漏れ" in msgs["ja"].text and "300m" in msgs["ja"].text
    assert "ソウル市" in msgs["ja"].text


def test_phone_number_in_place_never_reaches_the_message(policy):
    facts = MessageInput(
        "gas",
        "Evacuate",
        "중구",
        NOW,
        "세종대로 110 신고자 010-1234-5678",
        "caller +82 10 1234 5678",
        300,
    )
    for m in compose_all(facts, ["ko", "en"], SEOUL_ISSUER, policy).values():
        assert "5678" not in m.text
