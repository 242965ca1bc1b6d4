import hashlib
import hmac

import pytest

from policies.masking import keyed_hash, mask_id_number, mask_phone


@pytest.mark.parametrize(
    ("mobile", "expected"),
    [
        ("13812345678", "138****5678"),
        ("19900001111", "199****1111"),
        ("", ""),
        (None, ""),
        ("12345678", "********"),  # unknown shape: nothing shown
        ("0101234567", "******4567"),
    ],
)
def test_mask_phone(mobile, expected):
    assert mask_phone(mobile) == expected


@pytest.mark.parametrize(
    ("id_number", "expected"),
    [
        ("11010519491231002X", "1101**********002X"),
        ("110101199003074477", "1101**********4477"),
        ("", ""),
        (None, ""),
        ("E1234567", "********"),  # short passport-like number: nothing shown
        ("110105491231002", "1101*******1002"),  # first-generation 15 digits
    ],
)
def test_mask_id_number(id_number, expected):
    assert mask_id_number(id_number) == expected


def test_masked_values_never_contain_the_hidden_middle():
    assert "1949" not in mask_id_number("11010519491231002X")
    assert "1234" not in mask_phone("13812345678")


def test_keyed_hash_is_hmac_sha256_hex():
    expected = hmac.new(b"k", b"11010519491231002X", hashlib.sha256).hexdigest()
    assert keyed_hash("11010519491231002X", key="k") == expected
    assert len(expected) == 64


@pytest.mark.parametrize(
    ("first", "second", "same"),
    [
        (("11010519491231002X", "k1"), ("11010519491231002X", "k1"), True),
        (("11010519491231002X", "k1"), ("11010519491231002X", "k2"), False),
        (("11010519491231002X", "k1"), ("110101199003074477", "k1"), False),
    ],
)
def test_keyed_hash_matches_only_same_value_and_key(first, second, same):
    assert (keyed_hash(first[0], key=first[1]) == keyed_hash(second[0], key=second[1])) is same


def test_keyed_hash_without_key_is_refused():
    with pytest.raises(ValueError, match="key"):
        keyed_hash("11010519491231002X", key="")


def test_keyed_hash_is_not_a_plain_hash():
    plain = hashlib.sha256(b"11010519491231002X").hexdigest()
    assert keyed_hash("11010519491231002X", key="k") != plain
