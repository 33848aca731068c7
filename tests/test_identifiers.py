"""Tests for ville_hopital.identifiers: pure functions and Django validators, no database.

Runs without Django settings (``pytest -p no:django``): the lazy French messages
are rendered through Django's null translation (see ``plain_messages``).
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import trans_null
from hypothesis import assume, given
from hypothesis import strategies as st

from ville_hopital.identifiers import (
    DEPARTEMENT_CODES,
    InvalidIdentifier,
    clean_adeli,
    clean_finess,
    clean_rpps,
    clean_siren,
    clean_siret,
    is_valid_adeli,
    is_valid_finess,
    is_valid_rpps,
    is_valid_siren,
    is_valid_siret,
    luhn_check_digit,
    luhn_is_valid,
    normalize,
    rpps_national_id,
    validate_adeli,
    validate_finess,
    validate_rpps,
    validate_siren,
    validate_siret,
)

digit_strings = st.text(alphabet="0123456789", min_size=1, max_size=30)


@pytest.fixture
def plain_messages(monkeypatch: pytest.MonkeyPatch) -> None:
    """Render lazy messages as their (French) source text, whether or not Django is set up.

    Forcing a ``gettext_lazy`` proxy needs settings and, with USE_I18N, a ready app
    registry; routing gettext to the null translation makes the test independent of
    both and of whichever language another test may have activated.
    """
    monkeypatch.setitem(translation._trans.__dict__, "gettext", trans_null.gettext)


def with_key(payload: str) -> str:
    return payload + luhn_check_digit(payload)


# --------------------------------------------------------------------------- #
# normalize, Luhn
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("100 0517 3140", "10005173140"),
        ("732.829.320.00074", "73282932000074"),
        ("732-829-320-00074", "73282932000074"),
        (" 75 071 218 4 ", "750712184"),
        ("100\u00a0051\u202f731\t40\n", "10005173140"),  # non-breaking / narrow spaces
        ("2a 000 001 4", "2A0000014"),
        ("", ""),
        (None, ""),
        (750712184, "750712184"),
    ],
)
def test_normalize(raw: object, expected: str) -> None:
    assert normalize(raw) == expected


@pytest.mark.parametrize(
    ("digits", "valid"),
    [
        ("0", True),
        ("18", True),
        ("79927398713", True),  # the textbook example
        ("79927398710", False),
        ("10005173140", True),
        ("", False),
        ("12a4", False),
        ("١٢", False),  # non-ASCII digits
        ("²", False),
        (" 18", False),  # luhn_is_valid does not normalise
    ],
)
def test_luhn_is_valid(digits: str, valid: bool) -> None:
    assert luhn_is_valid(digits) is valid


@pytest.mark.parametrize(
    ("payload", "key"),
    [("7992739871", "3"), ("1000517314", "0"), ("7328293200007", "4"), ("75071218", "4"), ("0", "0")],
)
def test_luhn_check_digit(payload: str, key: str) -> None:
    assert luhn_check_digit(payload) == key


@pytest.mark.parametrize("payload", ["", "12a", "1 2", "١٢"])
def test_luhn_check_digit_rejects_non_digits(payload: str) -> None:
    with pytest.raises(ValueError, match="digits"):
        luhn_check_digit(payload)


@given(digit_strings)
def test_payload_plus_computed_key_is_valid(payload: str) -> None:
    assert luhn_is_valid(with_key(payload))


@given(digit_strings, st.data())
def test_only_the_computed_key_is_valid(payload: str, data: st.DataObject) -> None:
    other = data.draw(st.sampled_from("0123456789").filter(lambda d: d != luhn_check_digit(payload)))
    assert not luhn_is_valid(payload + other)


@given(digit_strings, st.data())
def test_changing_any_single_digit_invalidates(payload: str, data: st.DataObject) -> None:
    number = with_key(payload)
    position = data.draw(st.integers(0, len(number) - 1))
    new_digit = data.draw(st.sampled_from("0123456789").filter(lambda d: d != number[position]))
    mutated = number[:position] + new_digit + number[position + 1 :]
    assert not luhn_is_valid(mutated)


@given(st.text(alphabet="0123456789", min_size=1, max_size=30), st.data())
def test_adjacent_transposition_caught_except_09_90(payload: str, data: st.DataObject) -> None:
    number = with_key(payload)
    position = data.draw(st.integers(0, len(number) - 2))
    a, b = number[position], number[position + 1]
    assume(a != b)
    swapped = number[:position] + b + a + number[position + 2 :]
    # Luhn detects every transposition of two adjacent different digits, except 09 <-> 90.
    assert luhn_is_valid(swapped) is ({a, b} == {"0", "9"})


def test_09_90_transposition_is_the_blind_spot() -> None:
    number = with_key("1090")
    assert luhn_is_valid(number)
    assert luhn_is_valid(number.replace("09", "90", 1))


# --------------------------------------------------------------------------- #
# Départements
# --------------------------------------------------------------------------- #


def test_departement_codes() -> None:
    assert len(DEPARTEMENT_CODES) == 101
    assert isinstance(DEPARTEMENT_CODES, frozenset)
    assert {"01", "19", "2A", "2B", "21", "75", "95", "971", "972", "973", "974", "976"} <= DEPARTEMENT_CODES
    assert not {"00", "20", "96", "97", "975", "977", "98", "99", "1", "2C"} & DEPARTEMENT_CODES


# --------------------------------------------------------------------------- #
# RPPS
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("value", ["10005173140", "10002909371", "100 0517 3140", "100.029.093.71"])
def test_rpps_valid(value: str) -> None:
    assert is_valid_rpps(value)
    assert clean_rpps(value) == normalize(value)
    validate_rpps(value)  # does not raise


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("1000517314", "invalid_length"),
        ("100051731400", "invalid_length"),
        ("", "invalid_length"),
        ("1000517314O", "invalid_characters"),  # letter O
        ("RPPS1000517", "invalid_characters"),
        ("10005173141", "invalid_key"),
        ("01005173140", "invalid_key"),  # transposition of the first two digits
    ],
)
def test_rpps_invalid(value: str, code: str) -> None:
    assert not is_valid_rpps(value)
    with pytest.raises(InvalidIdentifier) as excinfo:
        clean_rpps(value)
    assert excinfo.value.code == code
    assert excinfo.value.kind == "RPPS"
    with pytest.raises(ValidationError) as django_excinfo:
        validate_rpps(value)
    assert django_excinfo.value.code == code


def test_rpps_national_id() -> None:
    assert rpps_national_id("10005173140") == "810005173140"
    assert rpps_national_id("100 0290 9371") == "810002909371"
    with pytest.raises(InvalidIdentifier):
        rpps_national_id("10005173141")
    with pytest.raises(ValueError):  # InvalidIdentifier is a ValueError
        rpps_national_id("123")


@given(st.text(alphabet="0123456789", min_size=10, max_size=10))
def test_any_rpps_payload_with_key_is_valid(payload: str) -> None:
    assume(len(set(with_key(payload))) > 1)  # one digit repeated: refused (test_repeated_digit_is_refused)
    assert is_valid_rpps(with_key(payload))


# --------------------------------------------------------------------------- #
# ADELI
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    "value",
    [
        "751234567",
        "011234567",
        "951234567",
        "201234567",  # Corsica written with digits
        "971234567",  # overseas: the first two digits are "97"
        "976000000",
        "75 12 3456 7",
    ],
)
def test_adeli_valid(value: str) -> None:
    assert is_valid_adeli(value)
    assert clean_adeli(value) == normalize(value)
    validate_adeli(value)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("75123456", "invalid_length"),
        ("7512345678", "invalid_length"),
        ("2A1234567", "invalid_characters"),
        ("75123456X", "invalid_characters"),
        ("001234567", "invalid_departement"),
        ("961234567", "invalid_departement"),
        ("981234567", "invalid_departement"),
        ("991234567", "invalid_departement"),
    ],
)
def test_adeli_invalid(value: str, code: str) -> None:
    assert not is_valid_adeli(value)
    with pytest.raises(ValidationError) as excinfo:
        validate_adeli(value)
    assert excinfo.value.code == code


def test_adeli_key_is_not_checked() -> None:
    assert all(is_valid_adeli(f"7512345{last:02d}") for last in range(100))


# --------------------------------------------------------------------------- #
# FINESS
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    "value",
    [
        "750712184",  # AP-HP
        "750100125",  # Pitié-Salpêtrière
        "130786049",  # AP-HM
        "75 071 218 4",
        "971000013",  # Guadeloupe
        "975000019",  # Saint-Pierre-et-Miquelon has FINESS numbers
        "2A0000014",
        "2B0000023",
        "2a 000 001 4",
        "2A1234567",  # Corsican keys are not checked
    ],
)
def test_finess_valid(value: str) -> None:
    assert is_valid_finess(value)
    assert clean_finess(value) == normalize(value)
    validate_finess(value)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("75071218", "invalid_length"),
        ("7507121840", "invalid_length"),
        ("2A000001", "invalid_length"),
        ("", "invalid_length"),
        ("75071218A", "invalid_characters"),
        ("2A00000X1", "invalid_characters"),
        ("2C0000001", "invalid_characters"),
        ("ABCDEFGHI", "invalid_characters"),
        ("000000018", "invalid_departement"),
        ("200000016", "invalid_departement"),  # 20 is not used, Corsica is 2A/2B
        ("960000016", "invalid_departement"),
        ("970000010", "invalid_departement"),
        ("977000017", "invalid_departement"),
        ("980000012", "invalid_departement"),  # 98 is not a département
        ("750712185", "invalid_key"),
        ("570712184", "invalid_key"),
        ("971000014", "invalid_key"),
    ],
)
def test_finess_invalid(value: str, code: str) -> None:
    assert not is_valid_finess(value)
    with pytest.raises(InvalidIdentifier) as excinfo:
        clean_finess(value)
    assert excinfo.value.code == code
    with pytest.raises(ValidationError) as django_excinfo:
        validate_finess(value)
    assert django_excinfo.value.code == code


finess_numeric_prefixes = st.sampled_from(
    [
        *sorted(code for code in DEPARTEMENT_CODES if code.isdigit() and len(code) == 2),
        *(f"97{n}" for n in range(1, 7)),  # 975 included: FINESS numbers Saint-Pierre-et-Miquelon
    ]
)


@given(finess_numeric_prefixes, st.data())
def test_any_numeric_finess_with_key_is_valid(prefix: str, data: st.DataObject) -> None:
    middle = data.draw(st.text(alphabet="0123456789", min_size=8 - len(prefix), max_size=8 - len(prefix)))
    number = with_key(prefix + middle)
    assume(len(set(number)) > 1)
    assert is_valid_finess(number)
    position = data.draw(st.integers(len(prefix), 8))
    other = data.draw(st.sampled_from("0123456789").filter(lambda d: d != number[position]))
    assert not is_valid_finess(number[:position] + other + number[position + 1 :])


# --------------------------------------------------------------------------- #
# SIREN / SIRET
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("value", ["732829320", "356000000", "732 829 320"])
def test_siren_valid(value: str) -> None:
    assert is_valid_siren(value)
    assert clean_siren(value) == normalize(value)
    validate_siren(value)


@pytest.mark.parametrize(
    ("value", "code"),
    [("73282932", "invalid_length"), ("73282932O", "invalid_characters"), ("732829321", "invalid_key")],
)
def test_siren_invalid(value: str, code: str) -> None:
    assert not is_valid_siren(value)
    with pytest.raises(ValidationError) as excinfo:
        validate_siren(value)
    assert excinfo.value.code == code


@pytest.mark.parametrize(
    "value",
    [
        "73282932000074",
        "732 829 320 00074",
        "35600000000048",  # La Poste head office: Luhn-valid, digit sum 26 (not a multiple of 5)
        "35600000000010",  # La Poste: digit sum 15, not Luhn-valid
        "35600000049837",  # La Poste: digit sum 45, not Luhn-valid
    ],
)
def test_siret_valid(value: str) -> None:
    assert is_valid_siret(value)
    assert clean_siret(value) == normalize(value)
    validate_siret(value)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("7328293200007", "invalid_length"),
        ("732829320000740", "invalid_length"),
        ("7328293200007A", "invalid_characters"),
        ("73282932000079", "invalid_key"),
        ("35600000000014", "invalid_key"),  # La Poste: Luhn-valid but digit sum 19
        ("35600000004982", "invalid_key"),  # La Poste: Luhn-valid but digit sum 37
    ],
)
def test_siret_invalid(value: str, code: str) -> None:
    assert not is_valid_siret(value)
    with pytest.raises(ValidationError) as excinfo:
        validate_siret(value)
    assert excinfo.value.code == code


def test_la_poste_examples_are_what_they_claim() -> None:
    assert luhn_is_valid("35600000000048")
    assert sum(map(int, "35600000000048")) % 5 == 1
    assert luhn_is_valid("35600000000014")
    assert not luhn_is_valid("35600000000010")


@given(st.text(alphabet="0123456789", min_size=13, max_size=13))
def test_any_siret_payload_with_key_is_valid(payload: str) -> None:
    assume(not payload.startswith("356000000") and len(set(with_key(payload))) > 1)
    assert is_valid_siret(with_key(payload))


@given(st.text(alphabet="0123456789", min_size=5, max_size=5))
def test_la_poste_siret_follows_the_digit_sum_rule(nic: str) -> None:
    number = "356000000" + nic
    expected = number == "35600000000048" or sum(map(int, number)) % 5 == 0
    assert is_valid_siret(number) is expected


# --------------------------------------------------------------------------- #
# One digit repeated
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    ("clean", "kind", "value"),
    [
        (clean_rpps, "RPPS", "00000000000"),  # Luhn-valid: only this rule refuses it
        (clean_rpps, "RPPS", "111 1111 1111"),
        (clean_adeli, "ADELI", "111111111"),
        (clean_finess, "FINESS", "111111111"),
        (clean_finess, "FINESS", "000000000"),
        (clean_siren, "SIREN", "000000000"),
        (clean_siret, "SIRET", "00000000000000"),
    ],
)
def test_repeated_digit_is_refused(clean, kind: str, value: str) -> None:
    with pytest.raises(InvalidIdentifier) as excinfo:
        clean(value)
    assert (excinfo.value.kind, excinfo.value.code) == (kind, "repeated_digit")


# --------------------------------------------------------------------------- #
# Messages (what forms show)
# --------------------------------------------------------------------------- #


@pytest.mark.usefixtures("plain_messages")
@pytest.mark.parametrize(
    ("validator", "value", "message"),
    [
        (validate_rpps, "123", "Le numéro RPPS doit comporter 11 chiffres."),
        (validate_rpps, "10005173141", "La clé de contrôle du numéro RPPS est invalide."),
        (validate_rpps, "1000517314O", "Le numéro RPPS ne doit contenir que des chiffres."),
        (validate_adeli, "75123456", "Le numéro ADELI doit comporter 9 chiffres."),
        (validate_adeli, "981234567", "Le numéro ADELI doit commencer par un code de département valide"),
        (validate_finess, "75071218", "Le numéro FINESS doit comporter 9 caractères."),
        (validate_finess, "750712185", "La clé de contrôle du numéro FINESS est invalide."),
        (validate_finess, "980000012", "Le numéro FINESS doit commencer par un code de département valide"),
        (validate_finess, "2C0000001", "Le numéro FINESS ne doit contenir que des chiffres"),
        (validate_siren, "732829321", "La clé de contrôle du numéro SIREN est invalide."),
        (validate_siret, "7328293200007", "Le numéro SIRET doit comporter 14 chiffres."),
        (validate_siret, "73282932000079", "La clé de contrôle du numéro SIRET est invalide."),
        (validate_rpps, "00000000000", "Le numéro RPPS ne peut pas être un seul chiffre répété"),
        (validate_finess, "111111111", "Le numéro FINESS ne peut pas être un seul chiffre répété"),
    ],
)
def test_validator_messages(validator, value: str, message: str) -> None:
    with pytest.raises(ValidationError) as excinfo:
        validator(value)
    [text] = excinfo.value.messages
    assert text.startswith(message)
