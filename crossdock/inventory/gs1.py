"""Reading what a warehouse scanner sends: GS1 data and plain barcodes.

Design overview
---------------
:func:`read_scan` turns one scan into a :class:`ScanResult`. The parsing itself
is done by `biip <https://biip.readthedocs.io>`_ (GS1 Application Identifier
table, check digits, dates, Digital Link URIs, symbology identifiers); this
module only decides which reading applies and adds what biip leaves out.

What a scan may be, in the order it is recognised:

* a scanner's AIM symbology identifier first (``]C1`` GS1-128, ``]e0`` GS1
  DataBar, ``]d2`` GS1 DataMatrix, ``]Q3`` GS1 QR, ``]J1`` GS1 DotCode; ``]E0``,
  ``]E4``, ``]I1`` EAN/UPC and ITF-14). A GS1 symbology must carry valid GS1
  data; a non-GS1 one (``]C0`` Code 128, ``]A0`` Code 39…) is read as if it had
  no identifier;
* a GS1 Digital Link URI (``https://…/01/<gtin>/10/<lot>?17=…``);
* bracketed human-readable text (HRI), ``(01)…(10)…(17)…``, with ``\\(`` for a
  literal bracket in a value;
* a GS1 element string with separators: ASCII 29 (GS, what scanners send for
  FNC1) or ``|`` (what scanners set up for keyboard input often send instead;
  neither can occur inside GS1 data);
* digits only: a GTIN-8/12/13/14 with a valid check digit or an SSCC (18
  digits);
* a GS1 element string without separators, recognised only by its leading key
  (``00`` + 18 digits, ``01``/``02`` + 14 digits): without a symbology
  identifier, ``100329`` could as well be a lot called 100329, so only data
  that starts the way GS1 data on goods does is read as GS1;
* anything else: plain text — a location barcode or a lot/serial name.

A linear barcode and its 2D composite component, joined by ``|`` before the
second symbology identifier (``]E0…|]e0…``), are read as one scan.

GS1 data is refused (:class:`ScanError`) when a value does not fit its AI, a
check digit or a date is wrong, data is left over, or two AIs that may never
appear together do (``ex=`` in the GS1 Barcode Syntax Dictionary: a GTIN with a
count of contained items, a serial with a third-party code…). The mandatory
associations (``req=``, e.g. a lot needs a GTIN) are checked only on request
(:func:`check_associations` with ``complete=True``): one label often spreads
its data over several barcodes scanned one after the other, so a lot-and-expiry
barcode on its own is a normal scan.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from biip import ParseConfig, ParseError
from biip.gs1_application_identifiers import GS1ApplicationIdentifier
from biip.gs1_digital_link_uris import GS1DigitalLinkURI
from biip.gs1_element_strings import GS1ElementString
from biip.gs1_messages import GS1Message
from biip.gtin import Gtin
from biip.sscc import Sscc
from biip.symbology import GS1Symbology, SymbologyIdentifier

from crossdock.core.errors import DomainError

GS = "\x1d"
FIELD = "barcode"
MAX_LENGTH = 500
CONFIG = ParseConfig(separator_chars=(GS, "|"))
GTIN_LENGTHS = (8, 12, 13, 14)
_GS1_MESSAGE_SYMBOLOGIES = GS1Symbology.with_gs1_messages()
_GTIN_SYMBOLOGIES = GS1Symbology.with_gtin()
_DOTCODE = "]J1"  # GS1 DotCode: an AIM identifier biip 5.2 does not know yet


class ScanError(DomainError):
    """The scan is not valid data of the kind it claims to be (nothing was looked up)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, fields={FIELD: [message]})


class ScanKind(StrEnum):
    GS1 = "gs1"  # GS1 element strings (also from a Digital Link URI or HRI)
    GTIN = "gtin"  # a plain EAN/UPC/ITF-14 product barcode
    SSCC = "sscc"  # a plain 18-digit pallet/parcel code
    TEXT = "text"  # anything else: a location barcode, a lot or serial name


