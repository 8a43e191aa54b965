"""The template helpers: randomValue, randomInt, randomDecimal, now, faker, cut, replace, substring."""

from __future__ import annotations

import re
import string
from datetime import UTC, datetime, timedelta

import pytest

from compiler.templating.engine import TemplateEngine
from compiler.templating.fakerkeys import FAKER_KEYS
from compiler.templating.helpers import Helpers, cut, replace, substring
from compiler.templating.javatime import format_java
from compiler.templating.problem import TemplateProblem

NOW = datetime(2024, 1, 15, 14, 30, 5, 123000, tzinfo=UTC)  # a Monday


def _render(template: str, /, seed: int = 7, **ctx: str) -> str:
    out = TemplateEngine(seed=seed, now=NOW, env={}).render(template, ctx)
    assert isinstance(out, str)
    return out


def _problem(template: str, /, **ctx: str) -> TemplateProblem:
    with pytest.raises(TemplateProblem) as info:
        TemplateEngine(seed=7, now=NOW, env={}).render(template, ctx)
    return info.value


# -- randomValue ------------------------------------------------------------------------


@pytest.mark.requirement("template:randomValue")
@pytest.mark.parametrize(
    ("kind", "alphabet"),
    [
        ("ALPHANUMERIC", string.ascii_letters + string.digits),
        ("ALPHABETIC", string.ascii_letters),
        ("NUMERIC", string.digits),
        ("HEXADECIMAL", "0123456789abcdef"),
        (
            "ALPHANUMERIC_AND_SYMBOLS",
            string.ascii_letters + string.digits + "!@#$%^&*()_+-=[]{}|;:,.<>?",
        ),
    ],
)
def test_random_value_types_use_their_alphabet(kind: str, alphabet: str) -> None:
    value = _render("{{randomValue type='" + kind + "' length=400}}")
    assert len(value) == 400
    assert set(value) <= set(alphabet)
    assert len(set(value)) > len(alphabet) // 2  # really drawn from the whole alphabet


@pytest.mark.requirement("template:randomValue")
def test_random_value_defaults_uuid_uppercase_and_case_insensitive_type() -> None:
    default = _render("{{randomValue}}")
    assert len(default) == 10 and default.isalnum()
    uid = _render("{{randomValue type='UUID'}}")
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", uid)
    assert _render("{{randomValue type='UUID' length=3}}").count("-") == 4  # length ignored
    upper = _render("{{randomValue type='ALPHABETIC' length=50 uppercase=true}}")
    assert upper.isupper() and upper.isalpha()
    assert _render("{{randomValue type='numeric' length=5}}").isdigit()
    assert _render("{{randomValue length=0}}") == ""


@pytest.mark.requirement("template:randomValue")
@pytest.mark.requirement("template:unknown-helper")
def test_random_value_rejects_unknown_type_and_bad_length() -> None:
    problem = _problem("{{randomValue type='ALPHANUMRIC'}}")
    assert problem.hint == "did you mean 'ALPHANUMERIC'?"
    assert "length" in _problem("{{randomValue length='many'}}").message
    assert "between 0 and" in _problem("{{randomValue length=1000000000}}").message


# -- randomInt / randomDecimal ------------------------------------------------------------


@pytest.mark.requirement("template:randomInt")
def test_random_int_ranges() -> None:
    engine = TemplateEngine(seed=3, now=NOW, env={})
    draws = [int(str(engine.render("{{randomInt lower=1 upper=3}}", {}))) for _ in range(200)]
    assert set(draws) == {1, 2, 3}  # inclusive at both ends
    defaults = [int(str(engine.render("{{randomInt}}", {}))) for _ in range(300)]
    assert min(defaults) >= 0 and max(defaults) <= 100 and max(defaults) > 50
    negative = [
        int(str(engine.render("{{randomInt lower=-100 upper=-90}}", {}))) for _ in range(50)
    ]
    assert all(-100 <= n <= -90 for n in negative)
    swapped = [int(str(engine.render("{{randomInt lower=9 upper=5}}", {}))) for _ in range(50)]
    assert all(5 <= n <= 9 for n in swapped)
    assert "whole number" in _problem("{{randomInt lower='x'}}").message


