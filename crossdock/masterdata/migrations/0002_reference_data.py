"""Load ISO 4217 currencies and UNECE units; reversible."""

from django.db import migrations

from crossdock.masterdata.reference import ensure_reference_data


def load(apps, schema_editor):
    ensure_reference_data(apps)


def unload(apps, schema_editor):
    apps.get_model("masterdata", "Unit").objects.all().delete()
    apps.get_model("masterdata", "UnitCategory").objects.all().delete()
    apps.get_model("masterdata", "Currency").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("masterdata", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
