from django.apps import AppConfig


class PerksConfig(AppConfig):
    name = "perks"
    verbose_name = "客户权益"
    default_auto_field = "django.db.models.BigAutoField"
