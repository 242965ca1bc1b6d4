"""The default customer reminders of DOMAIN.md §4: SMS at T−30, T−15 and T−7 (admins edit or add offsets)."""

from django.db import migrations

DEFAULTS = [
    (30, "{name}您好，您的爱车{plate}的车险将于{t_date}到期。在本店续保可享工时8折、配件95折、赠送机油机滤等权益，欢迎来电或到店咨询。回复TD退订"),
    (15, "{name}您好，您的爱车{plate}的车险将于{t_date}到期，还有半个月。本店续保专员已为您准备报价，来电或到店即可办理。回复TD退订"),
    (7, "{name}您好，您的爱车{plate}的车险将于{t_date}到期，请尽快续保，以免脱保影响出行。如已办理请忽略。回复TD退订"),
]


def create_defaults(apps, schema_editor):
    ReminderTemplate = apps.get_model("followups", "ReminderTemplate")
    for offset, body in DEFAULTS:
        ReminderTemplate.objects.get_or_create(
            offset_days=offset, channel="sms", defaults={"body": body, "active": True}
        )


def remove_defaults(apps, schema_editor):
    ReminderTemplate = apps.get_model("followups", "ReminderTemplate")
    ReminderTemplate.objects.filter(channel="sms", offset_days__in=[o for o, _ in DEFAULTS]).delete()


class Migration(migrations.Migration):
    dependencies = [("followups", "0002_reminders")]

    operations = [migrations.RunPython(create_defaults, remove_defaults)]