@pytest.mark.requirement("template:randomDecimal")
def test_random_decimal_two_decimals_in_range() -> None:
    engine = TemplateEngine(seed=3, now=NOW, env={})
    for _ in range(100):
        value = str(engine.render("{{randomDecimal lower=10.5 upper=99.9}}", {}))
        assert re.fullmatch(r"\d+\.\d\d", value) and 10.5 <= float(value) <= 99.9
    assert re.fullmatch(r"\d{1,3}\.\d\d", _render("{{randomDecimal}}"))
    assert "number" in _problem("{{randomDecimal upper='lots'}}").message


# -- now ----------------------------------------------------------------------------------


@pytest.mark.requirement("template:now")
def test_now_defaults_to_rfc3339_of_the_frozen_clock() -> None:
    assert _render("{{now}}") == "2024-01-15T14:30:05Z"
    assert _render("{{ now() }}") == "2024-01-15T14:30:05Z"
    naive = TemplateEngine(seed=1, now=datetime(2024, 1, 15, 14, 30), env={})
    assert naive.render("{{now}}", {}) == "2024-01-15T14:30:00Z"  # a naive clock is UTC


@pytest.mark.requirement("template:now-format")
@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        ("epoch", "1705329005123"),
        ("unix", "1705329005"),
        ("yyyy-MM-dd", "2024-01-15"),
        ("yyyy-MM-dd HH:mm:ss", "2024-01-15 14:30:05"),
        ("yy/M/d", "24/1/15"),
        ("dd.MM.yyyy", "15.01.2024"),
        ("EEEE, MMMM d, yyyy", "Monday, January 15, 2024"),
        ("EEE MMM dd", "Mon Jan 15"),
        ("hh:mm a", "02:30 PM"),
        ("h 'o''clock'", "2 o'clock"),
        ("yyyy-MM-dd'T'HH:mm:ss.SSSXXX", "2024-01-15T14:30:05.123Z"),
        ("HHmmss", "143005"),
        ("D DDD w W F u G", "15 015 3 3 3 1 AD"),
        ("k K", "14 2"),
        ("z Z X", "UTC +0000 Z"),
        ("''", "'"),
        ("[yyyy]", "[2024]"),
    ],
)
def test_now_formats(fmt: str, expected: str) -> None:
    assert _render("{{now format='" + fmt.replace("'", "\\'") + "'}}") == expected


@pytest.mark.requirement("template:now-format")
def test_java_patterns_edge_cases() -> None:
    midnight = datetime(2024, 12, 31, 0, 5, tzinfo=UTC)  # a Tuesday in week 1 of 2025 (US weeks)
    assert format_java(midnight, "h:mm a k K H") == "12:05 AM 24 0 0"
    assert format_java(midnight, "w") == "1"
    assert format_java(datetime(2024, 1, 6, tzinfo=UTC), "w W") == "1 1"
    assert format_java(datetime(2024, 1, 7, tzinfo=UTC), "w W") == "2 2"
    assert format_java(datetime(2024, 3, 9, 17, tzinfo=UTC), "MMMM LLL E a") == "March Mar Sat PM"
    assert format_java(datetime(5, 1, 1, tzinfo=UTC), "yyyy yy y") == "0005 05 5"
    assert "unknown pattern letter 'q'" in _problem("{{now format='yyyy-qq'}}").message
    assert "unterminated quote" in _problem('{{now format="yyyy \'T"}}').message


@pytest.mark.requirement("template:now-offset")
@pytest.mark.parametrize(
    ("offset", "delta"),
    [
        ("3 days", timedelta(days=3)),
        ("-24 hours", timedelta(hours=-24)),
        ("1 years", timedelta(days=365)),
        ("1 year", timedelta(days=365)),
        ("2 months", timedelta(days=60)),
        ("1 week", timedelta(weeks=1)),
        ("90 seconds", timedelta(seconds=90)),
        ("5 minute", timedelta(minutes=5)),
        ("+1 Day", timedelta(days=1)),
    ],
)
def test_now_offsets(offset: str, delta: timedelta) -> None:
    expected = (NOW + delta).strftime("%Y-%m-%d %H:%M:%S")
    assert _render("{{now format='yyyy-MM-dd HH:mm:ss' offset='" + offset + "'}}") == expected


