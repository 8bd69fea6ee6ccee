"""engine.dmn.feel: the FEEL unary tests and output literals of DMN decision tables (pure, no database)."""
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from engine.dmn.feel import (
    FeelError,
    UnaryTest,
    coerce_input,
    compile_input_entry,
    may_overlap,
    output_value,
)

D = date(2026, 1, 31)
DT = datetime(2026, 1, 31, 9, 0, 0)


def passes(entry, value, context=None, type_ref=None):
    test = compile_input_entry(entry, type_ref)
    return True if test is None else test(value, context or {})


# --- matching ------------------------------------------------------------------------------

MATCHES = [
    # any value
    ("-", "anything", True),
    ("", None, True),
    ("   ", 3, True),
    # equality with literals
    ('"a"', "a", True),
    ('"a"', "b", False),
    ('"say \\"hi\\""', 'say "hi"', True),
    ('""', "", True),
    ('"中文"', "中文", True),
    ("10", 10, True),
    ("10", 10.0, True),
    ("10", Decimal(10), True),
    ("10", 11, False),
    ("-3.5", -3.5, True),
    ("0.1", 0.1, True),
    ("true", True, True),
    ("true", False, False),
    ("false", False, True),
    ("null", None, True),
    ("null", 0, False),
    ("null", "", False),
    ('date("2026-01-31")', D, True),
    ('date("2026-01-31")', date(2026, 2, 1), False),
    ('date and time("2026-01-31T09:00:00")', DT, True),
    ('date and time("2026-01-31T09:00")', DT, True),
    ('date and time("2026-01-31T01:00:00Z")', DT, True),  # 01:00 UTC is 09:00 in Beijing
    ('date and time("2026-01-31T09:00:00+08:00")', DT, True),
    ('date and time("2026-01-31T09:00:00")', datetime(2026, 1, 31, 1, tzinfo=UTC), True),
    ('duration("P3D")', timedelta(days=3), True),
    ('duration("PT1H30M")', timedelta(minutes=90), True),
    # comparisons
    ("< 10", 9, True),
    ("< 10", 10, False),
    ("<= 10", 10, True),
    ("<= 10", 10.5, False),
    ("> 10", 10.5, True),
    ("> 10", 10, False),
    (">= 10", 10, True),
    (">= 10", 9.99, False),
    ("< -3", -4, True),
    ("<-3", -3, False),
    ('< "b"', "a", True),
    ('< date("2026-01-01")', date(2025, 12, 31), True),
    ('< date("2026-01-01")', date(2026, 1, 1), False),
    ('>= date and time("2026-01-31T09:00:00")', DT + timedelta(seconds=1), True),
    ('> duration("P1D")', timedelta(days=2), True),
    # ranges, both bracket styles
    ("[1..5]", 1, True),
    ("[1..5]", 5, True),
    ("[1..5]", 5.01, False),
    ("]1..5]", 1, False),
    ("(1..5]", 1, False),
    ("(1..5]", 1.5, True),
    ("[1..5[", 5, False),
    ("[1..5)", 5, False),
    ("[1..5)", 4.99, True),
    ("[-5..-1]", -3, True),
    ("[-5..-1]", 0, False),
    ("[0.5..1.5]", 1, True),
    ('[date("2026-01-01")..date("2026-01-31")]', D, True),
    ('[date("2026-01-01")..date("2026-01-31")[', D, False),
    ('["a".."c"]', "b", True),
    # disjunction
    ('"a","b"', "b", True),
    ('"a", "b"', "c", False),
    ("< 5, > 10", 11, True),
    ("< 5, > 10", 7, False),
    ("[1..2], 7", 7, True),
    ("[1..2], 7", 3, False),
    ('"a", 1, null', None, True),
    # negation of the whole test
    ('not("c")', "d", True),
    ('not("c")', "c", False),
    ('not("a","b")', "b", False),
    ('not("a", "b")', "z", True),
    ("not([1..5])", 3, False),
    ("not([1..5])", 6, True),
    ("not(< 3)", 2, False),
    ("not(< 3)", 3, True),
    ("not(null)", None, False),
    ("not(null)", 0, True),
]


@pytest.mark.parametrize("entry, value, expected", MATCHES)
def test_input_entries(entry, value, expected):
    assert passes(entry, value) is expected


