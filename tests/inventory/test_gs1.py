"""GS1 scanning on the shared test vectors, plus how plain barcodes are told apart.

The vectors live beside the repository (``../shared/realdata/gs1``, see its
README.txt): the curated CSV lists 181 cases taken from the GS1 Barcode Syntax
Engine's and biip's own tests, and ``biip_test_vectors.json`` holds the
expected objects of the biip cases. Every row is checked against
:mod:`crossdock.inventory.gs1`: a should-succeed row must read to the expected
Application Identifier values, a should-fail row must be refused with a
:class:`~crossdock.inventory.gs1.ScanError` that says why.

Each source test exercises one function (parse bracketed text, render a
Digital Link, extract a symbology identifier…); the table at the bottom says how
each kind maps onto reading a scan.
"""

from __future__ import annotations

import csv
import datetime
import json
import re
from collections.abc import Callable
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from crossdock.inventory.gs1 import (
    GS,
    ScanError,
    ScanKind,
    ScanResult,
    check_associations,
    parse_gs1,
    parse_hri,
    read_scan,
)

VECTORS = Path(__file__).resolve().parents[3] / "shared" / "realdata" / "gs1"
CURATED = VECTORS / "gs1_curated_vectors_AI01-10-17-21-30-37.csv"
BIIP = VECTORS / "biip_test_vectors.json"


def _rows() -> list[dict[str, str]]:
    if not CURATED.exists():
        return []
    with CURATED.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


ROWS = _rows()
needs_vectors = pytest.mark.skipif(
    not ROWS, reason=f"the shared GS1 vectors are not at {VECTORS} (a sibling of the repository)"
)


@cache
def _biip_cases() -> dict[str, list[dict[str, Any]]]:
    cases: dict[str, list[dict[str, Any]]] = {}
    for case in json.loads(BIIP.read_text(encoding="utf-8")):
        cases.setdefault(f"tests/{case['test']}:{case['source_line']}", []).append(case)
    return cases


def _biip_case(row: dict[str, str]) -> dict[str, Any]:
    cases = _biip_cases()[row["source_ref"]]
    value = _scanned(row["input"])
    return next(c for c in cases if c["value"] == value)


# -- notation helpers ----------------------------------------------------------------------


def _scanned(text: str) -> str:
    """The CSV writes ASCII 29 as <GS>."""
    return text.replace("<GS>", GS)


def _fnc1(text: str) -> str:
    """Syntax-engine notation, ``^`` = FNC1, as a scanner sends it (]C1, then GS)."""
    return "]C1" + text.removeprefix("^").replace("^", GS)


def pairs(result: ScanResult) -> list[tuple[str, str]]:
    """What a scan says as (AI, value) pairs; a plain GTIN counts as (01)."""
    if result.kind == ScanKind.GTIN:
        return [("01", result.gtin or "")]
    if result.kind == ScanKind.SSCC:
        return [("00", result.sscc or "")]
    return [(e.ai, e.value) for e in result.elements]


def hri_pairs(text: str) -> list[tuple[str, str]]:
    return re.findall(r"\((\d+)\)([^(]*)", text)


def ai_data_pairs(text: str) -> list[tuple[str, str]]:
    """Syntax-engine "AI data": ``^``-element strings, or plain GTIN digits, ``|``-joined."""
    found: list[tuple[str, str]] = []
    for part in text.split("|"):
        if part.startswith("^"):
            found += pairs(parse_gs1(_fnc1(part)))
        else:
            found.append(("01", part.zfill(14)))
    return found


def _object_pairs(expected: str) -> list[tuple[str, str]]:
    """(AI, value) of every GS1ElementString in biip's expected object (source text)."""
    return re.findall(
        r'GS1ElementString\(\s*ai=GS1ApplicationIdentifier\.extract\("(\d+)"\),\s*value="([^"]*)"',
        expected,
    )


def _object_date(expected: str) -> datetime.date:
    year, month, day = re.fullmatch(r"<object> dt\.date\((\d+), (\d+), (\d+)\)", expected).groups()
    return datetime.date(int(year), int(month), int(day))


def refused(read: Callable[[str], Any], text: str) -> str:
    with pytest.raises(ScanError) as caught:
        read(text)
    message = caught.value.message
    assert len(message) > 10, message
    assert caught.value.fields == {"barcode": [message]}
    return message


# -- the GS1 Barcode Syntax Engine's cases ---------------------------------------------------


