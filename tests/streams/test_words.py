"""The caller's words as evidence: reading descriptions, and weighing them against the category."""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import streams.words
from streams.contract import Call, IncidentType
from streams.evidence import from_call
from streams.words import CLEAR, combine, read
from tests.streams.classifier_report import SETS, labelled, predicted, scores

T = IncidentType
FLOOR = 0.85
"""Precision and recall every well-represented type must keep on the labelled sets."""
WELL_REPRESENTED = 10
HANGUL = re.compile("[가-힣]")


def test_the_labelled_sets_are_large_and_in_both_languages() -> None:
    rows = [row for path in SETS for row in labelled(path)]
    assert len(rows) >= 200
    korean = [text for _, text in rows if HANGUL.search(text)]
    assert len(korean) >= 100 and len(rows) - len(korean) >= 50
    assert any(" " not in text and len(text) > 12 for text in korean)  # STT without spacing
    assert len({kind for kind, _ in rows}) >= 10


def test_each_well_represented_type_keeps_its_precision_and_recall() -> None:
    rows = [row for path in SETS for row in labelled(path)]
    for kind, score in scores(rows).items():
        if score.examples >= WELL_REPRESENTED:
            assert score.precision >= FLOOR, (kind, score)
            assert score.recall >= FLOOR, (kind, score)


@pytest.mark.parametrize("path", SETS, ids=lambda p: p.name)
def test_each_labelled_set_is_mostly_read_right(path: Path) -> None:
    rows = labelled(path)
    assert sum(predicted(text) is kind for kind, text in rows) >= FLOOR * len(rows)


def test_korean_reads_the_same_whatever_the_spacing() -> None:
    for _, text in labelled(SETS[0]):
        if HANGUL.search(text) and not re.search("[a-zA-Z]", text):
            squeezed, spread = text.replace(" ", ""), " ".join(text.replace(" ", ""))
            assert read(squeezed).type is read(text).type is read(spread).type, text


@given(st.text(max_size=200))
def test_any_text_reads_as_a_type_or_nothing_with_a_confidence_in_range(text: str) -> None:
    reading = read(text)
    assert 0.0 <= reading.confidence <= 1.0
    assert (reading.type is None) == (reading.confidence == 0.0)


def test_a_fall_is_a_patient_unless_the_words_describe_a_crowd() -> None:
    assert read("할머니가 화장실에서 넘어지셨어요").type is T.MEDICAL
    assert read("사람들이 밀려서 넘어졌어요").type is T.CROWD
    assert read("she fell down the stairs").type is T.MEDICAL
    assert read("the crowd is pushing and people fell").type is T.CROWD


def test_collapsed_and_not_breathing_is_an_arrest_collapsed_alone_a_fainting() -> None:
    assert read("사람이 쓰러졌는데 숨을 안 쉬어요").type is T.CARDIAC_ARREST
    assert read("사람이 쓰러졌어요").type is T.MEDICAL
    assert read("쓰러졌는데 숨은 쉬어요").type is T.MEDICAL


def test_the_scene_wins_over_the_patient_and_denials_count() -> None:
    assert read("불이 나서 사람이 안에 갇혀 있어요").type is T.FIRE
    assert read("교통사고가 났어요 사람이 다쳤어요").type is T.TRAFFIC
    assert read("불은 안 났는데 가스 냄새가 나요").type is T.GAS_LEAK
    assert read("불편하시면 불러주세요").type is None  # 불 inside other words is not fire


def test_an_other_call_takes_clear_words_and_stays_uncertain_with_weak_ones() -> None:
    gas = read("가스 냄새가 나요")
    assert gas.confidence >= CLEAR
    assert combine(T.OTHER, gas) == (T.GAS_LEAK, False)
    weak = read("아파요")
    assert weak.type is T.MEDICAL and weak.confidence < CLEAR
    assert combine(T.OTHER, weak) == (T.MEDICAL, True)
    assert combine(T.OTHER, read("전선이 끊어져 있어요")) == (T.OTHER, True)


def test_a_category_the_words_agree_with_or_say_nothing_about_stands() -> None:
    assert combine(T.FIRE, read("건물 3층에서 연기가 나요")) == (T.FIRE, False)
    assert combine(T.RESCUE, read("")) == (T.RESCUE, False)
    # a traffic call whose caller speaks of the injured: still the crash
    assert combine(T.TRAFFIC, read("오토바이 사고, 운전자 부상")) == (T.TRAFFIC, False)
    assert combine(T.MEDICAL, read("배가 아파요 연기 냄새도 좀 나고")) == (T.MEDICAL, False)


def test_a_category_yields_to_clear_words_of_another_emergency() -> None:
    crush = read("압사당할 것 같아요 사람들이 밀려요")
    assert combine(T.MEDICAL, crush) == (T.CROWD, False)  # a patient in a crush: the crush
    assert combine(T.FIRE, read("숨을 안 쉬어요")) == (T.FIRE, False)  # a victim at a fire
    # the call-taker heard a crash, the caller speaks of gas: the graver one, and uncertain
    assert combine(T.TRAFFIC, read("가스 냄새가 진동해요")) == (T.GAS_LEAK, True)


def test_a_call_becomes_evidence_of_what_its_words_say() -> None:
    base = {
        "id": "call-w1",
        "received_at": "2026-11-21T22:15:00+09:00",
        "location": {"lon": 126.9939, "lat": 37.5345},
    }
    words = "사람들이 밀려서 넘어졌어요 밑에 사람이 깔렸어요"
    crush = from_call(Call.model_validate({**base, "category": "other", "description": words}))
    assert crush.type is T.CROWD and not crush.uncertain and crush.kind == "other>crowd"
    bare = from_call(Call.model_validate({**base, "category": "other"}))
    assert bare.type is T.OTHER and bare.uncertain and bare.kind == "other"
    fire = from_call(Call.model_validate({**base, "category": "fire", "description": "불이야"}))
    assert fire.type is T.FIRE and not fire.uncertain and fire.kind == "fire"


def test_word_examples_hold() -> None:
    assert doctest.testmod(streams.words).failed == 0
