"""FINESS check key (Luhn with 2A→21, 2B→22), normalisation and département."""

import pytest

from validators.finess import (
    complete_with_key,
    department_of,
    finess_problem,
    is_valid_finess,
    normalize_finess,
)


@pytest.mark.parametrize("finess", ["750712184", "690781810", "010000016"])
def test_valid_metropolitan_numbers(finess):
    # 750712184 (AP-HP) and 690781810 (Hospices civils de Lyon) are real, public FINESS EJ.
    assert is_valid_finess(finess), finess_problem(finess)


def test_check_key_detects_a_single_wrong_digit():
    assert is_valid_finess("010000016")
    assert finess_problem("010000017") == "clé de contrôle incorrecte"
    assert finess_problem("010000026") == "clé de contrôle incorrecte"


def test_corsica_reads_2a_as_21_and_2b_as_22():
    a = complete_with_key("2A000001")
    b = complete_with_key("2B000001")
    assert is_valid_finess(a) and is_valid_finess(b)
    # the same digits under the other mapping do not validate
    assert not is_valid_finess("2A" + b[2:]) or a == "2A" + b[2:]
    assert department_of(a) == "2A" and department_of(b) == "2B"


def test_shape_problems_are_explained():
    assert "9" in finess_problem("12345")
    assert "caractères" in finess_problem("ABCDEFGHI")
    assert finess_problem("") == "numéro FINESS absent"


def test_lost_leading_zero_from_a_number_cell_is_restored():
    assert normalize_finess(10000016) == "010000016"
    assert normalize_finess(10000016.0) == "010000016"
    assert normalize_finess("01 000 001 6") == "010000016"
    # an 8-digit text (csv exported from Excel) is padded when that gives a valid key...
    assert normalize_finess("10000016") == "010000016"
    # ...and kept as typed otherwise, for GRP-01 to report it
    assert normalize_finess("10000017") == "10000017"


def test_departments_overseas_and_mayotte():
    assert department_of("690781810") == "69"
    assert department_of("970100228") == "971"
    assert department_of("970400000") == "974"
    assert department_of("980000000") == "976"


def test_reference_data_marks_corsica_and_overseas():
    from validators.reference import reference, region_of

    special = reference().corsica_or_overseas
    assert {"2A", "2B", "971", "972", "973", "974", "976"} <= special
    assert "69" not in special and region_of("67") == "Grand Est"
    assert len(reference().department_region) >= 101
