"""Load ISO 4217 currencies and UNECE units; reversible."""

from django.db import migrations

from crossdock.masterdata.reference import SYMBOLS, UNIT_CATEGORIES, UNITS, iso_currencies, to_decimal


def load(apps, schema_editor):
    Currency = apps.get_model("masterdata", "Currency")
    UnitCategory = apps.get_model("masterdata", "UnitCategory")
    Unit = apps.get_model("masterdata", "Unit")
    Currency.objects.bulk_create(
        Currency(
            code=code,
            numeric_code=number,
            name=name,
            minor_units=minor,
            symbol=SYMBOLS.get(code, ""),
            active=code in SYMBOLS or code in {"SEK", "NOK", "DKK", "PLN", "CZK", "CAD", "AUD"},
        )
        for code, number, name, minor in iso_currencies()
    )
    categories = {name: UnitCategory.objects.create(name=name) for name in UNIT_CATEGORIES}
    for code, name, category, factor, places in UNITS:
        Unit.objects.create(
            code=code,
            name=name,
            category=categories[category],
            factor=to_decimal(factor),
            decimal_places=places,
        )


def unload(apps, schema_editor):
    apps.get_model("masterdata", "Unit").objects.all().delete()
    apps.get_model("masterdata", "UnitCategory").objects.all().delete()
    apps.get_model("masterdata", "Currency").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("masterdata", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