TYPE_MISMATCHES = [
    # different types never equal or compare: False, never an exception
    ("10", "10"),
    ("10", True),
    ("1", True),
    ("0", False),
    ("true", 1),
    ('"10"', 10),
    ("< 10", "9"),
    ("< 10", True),
    ("[1..5]", "3"),
    ('< "b"', 1),
    ('date("2026-01-31")', datetime(2026, 1, 31)),  # a date is not a date and time
    ('< date("2026-02-01")', datetime(2026, 1, 31)),
    ('date and time("2026-01-31T00:00:00")', date(2026, 1, 31)),
    ('duration("P1D")', 1),
    ("< 10", [1]),
    ('"a"', {"a": 1}),
    ("< 10", Decimal("NaN")),
]


@pytest.mark.parametrize("entry, value", TYPE_MISMATCHES)
def test_type_mismatch_is_false(entry, value):
    assert passes(entry, value) is False


@pytest.mark.parametrize("entry", ['"a"', "10", "< 10", "[1..5]", "true", 'date("2026-01-01")', "x"])
def test_none_passes_only_dash_null_and_negations(entry):
    assert passes(entry, None, {"x": 1}) is False
    assert passes(f"not({entry})", None, {"x": 1}) is True
    assert passes("-", None) is True
    assert passes("null", None) is True


def test_offset_aware_input_is_read_as_beijing_time():
    assert passes('< date and time("2026-01-31T09:00:00")', datetime(2026, 1, 31, 0, 59, tzinfo=UTC))
    assert not passes('< date and time("2026-01-31T09:00:00")', datetime(2026, 1, 31, 1, 0, tzinfo=UTC))


# --- names -----------------------------------------------------------------------------------

NAMES = [
    ("< maxAmount", 5, {"maxAmount": 10}, True),
    ("< maxAmount", 10, {"maxAmount": 10}, False),
    ("< maxAmount", 5, {}, False),  # missing: False, not an exception
    ("not(< maxAmount)", 5, {}, False),  # missing stays False under not()
    ("[low..high]", 3, {"low": 1, "high": 5}, True),
    ("[low..high]", 6, {"low": 1, "high": 5}, False),
    ("[low..5]", 3, {"low": 1}, True),
    ("[low..high]", 3, {"low": 1}, False),
    ("expected", "a", {"expected": "a"}, True),
    ("expected", "a", {"expected": "b"}, False),
    ("expected", None, {"expected": None}, True),
    ("expected", 1, {"expected": True}, False),
    ("< limit", 1, {"limit": "2"}, False),
    ("< limit", True, {"limit": True}, False),  # booleans do not order
    ("case.limit", 3, {"case": {"limit": 3}}, True),
    ("> case.limit", 4, {"case": {"limit": 3}}, True),
    ("> case.limit", 4, {"case": {}}, False),
    ("> case.limit", 4, {"case": 7}, False),
    ("a.b.c", 1, {"a": {"b": {"c": 1}}}, True),
    ('"x", other', "y", {"other": "y"}, True),
    # a missing name fails the entry unless another alternative passes (FEEL's "or" with null)
    ('"x", other', "x", {}, True),
    ('other, "x"', "x", {}, True),
    ('"x", other', "y", {}, False),
    ('not("x", other)', "y", {}, False),
    ('not("x", other)', "x", {}, False),
    ('not("x", other)', "y", {"other": "z"}, True),
    ("< deadline", datetime(2026, 1, 31, 8), {"deadline": datetime(2026, 1, 31, 1, tzinfo=UTC)}, True),
]


@pytest.mark.parametrize("entry, value, context, expected", NAMES)
def test_names(entry, value, context, expected):
    assert passes(entry, value, context) is expected


@pytest.mark.parametrize("entry, names", [
    ("< maxAmount", {"maxAmount"}),
    ("[low..high]", {"low", "high"}),
    ("case.limit", {"case"}),
    ('not("a", other, < a.b)', {"other", "a"}),
    ('"a", 1, true, false, null, date("2026-01-01")', set()),
])
def test_names_lists_top_level_names(entry, names):
    assert compile_input_entry(entry).names == frozenset(names)


def test_no_context_means_names_are_missing():
    assert compile_input_entry("< x")(1, None) is False
    assert compile_input_entry("< 3")(1, None) is True


def test_compiled_test_keeps_its_text():
    test = compile_input_entry("  < 10 ", "integer")
    assert isinstance(test, UnaryTest)
    assert test.text == "< 10" and test.type_ref == "integer"
    assert compile_input_entry("-") is None and compile_input_entry(None) is None