def check_bracketed(row: dict[str, str], ok: bool) -> None:
    if not ok:
        refused(parse_hri, row["input"])
        return
    assert pairs(parse_hri(row["input"])) == pairs(parse_gs1(_fnc1(row["expected"])))


def check_fnc1_element_string(row: dict[str, str], ok: bool) -> None:
    if not ok:
        refused(parse_gs1, _fnc1(row["input"]))
        return
    result = parse_gs1(_fnc1(row["input"]))
    # Every character of the data is accounted for by exactly one AI and value.
    assert "".join(ai + value for ai, value in pairs(result)) == row["input"].replace("^", "")


def check_associations_row(row: dict[str, str], ok: bool) -> None:
    def complete(text: str) -> ScanResult:
        result = parse_hri(text)
        check_associations(result.elements, complete=True)
        return result

    if not ok:
        refused(complete, row["input"])
        return
    assert pairs(complete(row["input"])) == hri_pairs(row["input"])


def check_scanner_data(row: dict[str, str], ok: bool) -> None:
    if not ok:
        refused(read_scan, _scanned(row["input"]))
        return
    assert pairs(read_scan(_scanned(row["input"]))) == ai_data_pairs(row["expected"])


SYMBOLOGY_PREFIX = {"EAN13": "]E0", "EAN8": "]E4"}


def check_generated_scanner_data(row: dict[str, str], ok: bool) -> None:
    """Generating scanner data from AI data, read backwards: the scan gives the AI data."""
    assert ok
    if row["expected"] == "NULL":  # no valid barcode holds this data: reading it is refused
        refused(read_scan, SYMBOLOGY_PREFIX[row["symbology"]] + row["input"])
        return
    scanned = read_scan(_scanned(row["expected"]))
    if "Check digit computed" in row["note"]:
        assert scanned.gtin is not None
        assert scanned.gtin[:-1].endswith(row["input"])
        return
    assert pairs(scanned) == ai_data_pairs(row["input"])


# -- biip's cases ------------------------------------------------------------------------------


def check_biip(row: dict[str, str], ok: bool) -> None:
    function = row["source_ref"].split("::")[1].split(":")[0]
    module = row["source_ref"].split("::")[0].removeprefix("tests/")
    case = _biip_case(row)
    value = case["value"]
    check = BIIP_CHECKS.get((module, function))
    assert check is not None, f"no rule for {module}::{function}"
    check(case, value, ok)


def _as_parsed(case: dict[str, Any], value: str, ok: bool, read: Callable[..., Any]) -> None:
    expected = case.get("expected", "")
    if not ok or ("gtin_error" in expected and "gtin=Gtin(" not in expected):
        assert "check digit" in refused(read, value) or not ok
        return
    result = read(value)
    wanted = _object_pairs(expected)
    assert wanted, expected
    assert all(pair in pairs(result) for pair in wanted), (pairs(result), wanted)


def _top_level_gtin(case: dict[str, Any], value: str, ok: bool) -> None:
    expected = case["expected"]
    if "gtin=Gtin(" not in expected:
        refused(read_scan, value)
        return
    gtin = re.search(r'gtin=Gtin\(\s*value="(\d+)"', expected).group(1)
    result = read_scan(value)
    assert result.gtin == gtin.zfill(14)
    assert all(pair in pairs(result) for pair in _object_pairs(expected))


def _separator_hri(case: dict[str, Any], value: str, ok: bool) -> None:
    assert pairs(parse_gs1(value)) == hri_pairs(case["expected_hri"])


def _refused_any(case: dict[str, Any], value: str, ok: bool) -> None:
    assert not ok
    refused(parse_gs1, value)


def _hri_only(case: dict[str, Any], value: str, ok: bool) -> None:
    assert not ok
    refused(parse_hri, value)


def _as_hri(case: dict[str, Any], value: str, ok: bool) -> None:
    assert parse_gs1(value).as_hri() == case["expected"]


def _same_data(case: dict[str, Any], value: str, ok: bool) -> None:
    """Another rendering of the same data (a Digital Link URI) reads the same."""
    assert dict(pairs(parse_gs1(value))) == dict(pairs(parse_gs1(case["expected"])))


def _same_as_hri(case: dict[str, Any], value: str, ok: bool) -> None:
    assert dict(pairs(parse_gs1(value))) == dict(hri_pairs(case["expected"]))


def _values(case: dict[str, Any], value: str, ok: bool) -> None:
    elements = parse_gs1(value).elements
    if "ai" in case:
        found = [e.value for e in elements if e.ai == case["ai"]]
    else:
        found = [e.value for e in elements if case["data_title"] in e.title]
    expected = case["expected"]
    if expected.startswith("["):
        assert found == json.loads(expected)
    elif expected == "<object> None":
        assert found == []
    else:
        assert found[0] == expected


