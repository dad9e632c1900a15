"""Australian identifiers: check digits and shapes (mock_halo.practice.identifiers)."""

from __future__ import annotations

import random
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mock_halo.practice import identifiers as ids

seeds = st.integers(min_value=0, max_value=2**64)


def test_medicare_check_digit_by_hand() -> None:
    # 2123 4567 ?: 2*1 + 1*3 + 2*7 + 3*9 + 4*1 + 5*3 + 6*7 + 7*9 = 170 -> 0
    assert ids.medicare_check_digit("21234567") == 0
    assert ids.is_valid_medicare("2123456701")
    assert not ids.is_valid_medicare("2123456711")  # wrong check digit
    assert not ids.is_valid_medicare("2123456700")  # issue number 0
    assert not ids.is_valid_medicare("7123456701")  # first digit outside 2-6
    assert not ids.is_valid_medicare("212345670")  # too short


def test_luhn_by_hand() -> None:
    assert ids.luhn_check_digit("7992739871") == 3  # the textbook example
    assert ids.is_valid_luhn("79927398713")
    assert not ids.is_valid_luhn("79927398714")


@given(seeds)
def test_generated_medicare_numbers_are_valid(seed: int) -> None:
    number = ids.medicare_number(random.Random(seed))
    assert ids.is_valid_medicare(number), number


@given(seeds)
def test_generated_ihi_hpii_hpio_are_valid(seed: int) -> None:
    rng = random.Random(seed)
    ihi, hpii, hpio = ids.ihi(rng), ids.hpii(rng), ids.hpio(rng)
    assert ids.is_valid_healthcare_identifier(ihi, "800360"), ihi
    assert ids.is_valid_healthcare_identifier(hpii, "800361"), hpii
    assert ids.is_valid_healthcare_identifier(hpio, "800362"), hpio


@given(seeds, st.integers(min_value=0, max_value=15))
def test_changing_one_ihi_digit_breaks_the_check(seed: int, position: int) -> None:
    number = ids.ihi(random.Random(seed))
    digit = int(number[position])
    changed = number[:position] + str((digit + 1) % 10) + number[position + 1:]
    assert not ids.is_valid_luhn(changed)


@given(seeds)
def test_provider_numbers_and_abns_are_valid(seed: int) -> None:
    rng = random.Random(seed)
    provider = ids.provider_number(rng)
    assert ids.is_valid_provider_number(provider), provider
    assert not ids.is_valid_provider_number(provider[:7] + ("A" if provider[7] != "A" else "B"))
    abn = ids.abn(rng)
    assert ids.abn_is_valid(abn), abn


def test_known_abn() -> None:
    assert ids.abn_is_valid("51824753556")  # the ATO's worked example
    assert not ids.abn_is_valid("51824753557")


@settings(max_examples=50)
@given(seeds, st.sampled_from(sorted(ids.AREA_CODES)))
def test_number_shapes(seed: int, state: str) -> None:
    rng = random.Random(seed)
    assert re.fullmatch(r"04\d\d \d{3} \d{3}", ids.mobile_number(rng))
    landline = ids.landline_number(rng, state)
    assert re.fullmatch(r"\(0[2378]\) \d{4} \d{4}", landline)
    assert landline[1:3] == ids.AREA_CODES[state]
    assert re.fullmatch(r"[NVQSWT](X|N|SM|SS|KM|SR|BW)\d+[A-H]?", ids.dva_number(rng, state))
    assert len(ids.dva_number(rng)) <= 9
    assert re.fullmatch(r"[1-9]\d{8}[A-Z]", ids.crn(rng))
    postcode = ids.postcode_in_state(rng, state)
    assert re.fullmatch(r"\d{4}", postcode)
    assert any(lo <= int(postcode) <= hi for lo, hi in ids.POSTCODE_RANGES[state])


@pytest.mark.parametrize("state", sorted(ids.POSTCODE_RANGES))
def test_postcode_near_stays_in_the_state(state: str) -> None:
    rng = random.Random(7)
    centre = ids.postcode_in_state(rng, state)
    for _ in range(200):
        code = int(ids.postcode_near(rng, state, centre))
        assert abs(code - int(centre)) <= 40
        assert any(lo <= code <= hi for lo, hi in ids.POSTCODE_RANGES[state])