# --- refusals --------------------------------------------------------------------------------

REFUSALS = [
    ("== 3", 'cannot read "== 3": "==" is not FEEL: write just the value, e.g. 3'),
    ("= 3", '"=" is not FEEL: write just the value, e.g. 3'),
    ("!= 3", '"!=" is not FEEL: use not(3)'),
    ("x + 1", 'cannot read "x + 1": arithmetic ("+") is not supported'),
    ("x - 1", 'arithmetic ("-") is not supported'),
    ("x * 2", 'arithmetic ("*") is not supported'),
    ("${a}", '"${...}" expressions are not supported here'),
    ("'a'", 'cannot read "\'a\'": text must be in double quotes: "a"'),
    ("red", None),  # a name: accepted as input (see test below); listed for symmetry with outputs
    ("[1..", 'cannot read "[1..": expected a value after ".."'),
    ("[1..5", 'the range is not closed'),
    ("[1 5]", 'a range needs ".." between its ends'),
    ("not(", 'cannot read "not(": expected a value after "not("'),
    ('not("a"', 'not( is missing its closing ")"'),
    ('not("a"), "b"', "not(...) must enclose the whole entry"),
    ('not(not("a"))', "write not(...) around the whole entry"),
    ("not 3", "write not(...) around the whole entry"),
    ("foo(1)", "function foo() is not supported"),
    ('date("2026-02-30")', 'not a valid date: "2026-02-30"'),
    ('date("31/01/2026")', "not a valid date"),
    ("date(2026)", 'date(...) needs text in double quotes, e.g. date("2026-01-31")'),
    ('date and time("2026-01-31 09:00")', "not a valid date and time"),
    ('duration("P1Y")', "not a valid duration"),
    ("date", '"date" is a FEEL keyword'),
    ("<< 3", 'cannot read "<< 3": expected a value after "<"'),
    ("<", 'expected a value after "<"'),
    ("? < 3", '"?" is not supported'),
    ("a and b", '"and" is not supported'),
    ('"a" or "b"', '"or" is not supported: separate alternatives with a comma'),
    ("x in (1, 2)", '"in" is not supported'),
    ("x && y", '"&&" and "||" are not supported'),
    ('"abc', "text is missing its closing double quote"),
    ('"a" "b"', 'expected a comma before ""b""'),
    ('"a")', 'unexpected ")"'),
    ("1e3", 'cannot read the number "1e3"'),
    ("1.2.3", "cannot read the number"),
    ("[5..1]", "the range is empty"),
    ("]1..1]", "the range is empty"),
    ('[1.."a"]', "both ends of a range must be of one type"),
    ("< true", "true cannot be used with \"<\""),
    ("< null", "null cannot be used"),
    ("[false..true]", "false cannot be used in a range"),
    ("-, 3", '"-" (any value) must be the whole entry'),
    ("红", 'text must be in double quotes: "红"'),
    ("“a”", "use straight double quotes"),
    ("@\"2026-01-01\"", 'unexpected character "@"'),
    ("{a: 1}", 'unexpected character "{"'),
    ('__import__("os")', "function __import__() is not supported"),
]


@pytest.mark.parametrize("entry, message", [case for case in REFUSALS if case[1]])
def test_refusals_explain_themselves(entry, message):
    with pytest.raises(FeelError) as caught:
        compile_input_entry(entry)
    text = str(caught.value)
    assert message in text
    assert text.startswith("cannot read ")
    assert "Traceback" not in text and "\n" not in text and len(text) < 200


def test_a_bare_word_in_an_input_is_a_name():
    assert compile_input_entry("red").names == {"red"}


def test_over_long_entry_is_refused_before_parsing():
    with pytest.raises(FeelError, match=r"entry is too long \(3000 characters, at most 2000\)"):
        compile_input_entry('"' + "a" * 2998 + '"')
    with pytest.raises(FeelError, match="too long"):
        output_value("1" * 3000)


def test_long_entry_is_shortened_in_the_message():
    with pytest.raises(FeelError) as caught:
        compile_input_entry('"a", ' * 100 + "== 1")
    assert len(str(caught.value)) < 200