@pytest.mark.requirement("template:now-offset")
@pytest.mark.parametrize("offset", ["3 fortnights", "soon", "days 3", "3.5 days"])
def test_now_rejects_bad_offsets(offset: str) -> None:
    assert "offset" in _problem("{{now offset='" + offset + "'}}").message


@pytest.mark.requirement("template:now-timezone")
def test_now_timezones() -> None:
    assert _render("{{now timezone='America/New_York'}}") == "2024-01-15T09:30:05-05:00"
    assert (
        _render("{{now timezone='Asia/Kolkata' format='HH:mm XXX Z z'}}")
        == "20:00 +05:30 +0530 IST"
    )
    assert (
        _render("{{now timezone='America/New_York' format='z zzzz X XX'}}")
        == "EST America/New_York -05 -0500"
    )
    assert (
        _render("{{now timezone='Europe/London'}}") == "2024-01-15T14:30:05Z"
    )  # zero offset prints Z, as Go does
    combined = _render("{{now format='yyyy-MM-dd' offset='7 days' timezone='UTC'}}")
    assert combined == "2024-01-22"
    assert (
        _render("{{now timezone='Pacific/Auckland' offset='-1 day' format='yyyy-MM-dd HH'}}")
        == "2024-01-15 03"
    )
    problem = _problem("{{now timezone='Mars/Olympus'}}")
    assert "unknown timezone" in problem.message and "IANA" in (problem.hint or "")


# -- faker --------------------------------------------------------------------------------

# Every key agent-benchmark's docs list, with the shape its value must have.
DOCUMENTED_FAKER_KEYS = {
    "Name.first_name": r"[A-Z][A-Za-z'\-]+",
    "Name.last_name": r"[A-Z][A-Za-z'\-]+",
    "Name.full_name": r"\S.* \S.*",
    "Name.prefix": r"(Mr|Mrs|Ms|Miss|Dr|Mx|Ind)\.?",
    "Name.suffix": r"\S+",
    "Address.street": r"\d+ .+",
    "Address.street_name": r"\S.* \S+",
    "Address.street_number": r"\d+",
    "Address.city": r"\S.*",
    "Address.state": r"[A-Z][A-Za-z ]+",
    "Address.state_abbrev": r"[A-Z]{2}",
    "Address.country": r"\S.*",
    "Address.country_code": r"[A-Z]{2}",
    "Address.postcode": r"\d{5}",
    "Phone.number": r"[\d()+.\-x ]{7,}",
    "Phone.number_formatted": r"\([1-9]\d\d\) [1-9]\d\d-\d{4}",
    "Internet.email": r"[^@\s]+@[^@\s]+\.[a-z]+",
    "Internet.username": r"[\w.]+",
    "Internet.url": r"https?://\S+",
    "Internet.ipv4": r"\d{1,3}(\.\d{1,3}){3}",
    "Internet.ipv6": r"[0-9a-f:]{2,39}",
    "Internet.mac": r"([0-9a-f]{2}:){5}[0-9a-f]{2}",
    "Company.name": r"\S.*",
    "Company.suffix": r"\S+",
    "Company.profession": r"\S.*",
    "Lorem.word": r"[a-z]+",
    "Lorem.sentence": r"[A-Z][a-z]*( [a-z]+){4}\.",
    "Lorem.paragraph": r"[A-Z].*\.",
    "Finance.credit_card": r"\d{12,19}",
    "Finance.currency": r"[A-Z]{3}",
    "Misc.uuid": r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}",
    "Misc.boolean": r"true|false",
    "Misc.date": r"\d{4}-\d\d-\d\d",
    "Misc.time": r"\d\d:\d\d:\d\d",
    "Misc.timestamp": r"\d+",
    "Misc.digit": r"\d",
}


@pytest.mark.requirement("template:faker")
def test_faker_covers_exactly_the_documented_keys() -> None:
    assert set(FAKER_KEYS) == set(DOCUMENTED_FAKER_KEYS)