@dataclass(frozen=True)
class Element:
    """One GS1 element string: Application Identifier, value and its data title."""

    ai: str
    value: str
    title: str
    date: datetime.date | None = None


@dataclass(frozen=True)
class ScanResult:
    """What one scan says, in the terms Crossdock uses.

    ``gtin`` is always the 14-digit form (AI 01, else the contained GTIN of AI
    02). ``expires_on`` is the expiry date (AI 17), else the best-before date
    (AI 15). ``quantity`` is the variable count (AI 30) or the count of trade
    items (AI 37). ``lot`` is AI 10, ``serial`` AI 21, ``sscc`` AI 00. ``data``
    is what followed the symbology identifier (the whole text without one).
    """

    text: str
    kind: ScanKind
    symbology: str = ""
    data: str = ""
    gtin: str | None = None
    lot: str = ""
    serial: str = ""
    expires_on: datetime.date | None = None
    quantity: Decimal | None = None
    sscc: str | None = None
    elements: tuple[Element, ...] = ()

    def value_of(self, ai: str) -> str | None:
        return next((e.value for e in self.elements if e.ai == ai), None)

    def as_hri(self) -> str:
        """The GS1 data in brackets, ``(01)…(10)…``; empty for plain scans."""
        return "".join(f"({e.ai}){e.value}" for e in self.elements)


# -- entry points ------------------------------------------------------------------------


def read_scan(text: str) -> ScanResult:
    """Read one scan: GS1 data, a GTIN or SSCC, or plain text (see the module docs)."""
    raw = _checked(text)
    parts = re.split(r"\|(?=\])", raw)
    if len(parts) > 1:
        return _merge(raw, [_read_part(part, strict=True) for part in parts])
    return _read_part(raw, strict=False)


def parse_gs1(text: str) -> ScanResult:
    """Read ``text`` as GS1 data of any form; refuse anything else with a :class:`ScanError`."""
    raw = _checked(text)
    parts = re.split(r"\|(?=\])", raw)
    results = [_read_part(part, strict=True) for part in parts]
    return results[0] if len(results) == 1 else _merge(raw, results)


def parse_hri(text: str) -> ScanResult:
    """Read bracketed GS1 text, ``(01)…(10)…``; refuse anything else."""
    raw = _checked(text)
    if not raw.startswith("("):
        raise ScanError(f"{_shown(raw)} is not bracketed GS1 text: it must start with '(AI)'.")
    return _result(raw, ScanKind.GS1, "", _hri_elements(raw), data=raw)


# -- reading -----------------------------------------------------------------------------


def _checked(text: str) -> str:
    raw = (text or "").strip()
    if not raw:
        raise ScanError("Nothing was scanned.")
    if len(raw) > MAX_LENGTH:
        raise ScanError(f"A scan has at most {MAX_LENGTH} characters.")
    if any(not (c.isprintable() or c == GS) for c in raw):
        raise ScanError("The scan contains control characters other than GS (ASCII 29).")
    return raw


def _shown(raw: str) -> str:
    return repr(raw.replace(GS, "<GS>"))


def _read_part(raw: str, *, strict: bool) -> ScanResult:
    """One scan (or one component of a composite): by symbology identifier, then by form."""
    symbology = ""
    body = raw
    if raw.startswith(_DOTCODE):
        return _gs1_message(raw, raw[len(_DOTCODE) :], _DOTCODE)
    if raw.startswith("]"):
        try:
            identifier = SymbologyIdentifier.extract(raw)
        except ParseError as error:
            raise ScanError(f"Unknown symbology identifier in {_shown(raw)}: {error}") from error
        symbology = identifier.value
        body = raw[len(identifier) :]
        gs1 = identifier.gs1_symbology
        if gs1 in _GTIN_SYMBOLOGIES:
            return _gtin(raw, body, symbology)
        if gs1 in _GS1_MESSAGE_SYMBOLOGIES:
            if body.startswith(("http://", "https://")):
                return _digital_link(raw, body, symbology)
            return _gs1_message(raw, body, symbology)
        if not body:
            raise ScanError(f"{_shown(raw)} holds no data after its symbology identifier.")
    return _unmarked(raw, body, symbology, strict=strict)