@pytest.mark.parametrize("entry, type_ref, message", [
    ('"a"', "integer", '"a" is text but the column type is integer'),
    ("10", "string", '10 is a number but the column type is string, write "10"'),
    ('"2026-01-31"', "date", 'write date("2026-01-31")'),
    ("1", "boolean", "1 is a number but the column type is boolean"),
    ('"a", 3', "double", '"a" is text'),
])
def test_literal_of_the_wrong_column_type_is_refused(entry, type_ref, message):
    with pytest.raises(FeelError, match=message.replace("(", r"\(").replace(")", r"\)")):
        compile_input_entry(entry, type_ref)


@pytest.mark.parametrize("entry, type_ref", [
    ("null", "integer"), ("< x", "integer"), ('date and time("2026-01-31T09:00:00")', "date"),
    ('"a"', "unknownType"), ("10", None), ('"a"', "String"),
])
def test_literals_that_fit_the_column_type(entry, type_ref):
    compile_input_entry(entry, type_ref)


# --- outputs ---------------------------------------------------------------------------------

OUTPUTS = [
    ('"red"', None, "red"),
    ('"红色"', "string", "红色"),
    ('"a \\"quoted\\" word"', None, 'a "quoted" word'),
    ("10", None, 10),
    ("-3.5", None, -3.5),
    ("2.0", None, 2.0),
    ("2.0", "integer", 2),
    ("2", "double", 2.0),
    ("true", None, True),
    ("false", "boolean", False),
    ("null", "integer", None),
    ("", None, None),
    ("  ", "string", None),
    (None, None, None),
    ('date("2026-01-31")', "date", D),
    ('date and time("2026-01-31T09:00:00")', None, DT),
    ('date and time("2026-01-31T01:00:00Z")', None, DT),
    ('duration("P5D")', None, timedelta(days=5)),
]


@pytest.mark.parametrize("text, type_ref, expected", OUTPUTS)
def test_output_literals(text, type_ref, expected):
    value = output_value(text, type_ref)
    assert value == expected and type(value) is type(expected)


OUTPUT_REFUSALS = [
    ("red", None, 'cannot read "red": text must be in double quotes: "red"'),
    ("amount", None, 'text must be in double quotes: "amount"'),
    ("红", None, 'text must be in double quotes: "红"'),
    ("1 + 2", None, 'arithmetic ("+") is not supported'),
    ("< 3", None, 'an output must be a single value'),
    ('"a", "b"', None, 'an output must be a single value'),
    ("foo(1)", None, "function foo() is not supported"),
    ("${x}", None, '"${...}" expressions are not supported'),
    ("'a'", None, 'text must be in double quotes: "a"'),
    ("-", None, 'an output cannot be "-"'),
    ("2.5", "integer", "write a whole number"),
    ('"5"', "integer", '"5" is text but the output type is integer'),
    ("5", "string", 'write "5"'),
]


@pytest.mark.parametrize("text, type_ref, message", OUTPUT_REFUSALS)
def test_output_refusals(text, type_ref, message):
    with pytest.raises(FeelError) as caught:
        output_value(text, type_ref)
    assert message in str(caught.value)


# --- coerce_input ----------------------------------------------------------------------------

COERCIONS = [
    ("12", "integer", 12),
    (" 12 ", "long", 12),
    ("-3.5", "double", -3.5),
    ("12", "number", 12),
    (12, "integer", 12),
    (True, "integer", True),  # a bool stays a bool
    ("abc", "integer", "abc"),
    ("1_000", "integer", "1_000"),
    ("nan", "double", "nan"),
    ("", "integer", ""),
    (None, "integer", None),
    ("12", "string", "12"),
    (12, "string", 12),
    ("2026-01-31", "date", D),
    ("2026-01-31T09:00:00", "date", DT),
    ("2026-01-31T01:00:00Z", "date", DT),
    (datetime(2026, 1, 31, 1, tzinfo=UTC), "date", DT),
    (D, "date", D),
    ("tomorrow", "date", "tomorrow"),
    ("true", "boolean", True),
    ("False", "boolean", False),
    ("yes", "boolean", "yes"),
    ("12", None, "12"),
    ("12", "unknownType", "12"),
]


@pytest.mark.parametrize("value, type_ref, expected", COERCIONS)
def test_coerce_input(value, type_ref, expected):
    coerced = coerce_input(value, type_ref)
    assert coerced == expected and type(coerced) is type(expected)


def test_coerced_string_matches_a_number_test():
    test = compile_input_entry("[10..20]", "integer")
    assert test(coerce_input("12", "integer"), {})
    assert not test("12", {})  # the tests themselves never coerce


