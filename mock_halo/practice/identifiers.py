"""Australian health identifiers and contact numbers with the right shapes.

Every generator takes a ``random.Random`` so the caller controls determinism;
every identifier with a check digit has a matching validator used by the tests.

* Medicare card number: ten digits. The first is 2-6, the ninth is a check
  digit ``sum(d * w for d, w in zip(first8, (1, 3, 7, 9, 1, 3, 7, 9))) % 10``,
  the tenth is the card issue number. The individual reference number (IRN,
  1-9: the person's line on the card) is stored separately.
* IHI / HPI-I / HPI-O: sixteen digits, prefix 800360 / 800361 / 800362, Luhn
  check digit last.
* Medicare provider number: six-digit stem, a practice location character and a
  check character.
* ABN: eleven digits with the ATO's modulus-89 check.
* DVA file number, Centrelink CRN and PBS safety net numbers: plausible formats
  only (their check rules are not public or not needed).
* Phone numbers: mobiles ``04xx xxx xxx``; landlines ``(0A) xxxx xxxx`` with the
  area code of the state. They are random, not ACMA's fictitious ranges, so do
  not dial them.
"""

from __future__ import annotations

import random

MEDICARE_WEIGHTS = (1, 3, 7, 9, 1, 3, 7, 9)
IHI_PREFIX = "800360"
HPII_PREFIX = "800361"
HPIO_PREFIX = "800362"

#: Practice location characters of provider numbers (no I, O, S or Z).
PROVIDER_LOCATION_CHARS = "0123456789ABCDEFGHJKLMNPQRTUVWXY"
PROVIDER_WEIGHTS = (3, 5, 8, 4, 2, 1)
PROVIDER_CHECK_CHARS = "YXWTLKJHFBA"
ABN_WEIGHTS = (10, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19)

#: Telephone area code per state or territory.
AREA_CODES = {"NSW": "02", "ACT": "02", "VIC": "03", "TAS": "03", "QLD": "07", "SA": "08", "WA": "08", "NT": "08"}

#: Postcode ranges of street addresses per state (inclusive).
POSTCODE_RANGES: dict[str, tuple[tuple[int, int], ...]] = {
    "NSW": ((2000, 2599), (2619, 2899), (2921, 2999)),
    "ACT": ((2600, 2618), (2900, 2920)),
    "VIC": ((3000, 3999),),
    "QLD": ((4000, 4999),),
    "SA": ((5000, 5799),),
    "WA": ((6000, 6797),),
    "TAS": ((7000, 7799),),
    "NT": ((800, 899),),
}

DVA_STATES = "NVQSWT"
DVA_WAR_CODES = ("X", "X", "X", "N", "SM", "SS", "KM", "SR", "BW")


def _digits(rng: random.Random, n: int) -> str:
    return "".join(str(rng.randrange(10)) for _ in range(n))


# -- Medicare ---------------------------------------------------------------
def medicare_check_digit(first8: str) -> int:
    """The ninth digit of a Medicare card number."""
    return sum(int(d) * w for d, w in zip(first8, MEDICARE_WEIGHTS, strict=True)) % 10


def medicare_number(rng: random.Random) -> str:
    """A ten-digit Medicare card number (identifier, check digit, issue number)."""
    first8 = str(rng.randint(2, 6)) + _digits(rng, 7)
    issue = rng.choice("1111222334567")
    return f"{first8}{medicare_check_digit(first8)}{issue}"


def is_valid_medicare(number: str) -> bool:
    """True for ten digits, first 2-6, a right check digit and an issue number 1-9."""
    return (
        len(number) == 10
        and number.isdigit()
        and number[0] in "23456"
        and int(number[8]) == medicare_check_digit(number[:8])
        and number[9] != "0"
    )


# -- Luhn identifiers (IHI, HPI-I, HPI-O) -----------------------------------
def luhn_check_digit(payload: str) -> int:
    """The Luhn digit to append to ``payload``."""
    total = 0
    for i, ch in enumerate(reversed(payload)):
        d = int(ch)
        if i % 2 == 0:  # doubled: the rightmost payload digit sits left of the check digit
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return (10 - total % 10) % 10


def is_valid_luhn(number: str) -> bool:
    return len(number) > 1 and number.isdigit() and luhn_check_digit(number[:-1]) == int(number[-1])


def _healthcare_identifier(rng: random.Random, prefix: str) -> str:
    payload = prefix + _digits(rng, 15 - len(prefix))
    return payload + str(luhn_check_digit(payload))


def ihi(rng: random.Random) -> str:
    """An Individual Healthcare Identifier: 16 digits, 800360..., Luhn-valid."""
    return _healthcare_identifier(rng, IHI_PREFIX)