def _date(case: dict[str, Any], value: str, ok: bool) -> None:
    expected = case.get("expected_date") or case["expected"]
    (element,) = parse_gs1(value).elements
    assert element.date == _object_date(expected)


def _not_an_sscc(case: dict[str, Any], value: str, ok: bool) -> None:
    result = read_scan(value)
    assert result.sscc is None
    assert result.kind == ScanKind.TEXT


def _sscc(case: dict[str, Any], value: str, ok: bool) -> None:
    result = read_scan(value)
    assert result.kind == ScanKind.SSCC
    assert result.sscc == value == case["expected"].replace(" ", "")


def _symbology(case: dict[str, Any], value: str, ok: bool) -> None:
    identifier = re.search(r'SymbologyIdentifier\(\s*value="([^"]*)"', case["expected"]).group(1)
    if "gs1_symbology=None" in case["expected"]:
        result = read_scan(value)
        assert (result.symbology, result.data) == (identifier, value[len(identifier) :])
        assert result.kind == ScanKind.TEXT
    else:  # a GS1 symbology promises GS1 data or a GTIN; "abc" is neither
        assert identifier in refused(read_scan, value)


BIIP_CHECKS: dict[tuple[str, str], Callable[[dict[str, Any], str, bool], None]] = {
    ("test_gs1_messages.py", "test_parse"): lambda c, v, ok: _as_parsed(c, v, ok, parse_gs1),
    ("test_gs1_messages.py", "test_parse_with_separator_char"): _separator_hri,
    ("test_gs1_messages.py", "test_parse_fails_if_unparsed_data_left"): _refused_any,
    ("test_gs1_messages.py", "test_parse_ignores_redundant_separator_chars"): _separator_hri,
    ("test_gs1_messages.py", "test_parse_hri"): lambda c, v, ok: _as_parsed(c, v, ok, parse_hri),
    ("test_gs1_messages.py", "test_parse_hri_fails_if_not_starting_with_parenthesis"): _hri_only,
    ("test_gs1_messages.py", "test_as_hri"): _as_hri,
    ("test_gs1_messages.py", "test_as_gs1_digital_link_uri"): _same_data,
    ("test_gs1_messages.py", "test_filter_element_strings_by_ai"): _values,
    ("test_gs1_messages.py", "test_filter_element_strings_by_data_title"): _values,
    ("test_gs1_messages.py", "test_get_element_string_by_ai"): _values,
    ("test_gs1_messages.py", "test_get_element_string_by_data_title"): _values,
    ("test_gs1_element_strings.py", "test_extract"): lambda c, v, ok: _as_parsed(
        c, v, ok, parse_gs1
    ),
    ("test_gs1_element_strings.py", "test_extract_with_nested_error"): _refused_any,
    ("test_gs1_element_strings.py", "test_extract_date_and_datetime"): _date,
    ("test_gs1_element_strings.py", "test_extract_handles_zero_day_as_last_day_of_month"): _date,
    ("test_gs1_element_strings.py", "test_as_hri"): _as_hri,
    ("test_parse.py", "test_parse"): _top_level_gtin,
    ("test_gs1_digital_link_uris.py", "test_parse"): lambda c, v, ok: _as_parsed(
        c, v, ok, parse_gs1
    ),
    ("test_gs1_digital_link_uris.py", "test_parse_error"): _refused_any,
    ("test_gs1_digital_link_uris.py", "test_as_uri"): _same_data,
    ("test_gs1_digital_link_uris.py", "test_as_canonical_uri"): _same_data,
    ("test_gs1_digital_link_uris.py", "test_as_gs1_message"): _same_as_hri,
    ("test_sscc.py", "test_parse_nonnumeric_value"): _not_an_sscc,
    ("test_sscc.py", "test_as_hri"): _sscc,
    ("test_symbology.py", "test_extract"): _symbology,
}

SYNTAX_ENGINE_CHECKS: dict[str, Callable[[dict[str, str], bool], None]] = {
    "parse_bracketed_HRI_to_FNC1_string": check_bracketed,
    "process_FNC1_element_string": check_fnc1_element_string,
    "validate_AIs:validateAImutex": check_associations_row,
    "validate_AIs:validateAIrequisites": check_associations_row,
    "scanner_data_to_AI_data": check_scanner_data,
    "generate_scanner_data": check_generated_scanner_data,
}