def _unmarked(raw: str, body: str, symbology: str, *, strict: bool) -> ScanResult:
    """A scan without a GS1 symbology identifier: recognised by its form."""
    if body.startswith(("http://", "https://")):
        return _digital_link(raw, body, symbology)
    if body.startswith("("):
        return _result(raw, ScanKind.GS1, symbology, _hri_elements(body), data=body)
    if GS in body or strict:
        return _gs1_message(raw, body.lstrip(GS), symbology)
    if body.isdigit() and body.isascii():
        if len(body) in GTIN_LENGTHS and _valid_gtin(body):
            return _gtin(raw, body, symbology)
        if len(body) == 18 and _valid_sscc(body):
            return _result(raw, ScanKind.SSCC, symbology, (), sscc=body, data=body)
    if _STARTS_WITH_KEY.match(body):
        # GS1 data without a symbology identifier always starts with its key (SSCC or GTIN).
        return _gs1_message(raw, body, symbology)
    return ScanResult(text=raw, kind=ScanKind.TEXT, symbology=symbology, data=body)


_STARTS_WITH_KEY = re.compile(r"(?:0[12]\d{14}|00\d{18})")


def _valid_gtin(digits: str) -> bool:
    try:
        Gtin.parse(digits)
    except ParseError:
        return False
    return True


def _valid_sscc(digits: str) -> bool:
    try:
        Sscc.parse(digits)
    except ParseError:
        return False
    return True


def _gtin(raw: str, body: str, symbology: str) -> ScanResult:
    try:
        gtin = Gtin.parse(body)
    except ParseError as error:
        raise ScanError(f"{_shown(raw)} is not a valid GTIN: {error}") from error
    return ScanResult(
        text=raw, kind=ScanKind.GTIN, symbology=symbology, data=body, gtin=gtin.as_gtin_14()
    )


def _gs1_message(raw: str, body: str, symbology: str) -> ScanResult:
    if not body:
        raise ScanError(f"{_shown(raw)} holds no GS1 data.")
    try:
        message = GS1Message.parse(body, config=CONFIG)
    except ParseError as error:
        raise ScanError(f"{_shown(raw)} is not valid GS1 data: {_explain(error)}") from error
    return _result(raw, ScanKind.GS1, symbology, _elements(message.element_strings), data=body)


def _digital_link(raw: str, body: str, symbology: str) -> ScanResult:
    try:
        link = GS1DigitalLinkURI.parse(body, config=CONFIG)
    except ParseError as error:
        raise ScanError(
            f"{_shown(raw)} is not a valid GS1 Digital Link: {_explain(error)}"
        ) from error
    return _result(raw, ScanKind.GS1, symbology, _elements(link.element_strings), data=body)


def _hri_elements(body: str) -> tuple[Element, ...]:
    """``(AI)value(AI)value``: each value parsed whole by biip (``\\(`` is a literal bracket)."""
    hri = "".join(body.split())
    pieces = re.split(r"(?<!\\)\(", hri)
    if pieces[0]:
        raise ScanError(f"{_shown(body)} is not bracketed GS1 text: it must start with '(AI)'.")
    parsed = []
    for piece in pieces[1:]:
        ai, closed, value = piece.partition(")")
        if not closed or not ai.isdigit():
            raise ScanError(f"{_shown(body)}: expected '(AI)value', found '({piece}'.")
        value = value.replace("\\(", "(")
        if not value:
            raise ScanError(f"{_shown(body)}: ({ai}) has no value.")
        try:
            known = GS1ApplicationIdentifier.extract(ai)
        except ParseError as error:
            raise ScanError(
                f"{_shown(body)}: ({ai}) is not a GS1 Application Identifier."
            ) from error
        if known.ai != ai:
            raise ScanError(f"{_shown(body)}: ({ai}) is not a GS1 Application Identifier.")
        try:
            parsed.append(GS1ElementString.parse(ai + value, config=CONFIG))
        except ParseError as error:
            raise ScanError(f"{_shown(body)}: {_explain(error)}") from error
    return _elements(parsed)