def hpii(rng: random.Random) -> str:
    """A Healthcare Provider Identifier - Individual (800361...)."""
    return _healthcare_identifier(rng, HPII_PREFIX)


def hpio(rng: random.Random) -> str:
    """A Healthcare Provider Identifier - Organisation (800362...)."""
    return _healthcare_identifier(rng, HPIO_PREFIX)


def is_valid_healthcare_identifier(number: str, prefix: str = IHI_PREFIX) -> bool:
    return len(number) == 16 and number.startswith(prefix) and is_valid_luhn(number)


# -- Medicare provider numbers ----------------------------------------------
def provider_check_char(stem: str, location: str) -> str:
    plv = PROVIDER_LOCATION_CHARS.index(location)
    total = sum(int(d) * w for d, w in zip(stem, PROVIDER_WEIGHTS, strict=True)) + plv * 6
    return PROVIDER_CHECK_CHARS[total % 11]


def provider_number(rng: random.Random, location: str | None = None) -> str:
    """An eight-character provider number, e.g. ``2345671T``."""
    stem = str(rng.randint(1, 9)) + _digits(rng, 5)
    loc = location if location is not None else rng.choice(PROVIDER_LOCATION_CHARS[:10])
    return stem + loc + provider_check_char(stem, loc)


def is_valid_provider_number(number: str) -> bool:
    return (
        len(number) == 8
        and number[:6].isdigit()
        and number[6] in PROVIDER_LOCATION_CHARS
        and number[7] == provider_check_char(number[:6], number[6])
    )


# -- ABN ----------------------------------------------------------------------
def abn_is_valid(abn: str) -> bool:
    if len(abn) != 11 or not abn.isdigit() or abn[0] == "0":
        return False
    digits = [int(d) for d in abn]
    digits[0] -= 1
    return sum(d * w for d, w in zip(digits, ABN_WEIGHTS, strict=True)) % 89 == 0


def abn(rng: random.Random) -> str:
    """An eleven-digit Australian Business Number with a valid check."""
    while True:
        tail = _digits(rng, 9)
        rest = sum(int(d) * w for d, w in zip(tail, ABN_WEIGHTS[2:], strict=True))
        # Solve 10*(a-1) + b + rest == 0 (mod 89) for the two leading digits.
        for a in range(1, 10):
            b = (-(10 * (a - 1) + rest)) % 89
            if b <= 9:
                return f"{a}{b}{tail}"


# -- other numbers ----------------------------------------------------------
def dva_number(rng: random.Random, state: str | None = None) -> str:
    """A DVA file number such as ``NX123456`` or ``VSM12345``: state, war code, digits."""
    letter = {"NSW": "N", "ACT": "N", "VIC": "V", "QLD": "Q", "SA": "S", "NT": "S", "WA": "W", "TAS": "T"}.get(
        state or "", rng.choice(DVA_STATES)
    )
    war = rng.choice(DVA_WAR_CODES)
    number = letter + war + _digits(rng, 8 - 1 - len(war))
    if rng.random() < 0.1:
        number += rng.choice("ABCDEFGH")  # a segment letter for dependants
    return number


def crn(rng: random.Random) -> str:
    """A Centrelink customer reference number shape: nine digits and a letter."""
    return str(rng.randint(1, 9)) + _digits(rng, 8) + rng.choice("ABCDEFGHJKLMNPQRSTUVWXY")


def safety_net_number(rng: random.Random) -> str:
    """A PBS safety net card number shape: C (concession) or E (entitlement) and eight digits."""
    return rng.choice("CE") + _digits(rng, 8)


def mobile_number(rng: random.Random) -> str:
    """``04xx xxx xxx``."""
    d = "4" + _digits(rng, 8)
    return f"0{d[:3]} {d[3:6]} {d[6:]}"


def landline_number(rng: random.Random, state: str) -> str:
    """``(0A) xxxx xxxx`` with the state's area code."""
    local = str(rng.randint(4, 9)) + _digits(rng, 7)
    return f"({AREA_CODES.get(state, '02')}) {local[:4]} {local[4:]}"


def postcode_in_state(rng: random.Random, state: str) -> str:
    """A four-digit postcode inside one of the state's ranges."""
    ranges = POSTCODE_RANGES[state]
    low, high = rng.choice(ranges)
    return f"{rng.randint(low, high):04d}"


def postcode_near(rng: random.Random, state: str, centre: str, spread: int = 40) -> str:
    """A postcode of the same state and range as ``centre``, within ``spread`` of it."""
    c = int(centre)
    for low, high in POSTCODE_RANGES[state]:
        if low <= c <= high:
            return f"{rng.randint(max(low, c - spread), min(high, c + spread)):04d}"
    return postcode_in_state(rng, state)
