"""GTIN validation (GS1 General Specifications, check digit modulo 10)."""

GTIN_LENGTHS = (8, 12, 13, 14)


def check_digit(body: str) -> int:
    """The GS1 check digit for the digits ``body`` (without the check digit)."""
    from stdnum import ean

    return int(ean.calc_check_digit(body))


def gtin_problem(gtin: str) -> str | None:
    """Why ``gtin`` is not a valid GTIN, or ``None`` when it is (python-stdnum's EAN rules)."""
    from stdnum import ean
    from stdnum.exceptions import InvalidChecksum, ValidationError

    if not gtin.isdigit():
        return "A GTIN has digits only."
    if len(gtin) not in GTIN_LENGTHS:
        return "A GTIN has 8, 12, 13 or 14 digits."
    try:
        ean.validate(gtin)
    except InvalidChecksum:
        return f"Wrong check digit: expected {ean.calc_check_digit(gtin[:-1])}."
    except ValidationError as error:
        return str(error)
    return None


def normalise(gtin: str) -> str:
    """The 14-digit form used for lookups."""
    return gtin.zfill(14)