_MISMATCH = re.compile(r"Failed to match '(?P<data>.*)' with GS1 AI \((?P<ai>\d+)\) pattern", re.S)
_FORMAT = re.compile(r"(?P<type>[NX])(?P<range>\.\.)?(?P<length>\d+)")


def _explain(error: ParseError) -> str:
    """biip's message, with a pattern mismatch said in words (what the AI's value must be)."""
    message = str(error)
    found = _MISMATCH.search(message)
    if found is None:
        return message
    ai = GS1ApplicationIdentifier.extract(found["ai"])
    value = found["data"].replace(GS, "<GS>")[len(ai.ai) :]
    parts = []
    for piece in ai.format.split("+")[1:]:
        spec = _FORMAT.match(piece)
        if spec is None:
            continue
        what = "digits" if spec["type"] == "N" else "letters, digits or GS1 punctuation"
        parts.append(f"{'up to ' if spec['range'] else ''}{spec['length']} {what}")
    rule = " then ".join(parts) or ai.format
    if "YYMMDD" in ai.description:
        rule += ", a valid date YYMMDD"
    return f"({ai.ai}) {ai.description} must be {rule}; got {value!r}."


def _is_ai(ai: str) -> bool:
    try:
        return GS1ApplicationIdentifier.extract(ai).ai == ai
    except ParseError:
        return False


def _elements(element_strings: list[GS1ElementString]) -> tuple[Element, ...]:
    for element in element_strings:
        problem = element.gtin_error or element.sscc_error or element.gln_error
        if problem:
            raise ScanError(f"({element.ai.ai}){element.value}: {problem}")
    return tuple(Element(e.ai.ai, e.value, e.ai.data_title, e.date) for e in element_strings)


def _result(
    raw: str,
    kind: ScanKind,
    symbology: str,
    elements: tuple[Element, ...],
    *,
    sscc: str | None = None,
    data: str = "",
) -> ScanResult:
    check_associations(elements)
    values = {e.ai: e.value for e in elements}
    dates = {e.ai: e.date for e in elements if e.date}
    gtin = values.get("01") or values.get("02")
    count = values.get("30") or values.get("37")
    return ScanResult(
        text=raw,
        kind=kind,
        symbology=symbology,
        data=data,
        gtin=gtin,
        lot=values.get("10", ""),
        serial=values.get("21", ""),
        expires_on=dates.get("17") or dates.get("15"),
        quantity=Decimal(int(count)) if count else None,
        sscc=values.get("00") or sscc,
        elements=elements,
    )


def _merge(raw: str, parts: list[ScanResult]) -> ScanResult:
    """A linear barcode and its composite component(s) as one scan."""
    elements: list[Element] = []
    for part in parts:
        if part.kind == ScanKind.GTIN and part.gtin:
            elements.append(Element("01", part.gtin, "GTIN"))
        elif part.kind == ScanKind.GS1:
            elements.extend(part.elements)
        else:
            raise ScanError(f"{_shown(raw)}: a composite component must be GS1 data.")
    return _result(raw, ScanKind.GS1, parts[0].symbology, tuple(elements), data=raw)


# -- associations between AIs ------------------------------------------------------------

