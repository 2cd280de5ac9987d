import pytest

from survey.shorthand import ShorthandError, canonical, parse_count, parse_number


@pytest.mark.parametrize(
    ("text", "value"),
    [("7B", 7_000_000_000), ("1.4T", 1_400_000_000_000), ("52K", 52_000), ("6.7 b", 6_700_000_000),
     ("111.5K", 111_500), ("1_000", 1000), (52002, 52002), ("20G", 20_000_000_000)],
)
def test_shorthand_is_read_as_exact_integers(text, value):
    assert parse_count(text) == value


@pytest.mark.parametrize("text", ["seven", "7Q", "1.2345K", "", "-"])
def test_shorthand_rejects_what_is_not_a_whole_count(text):
    with pytest.raises(ShorthandError):
        parse_count(text)


@pytest.mark.parametrize("value", [7_000_000_000, 1_400_000_000_000, 52_000, 52_002, 111_500, 350_000_000, 12])
def test_canonical_spelling_reads_back_to_the_same_integer(value):
    assert parse_count(canonical(value)) == value


def test_canonical_prefers_the_short_form():
    assert canonical(7_000_000_000) == "7B"
    assert canonical(20_000_000_000, billion="G") == "20G"
    assert canonical(52_002) == 52_002


def test_plain_decimals_stay_decimals():
    assert parse_number("1.5") == 1.5
    assert parse_number(3) == 3
