"""The group's default unit costs (DOMAIN.md §12 Cost), so admins see and can supersede them."""

from datetime import date
from decimal import Decimal

from django.db import migrations

DEFAULTS = {
    "oil_bucket": Decimal("268.00"),
    "oil_filter": Decimal("58.00"),
    "wash": Decimal("30.00"),
    "rescue": Decimal("200.00"),
    "inspection": Decimal("300.00"),
    "rescue_card": Decimal("198.00"),
}
SINCE = date(2000, 1, 1)


def seed(apps, schema_editor):
    UnitCost = apps.get_model("perks", "UnitCost")
    for item, amount in DEFAULTS.items():
        UnitCost.objects.get_or_create(branch=None, item=item, effective_from=SINCE, defaults={"amount": amount})


def unseed(apps, schema_editor):
    apps.get_model("perks", "UnitCost").objects.filter(branch=None, effective_from=SINCE).delete()


class Migration(migrations.Migration):
    dependencies = [("perks", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
