"""Input rules shared by forms, API and services."""

import pytest

from app.core import validation as v
from app.core.errors import ValidationFailed


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("alice", "alice"),
        ("Alice_01", "alice_01"),
        ("  bob-x ", "bob-x"),
        ("abc", "abc"),
        ("a" * 30, "a" * 30),
    ],
)
def test_username_accepted_and_lowercased(raw, expected):
    assert v.normalise_username(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "ab",
        "a" * 31,
        "al ice",
        "alice!",
        "ālice",
        "alice\x00",
        "",
        42,
        None,
        ["alice"],
        "al\u202eice",
        "alice.b",
    ],
)
def test_username_rejected(raw):
    with pytest.raises(ValidationFailed):
        v.normalise_username(raw)


def test_email_lowercased_and_syntax_only():
    assert v.normalise_email(" Alice@Example.ORG ") == "alice@example.org"
    # No DNS lookups: a syntactically fine address on an unknown domain is accepted.
    assert v.normalise_email("x@no-such-host.journster-example.com") == (
        "x@no-such-host.journster-example.com"
    )


@pytest.mark.parametrize(
    "raw", ["", "plain", "a@", "@b.org", "a@b@c.org", "a\x00@b.org", "a" * 250 + "@b.org", 5, None]
)
def test_email_rejected(raw):
    with pytest.raises(ValidationFailed):
        v.normalise_email(raw)


def test_password_length_rules():
    assert v.check_password("x" * 10) == "x" * 10
    assert v.check_password(" padded  pw ") == " padded  pw "  # never stripped
    for bad in ["x" * 9, "x" * 257, "abcdefghij\x00", 1234567890, None]:
        with pytest.raises(ValidationFailed):
            v.check_password(bad)


def test_clean_text_limits_and_control_characters():
    assert v.clean_text("  hi  ", max_length=5) == "hi"
    assert v.clean_text(None, max_length=5) == ""
    assert v.clean_text("a\nb", max_length=5, multiline=True) == "a\nb"
    with pytest.raises(ValidationFailed):
        v.clean_text("a\nb", max_length=5)  # single-line fields refuse newlines
    with pytest.raises(ValidationFailed):
        v.clean_text("a\x00b", max_length=5, multiline=True)
    with pytest.raises(ValidationFailed):
        v.clean_text("abcdef", max_length=5)
    with pytest.raises(ValidationFailed):
        v.clean_text(["x"], max_length=5)
    # Emoji and right-to-left text are content, not control characters.
    assert v.clean_text("🎉 \u202eabc", max_length=10) == "🎉 \u202eabc"


def test_tags_normalised_deduplicated_and_limited():
    assert v.normalise_tags("Python, c++ , C#,python  node.js", max_count=5) == [
        "python",
        "c++",
        "c#",
        "node.js",
    ]
    assert v.normalise_tags(["A", "b"], max_count=5) == ["a", "b"]
    assert v.normalise_tags("", max_count=5) == []
    for bad in ["no_underscore", "x" * 36, "<script>", "a/b"]:
        with pytest.raises(ValidationFailed):
            v.normalise_tags(bad, max_count=5)
    with pytest.raises(ValidationFailed):
        v.normalise_tags("a b c", max_count=2)
    with pytest.raises(ValidationFailed):
        v.normalise_tags("", max_count=5, min_count=1)
    with pytest.raises(ValidationFailed):
        v.normalise_tags([1, 2], max_count=5)


def test_timezone_modes_and_response_time():
    assert v.check_timezone("Europe/Berlin") == "Europe/Berlin"
    for bad in ["Mars/Olympus", "", None, "../../etc/passwd", 3]:
        with pytest.raises(ValidationFailed):
            v.check_timezone(bad)
    assert v.check_modes(["video", "message"]) == ["message", "video"]
    for bad in [["fax"], "message", [1]]:
        with pytest.raises(ValidationFailed):
            v.check_modes(bad)
    assert v.check_response_time(None) is None
    assert v.check_response_time(24) == 24
    for bad in [0, 721, "24", 2.5, True]:
        with pytest.raises(ValidationFailed):
            v.check_response_time(bad)


def test_field_errors_collects_every_field():
    errors = v.FieldErrors()
    assert errors.check("username", v.normalise_username, "x") is None
    assert errors.check("email", v.normalise_email, "nope") is None
    assert errors.check("password", v.check_password, "long enough pw") == "long enough pw"
    with pytest.raises(ValidationFailed) as info:
        errors.raise_if_any()
    assert set(info.value.fields) == {"username", "email"}


@pytest.mark.parametrize(
    "value, expected",
    [
        (1, 1),
        ("1", 1),
        (" 42 ", 42),
        ("2147483647", 2**31 - 1),
        (2**31 - 1, 2**31 - 1),
        ("0", None),
        (0, None),
        ("-1", None),
        ("2147483648", None),
        (2**31, None),
        ("²", None),
        ("١", None),
        ("12²", None),
        ("1.0", None),
        ("1e3", None),
        ("+1", None),
        ("1 2", None),
        ("", None),
        (None, None),
        (True, None),
        (1.0, None),
        ([1], None),
        ("9" * 19, None),
        ("9" * 5000, None),
        ("\x001", None),
    ],
)
def test_parse_id_accepts_only_ascii_ids_in_the_column_range(value, expected):
    assert v.parse_id(value) == expected


def test_parse_int_bounds():
    assert v.parse_int("-3") == -3 and v.parse_int("-3", minimum=0) is None
    assert v.parse_int("12", maximum=12) == 12 and v.parse_int("13", maximum=12) is None
    assert v.parse_int("²", minimum=0) is None
