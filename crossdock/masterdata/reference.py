"""Reference data every installation starts with: ISO 4217 currencies and standard units.

Currencies come from the ``iso4217`` package (the maintenance agency's table);
units use UNECE Recommendation 20 codes with exact factors to the reference
unit of their category.
"""

from decimal import Decimal

UNIT_CATEGORIES = ("Count", "Mass", "Volume", "Length", "Time", "Area")

# code, name, category, factor to the category's reference unit, decimal places
UNITS = (
    ("H87", "Piece", "Count", "1", 0),
    ("PR", "Pair", "Count", "2", 0),
    ("DZN", "Dozen", "Count", "12", 0),
    ("CEN", "Hundred", "Count", "100", 0),
    ("MIL", "Thousand", "Count", "1000", 0),
    ("KGM", "Kilogram", "Mass", "1", 3),
    ("GRM", "Gram", "Mass", "0.001", 0),
    ("TNE", "Tonne", "Mass", "1000", 3),
    ("LBR", "Pound", "Mass", "0.45359237", 3),
    ("LTR", "Litre", "Volume", "1", 3),
    ("MLT", "Millilitre", "Volume", "0.001", 0),
    ("MTQ", "Cubic metre", "Volume", "1000", 3),
    ("GLL", "US gallon", "Volume", "3.785411784", 3),
    ("MTR", "Metre", "Length", "1", 3),
    ("CMT", "Centimetre", "Length", "0.01", 1),
    ("MMT", "Millimetre", "Length", "0.001", 0),
    ("FOT", "Foot", "Length", "0.3048", 3),
    ("MTK", "Square metre", "Area", "1", 3),
    ("MIN", "Minute", "Time", "1", 0),
    ("HUR", "Hour", "Time", "60", 2),
    ("DAY", "Day", "Time", "1440", 2),
)

SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "CNY": "¥", "CHF": "CHF"}
ACTIVE_CURRENCIES = frozenset(
    {*SYMBOLS, "SEK", "NOK", "DKK", "PLN", "CZK", "HUF", "CAD", "AUD", "NZD", "SGD", "HKD", "INR"}
)


def iso_currencies() -> list[tuple[str, str, str, int]]:
    """(code, numeric code, name, minor units) of every ISO 4217 currency with a minor unit."""
    import iso4217

    rows = []
    for currency in iso4217.Currency:
        exponent = currency.exponent
        if exponent is None or exponent > 4:
            continue  # funds, precious metals and testing codes have no minor unit
        rows.append(
            (currency.code, f"{currency.number:03d}", currency.currency_name[:100], exponent)
        )
    return sorted(set(rows))


def to_decimal(value: str) -> Decimal:
    return Decimal(value)


def ensure_reference_data(apps: object | None = None) -> None:
    """Load currencies and units that are missing (idempotent).

    Used by the data migration (with its historical ``apps``) and by anything
    that empties tables, such as transactional tests.
    """
    if apps is None:
        from django.apps import apps as global_apps

        apps = global_apps
    currency_model = apps.get_model("masterdata", "Currency")  # type: ignore[attr-defined]
    category_model = apps.get_model("masterdata", "UnitCategory")  # type: ignore[attr-defined]
    unit_model = apps.get_model("masterdata", "Unit")  # type: ignore[attr-defined]
    known = set(currency_model.objects.values_list("code", flat=True))
    currency_model.objects.bulk_create(
        currency_model(
            code=code,
            numeric_code=number,
            name=name,
            minor_units=minor,
            symbol=SYMBOLS.get(code, ""),
            active=code in ACTIVE_CURRENCIES,
        )
        for code, number, name, minor in iso_currencies()
        if code not in known
    )
    categories = {
        name: category_model.objects.get_or_create(name=name)[0] for name in UNIT_CATEGORIES
    }
    known_units = set(unit_model.objects.values_list("code", flat=True))
    unit_model.objects.bulk_create(
        unit_model(
            code=code,
            name=name,
            category=categories[category],
            factor=to_decimal(factor),
            decimal_places=places,
        )
        for code, name, category, factor, places in UNITS
        if code not in known_units
    )
