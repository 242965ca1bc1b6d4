from django.apps import AppConfig


class FollowupsConfig(AppConfig):
    name = "followups"
    verbose_name = "跟进"
    default_auto_field = "django.db.models.BigAutoField"
