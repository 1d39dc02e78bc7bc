"""GTIN validation (GS1 General Specifications, check digit modulo 10)."""

GTIN_LENGTHS = (8, 12, 13, 14)


def check_digit(body: str) -> int:
    """The GS1 check digit for the digits ``body`` (without the check digit)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def gtin_problem(gtin: str) -> str | None:
    """Why ``gtin`` is not a valid GTIN, or ``None`` when it is."""
    if not gtin.isdigit():
        return "A GTIN has digits only."
    if len(gtin) not in GTIN_LENGTHS:
        return "A GTIN has 8, 12, 13 or 14 digits."
    if check_digit(gtin[:-1]) != int(gtin[-1]):
        return f"Wrong check digit: expected {check_digit(gtin[:-1])}."
    return None


def normalise(gtin: str) -> str:
    """The 14-digit form used for lookups."""
    return gtin.zfill(14)