@needs_vectors
@pytest.mark.parametrize(
    "row", ROWS, ids=[f"{i:03d}-{r['kind']}-{r['should_succeed']}" for i, r in enumerate(ROWS)]
)
def test_shared_vector(row):
    ok = row["should_succeed"] == "true"
    if row["source"] == "jodal/biip":
        check_biip(row, ok)
    else:
        check = SYNTAX_ENGINE_CHECKS.get(row["kind"])
        assert check is not None, f"no rule for {row['kind']}"
        check(row, ok)


@needs_vectors
def test_every_vector_kind_has_a_rule_and_both_outcomes_are_covered():
    outcomes = {(r["source"], r["should_succeed"]) for r in ROWS}
    assert ("gs1/gs1-syntax-engine", "false") in outcomes
    assert ("jodal/biip", "false") in outcomes
    assert len(ROWS) == 181


# -- how a scan is recognised ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("scanned", "gtin", "lot", "serial", "expires", "quantity"),
    [
        # GS1-128 from a scanner with AIM identifier and GS separators
        (f"]C10109501101530003172512311012345A{GS}2199", "09501101530003", "12345A", "99",
         datetime.date(2025, 12, 31), None),
        # the same data as a GS1 DataMatrix without identifier, the variable field first
        (f"1012345A{GS}0109501101530003", "09501101530003", "12345A", "", None, None),
        # printed text under the barcode, with spaces
        ("(01) 09501101530003 (17) 251200 (10) ABC", "09501101530003", "ABC", "",
         datetime.date(2025, 12, 31), None),
        # a Digital Link in a QR code with a count of 12
        ("]Q3https://id.gs1.org/01/09501101530003/10/L1?17=260131&30=12", "09501101530003",
         "L1", "", datetime.date(2026, 1, 31), Decimal(12)),
        # keyboard-wedge scanners often send '|' for FNC1
        ("0109501101530003|10L2|3012", "09501101530003", "L2", "", None, Decimal(12)),
        # best-before only: taken as the expiry
        ("(01)09501101530003(15)270615", "09501101530003", "", "", datetime.date(2027, 6, 15),
         None),
    ],
)  # fmt: skip
def test_gs1_scans_give_gtin_lot_serial_expiry_and_count(
    scanned, gtin, lot, serial, expires, quantity
):
    result = read_scan(scanned)
    assert result.kind == ScanKind.GS1
    assert (result.gtin, result.lot, result.serial, result.expires_on, result.quantity) == (
        gtin,
        lot,
        serial,
        expires,
        quantity,
    )


@pytest.mark.parametrize(
    ("scanned", "kind", "gtin"),
    [
        ("4006381333931", ScanKind.GTIN, "04006381333931"),  # EAN-13
        ("96385074", ScanKind.GTIN, "00000096385074"),  # EAN-8
        ("036000291452", ScanKind.GTIN, "00036000291452"),  # UPC-A
        ("]E04006381333931", ScanKind.GTIN, "04006381333931"),
        ("VENLO-A-01-02", ScanKind.TEXT, None),  # a location barcode
        ("LOT-2024-117", ScanKind.TEXT, None),  # a lot name
        ("100329", ScanKind.TEXT, None),  # digits that are not a GTIN: a lot, not (10)0329
        ("4006381333932", ScanKind.TEXT, None),  # a wrong check digit is no GTIN
        ("]C0VENLO-A-01-02", ScanKind.TEXT, None),  # plain Code 128
    ],
)
def test_plain_barcodes(scanned, kind, gtin):
    result = read_scan(scanned)
    assert (result.kind, result.gtin) == (kind, gtin)
    if kind == ScanKind.TEXT:
        assert result.data == scanned.removeprefix("]C0")


@pytest.mark.parametrize(
    ("scanned", "message"),
    [
        ("", "Nothing was scanned."),
        ("   ", "Nothing was scanned."),
        ("0109501101530004", "check digit"),
        ("(01)09501101530003(17)251399", "date"),
        (f"]C1019501101530003{GS}", "not valid GS1 data"),
        ("(01)09501101530003(37)12", "may not appear together"),
        ("(99)", "has no value"),
        ("https://id.gs1.org/01/09501101530004", "check digit"),
        ("https://id.gs1.org/10/ABC", "Digital Link"),
        ("]E05901234123458", "not a valid GTIN"),
        ("abc\x07", "control characters"),
        ("x" * 501, "at most 500"),
    ],
)
def test_bad_gs1_data_is_refused_with_a_clear_message(scanned, message):
    assert message in refused(read_scan, scanned)