@pytest.mark.requirement("template:faker")
@pytest.mark.parametrize("key", sorted(DOCUMENTED_FAKER_KEYS))
def test_faker_key_shape(key: str) -> None:
    helpers = Helpers(seed=11, now=NOW)
    for _ in range(5):
        value = helpers.faker(key)
        assert re.fullmatch(DOCUMENTED_FAKER_KEYS[key], value, re.DOTALL), (key, value)


@pytest.mark.requirement("template:faker")
def test_faker_dates_are_bounded_by_the_frozen_clock() -> None:
    helpers = Helpers(seed=5, now=NOW)
    for _ in range(50):
        assert helpers.faker("Misc.date") <= "2024-01-15"
        assert int(helpers.faker("Misc.timestamp")) <= int(NOW.timestamp())


@pytest.mark.requirement("template:faker")
@pytest.mark.requirement("template:unknown-helper")
def test_faker_template_forms_and_unknown_keys() -> None:
    assert "@" in _render("{{faker 'Internet.email'}}")
    assert "@" in _render('{{faker "internet.EMAIL"}}')  # keys match case-insensitively
    assert "@" in _render("{{ faker('Internet.email') }}")
    problem = _problem("{{faker 'Internet.emial'}}")
    assert (
        problem.hint == "did you mean 'Internet.email'?" and problem.undefined == "Internet.emial"
    )
    assert "needs key" in _problem("{{faker}}").message


# -- cut / replace / substring -----------------------------------------------------------


@pytest.mark.requirement("template:cut")
def test_cut() -> None:
    assert _render('{{cut "Hello World" "World"}}') == "Hello "
    assert _render('{{cut filename ".txt"}}', filename="a.txt.txt") == "a"
    assert _render('{{cut "" "x"}}') == ""
    assert _render('{{cut "abc" ""}}') == "abc"
    assert cut("a-b-c", "-") == "abc"
    assert "needs toRemove" in _problem('{{cut "abc"}}').message


@pytest.mark.requirement("template:replace")
def test_replace() -> None:
    assert _render('{{replace "Hello World" "World" "Universe"}}') == "Hello Universe"
    assert (
        _render('{{replace email "@example.com" "@test.com"}}', email="a@example.com")
        == "a@test.com"
    )
    assert _render('{{replace "aaa" "a" "b"}}') == "bbb"
    assert _render('{{replace "abc" "" "x"}}') == "abc"  # empty old: unchanged (not "xaxbxcx")
    assert _render("{{replace text old new}}", text="abc", old="", new="x") == "abc"
    assert replace("abc", "", "x") == "abc"


@pytest.mark.requirement("template:substring")
def test_substring() -> None:
    assert _render('{{substring "Hello World" start=0 end=5}}') == "Hello"
    assert _render("{{substring text start=6}}", text="Hello World") == "World"
    assert _render('{{substring "Hello" 1 3}}') == "el"
    assert _render('{{substring "Hello" start=3 end=1}}') == ""  # end before start
    assert _render('{{substring "Hello" start=-4 end=99}}') == "Hello"  # clamped
    assert _render('{{substring "héllo" start=1 end=2}}') == "é"  # characters, not bytes
    assert _render("{{substring text start=s end=e}}", text="Hello", s="1", e="4") == "ell"
    assert substring("Hello", 2) == "llo"


@pytest.mark.requirement("template:helper-args")
def test_helper_arguments_may_be_variables_or_subexpressions() -> None:
    assert _render("{{randomValue type=kind length=n}}", kind="NUMERIC", n="6").isdigit()
    assert _render("{{cut name suffix}}", name="report.txt", suffix=".txt") == "report"
    assert _render("{{cut (replace name 'a' 'b') '.txt'}}", name="a.txt") == "b"
    value = _render("{{randomInt lower=low upper=low}}", low="42")
    assert value == "42"
    problem = _problem("{{randomValue type=ALPHABETIC}}")
    assert (
        problem.undefined == "ALPHABETIC"
        and problem.hint == "to pass the text itself, quote it: 'ALPHABETIC'"
    )