# ``req=`` and ``ex=`` of the GS1 Barcode Syntax Dictionary (GS1 General
# Specifications, 4.14) for the identification keys, the trade-item and
# logistic attributes a warehouse reads, and the measures, prices and digital
# signature that come with them. AIs not listed here have no rule checked.
_ASSOCIATION_RULES = """
01 ex=255,37
02 ex=01,03 req=37
03 ex=01,02,37
10 req=01,02,03,8006,8026
11 req=01,02,03,8006,8026
13 req=01,02,03,8006,8026
15 req=01,02,03,8006,8026
16 req=01,02,03,8006,8026
17 req=01,02,03,255,8006,8026
20 req=01,02,8006,8026
21 req=01,03,8006 ex=235
22 req=01
235 req=01
240 req=01,02,8006,8026
241 req=01,02,8006,8026
250 req=01,8006 req=21
251 req=01,8006
255 ex=01,02,415,8006,8020,8026
30 req=01,02
37 req=00 req=02,8026
3920-3929 req=01 req=30,31nn,32nn,35nn,36nn ex=392n,393n
3930-3939 req=30,31nn,32nn,35nn,36nn ex=393n
8001 req=01
8006 ex=01,37
8026 req=37 ex=02,8006
8030 req=00,01+21,253,255,8003,8004,8006+21,8010+8011,8017,8018
"""


@dataclass(frozen=True)
class _Rule:
    low: int
    high: int
    width: int
    requires: tuple[tuple[tuple[str, ...], ...], ...]  # every group: one alternative (all of it)
    excludes: tuple[str, ...]

    def covers(self, ai: str) -> bool:
        return len(ai) == self.width and self.low <= int(ai) <= self.high


def _load_rules(text: str) -> list[_Rule]:
    rules = []
    for line in text.strip().splitlines():
        ais, *attributes = line.split()
        low, _, high = ais.partition("-")
        requires = []
        excludes: list[str] = []
        for attribute in attributes:
            key, _, value = attribute.partition("=")
            if key == "req":
                requires.append(tuple(tuple(alt.split("+")) for alt in value.split(",")))
            else:
                excludes.extend(value.split(","))
        rules.append(_Rule(int(low), int(high or low), len(low), tuple(requires), tuple(excludes)))
    return rules


# Measures (31nn–36nn, six digits: four of AI, the last one the decimal point
# position): one of a kind per message, trade measures with a GTIN, logistic ones
# with an SSCC or GTIN.
_TRADE_MEASURES = (*range(310, 317), *range(320, 330), 350, 351, 352, 356, 357, 360, 361,
                   364, 365, 366)  # fmt: skip
_LOGISTIC_MEASURES = (*range(330, 337), *range(340, 350), 353, 354, 355, 362, 363, 367, 368, 369)
_MEASURE_RULES = "\n".join(
    [f"{m}0-{m}5 req=01,02 ex={m}n" for m in _TRADE_MEASURES]
    + [f"{m}0-{m}5 req=00,01 ex={m}n" for m in _LOGISTIC_MEASURES]
    + ["3370-3375 req=01 ex=337n"]
)
_RULES = _load_rules(_ASSOCIATION_RULES) + _load_rules(_MEASURE_RULES)


def _matches(pattern: str, ai: str) -> bool:
    """``31nn`` matches 3100–3199, ``310n`` matches 3100–3109, ``01`` only 01."""
    return len(pattern) == len(ai) and all(p in ("n", a) for p, a in zip(pattern, ai, strict=True))


def check_associations(elements: tuple[Element, ...], *, complete: bool = False) -> None:
    """Refuse AIs that may not appear together; with ``complete``, also missing companions."""
    present = [e.ai for e in elements]
    for ai in present:
        rule = next((r for r in _RULES if r.covers(ai)), None)
        if rule is None:
            continue
        for other in present:
            if other != ai and any(_matches(p, other) for p in rule.excludes):
                raise ScanError(f"({ai}) and ({other}) may not appear together in GS1 data.")
        if not complete:
            continue
        for group in rule.requires:
            if not any(all(_present(p, present) for p in alt) for alt in group):
                wanted = " or ".join("+".join(f"({p})" for p in alt) for alt in group)
                raise ScanError(f"({ai}) needs {wanted} in the same GS1 data.")


def _present(pattern: str, present: list[str]) -> bool:
    return any(_matches(pattern, ai) for ai in present)