# --- may_overlap -----------------------------------------------------------------------------

OVERLAPS = [
    ("[1..5]", "> 5", None, False),
    ("[1..5]", ">= 5", None, True),
    ("[1..5[", ">= 5", None, False),
    ("[1..5]", "[5..9]", None, True),
    ("[1..5]", "]5..9]", None, False),
    ('"a","b"', 'not("a","b")', None, False),
    ('"a","b"', 'not("a")', None, True),
    ('"a"', '"a", "c"', None, True),
    ('"a"', '"b"', None, False),
    ("< 3", "-", None, True),
    ("-", "-", None, True),
    ("< 3", "> 3", None, False),
    ("<= 3", ">= 3", None, True),
    ("< 5, > 10", "[6..9]", None, False),
    ("< 5, > 10", "[6..11]", None, True),
    ("not([1..5])", "[2..3]", None, False),
    ("not([1..5])", "[5..6]", None, True),
    ('not("a")', 'not("b")', None, True),
    ("10", '"10"', None, False),  # different types never meet
    ("1", "true", None, False),
    ("true", "not(true)", None, False),
    ("true", "false", None, False),
    ("not(false, true)", "false", None, False),
    ("null", "not(1)", None, True),
    ("null", "< 1", None, False),
    ("> 1", "< 2", "integer", False),  # no whole number lies strictly between 1 and 2
    ("> 1", "< 2", "double", True),
    ("> 1.5", "<= 2", "integer", True),
    ('date("2026-01-31")', 'date("2026-01-31")', None, True),
    ('< date("2026-01-31")', '>= date("2026-01-31")', None, False),
    ('> date("2026-01-01")', '< date("2026-01-02")', None, False),  # whole days
    ('>= date("2026-01-01")', '< date("2026-01-02")', None, True),
    ('[date("2026-01-01")..date("2026-01-31")]', '> date("2026-01-31")', None, False),
    ('date("2026-01-01")', 'date and time("2026-01-01T00:00:00")', None, False),
    ('> date and time("2026-01-01T00:00:00")', '< date and time("2026-01-01T00:00:01")', None, True),
    ('["a".."c"]', '"b"', None, True),
    ('< duration("P1D")', '> duration("P2D")', None, False),
    # a name: overlap cannot be known, so never reported
    ("< limit", "< 3", None, False),
    ("< limit", "-", None, False),
    ("x", "x", None, False),
]


@pytest.mark.parametrize("a, b, type_ref, expected", OVERLAPS)
def test_may_overlap(a, b, type_ref, expected):
    first, second = compile_input_entry(a, type_ref), compile_input_entry(b, type_ref)
    assert may_overlap(first, second) is expected
    assert may_overlap(second, first) is expected


@pytest.mark.parametrize("entry", ["< 3", '"a"', "not(1)", "null", 'not("a","b")', "true"])
def test_anything_overlaps_dash(entry):
    assert may_overlap(compile_input_entry(entry), None) is True


def test_overlap_agrees_with_evaluation():
    # A value that passes both tests exists exactly when may_overlap says so (literal tests).
    entries = ["< 3", "<= 3", "> 3", "[1..3]", "]3..5]", "3", "not(3)", "not(< 3)", '"3"', "null", "-"]
    samples = [None, "3", 0, 1, 2, 2.5, 3, 3.5, 4, 5, 6]
    for a in entries:
        for b in entries:
            first, second = compile_input_entry(a), compile_input_entry(b)
            both = any(passes(a, v) and passes(b, v) for v in samples)
            assert may_overlap(first, second) is both, (a, b)


# --- safety and speed ------------------------------------------------------------------------

def test_nothing_is_executed():
    for entry in ["__import__('os').system('true')", "open(\"x\")", "exec(\"1\")", "lambda: 1"]:
        with pytest.raises(FeelError):
            compile_input_entry(entry)


def test_a_twenty_rule_table_evaluates_well_under_a_millisecond():
    columns = [("< 10", 12), ("[1..5]", 3), ('"a","b"', "b"), ('not("c")', "x")]
    rules = [[compile_input_entry(entry) for entry, _ in columns] for _ in range(20)]
    values = [value for _, value in columns]
    rounds = 200
    started = time.perf_counter()
    for _ in range(rounds):
        for tests in rules:
            all(test(value, {}) for test, value in zip(tests, values))
    per_table = (time.perf_counter() - started) / rounds
    assert per_table < 0.001
