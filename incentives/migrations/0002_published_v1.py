"""The published v1 holding every default of DOMAIN.md §7 (a fresh installation's rules).

The JSON is frozen here (not computed from incentives.rules) so that this migration means the same thing forever,
whatever later code changes its defaults; tests check it equals `ruleset_to_dict(default_ruleset())`.
"""

import datetime

from django.db import migrations
from django.utils import timezone

V1_EFFECTIVE_FROM = datetime.date(2000, 1, 1)

V1_RULES = {
    "schema": 1,
    "commission": {
        "callback": "20",
        "seller": "50",
        "lead": "10"
    },
    "commission_floors": {
        "callback": "20",
        "seller": "50",
        "lead": "10"
    },
    "telesales_factor": "1/2",
    "ramp_months": 3,
    "ramp_threshold": 20,
    "ramp_per_renewal": "20",
    "ramp_per_telesales_renewal": "10",
    "bonus_base": "2000",
    "achievement_bands": [
        {
            "lower": "0",
            "upper": "3/10",
            "lower_inclusive": True,
            "upper_inclusive": False,
            "mode": "step",
            "value_at_lower": "0",
            "value_at_upper": None
        },
        {
            "lower": "3/10",
            "upper": "3/5",
            "lower_inclusive": True,
            "upper_inclusive": False,
            "mode": "linear",
            "value_at_lower": "0.4",
            "value_at_upper": "0.7"
        },
        {
            "lower": "3/5",
            "upper": "3/5",
            "lower_inclusive": True,
            "upper_inclusive": True,
            "mode": "step",
            "value_at_lower": "1.0",
            "value_at_upper": None
        },
        {
            "lower": "3/5",
            "upper": "7/10",
            "lower_inclusive": False,
            "upper_inclusive": True,
            "mode": "step",
            "value_at_lower": "1.5",
            "value_at_upper": None
        },
        {
            "lower": "7/10",
            "upper": None,
            "lower_inclusive": False,
            "upper_inclusive": False,
            "mode": "step",
            "value_at_lower": "1.8",
            "value_at_upper": None
        }
    ],
    "full_cover_bands": [
        {
            "lower": "0",
            "upper": "7/10",
            "lower_inclusive": True,
            "upper_inclusive": False,
            "mode": "step",
            "value_at_lower": "0",
            "value_at_upper": None
        },
        {
            "lower": "7/10",
            "upper": "9/10",
            "lower_inclusive": True,
            "upper_inclusive": False,
            "mode": "linear",
            "value_at_lower": "0.7",
            "value_at_upper": "0.9"
        },
        {
            "lower": "9/10",
            "upper": "9/10",
            "lower_inclusive": True,
            "upper_inclusive": True,
            "mode": "step",
            "value_at_lower": "1.0",
            "value_at_upper": None
        },
        {
            "lower": "9/10",
            "upper": None,
            "lower_inclusive": False,
            "upper_inclusive": False,
            "mode": "step",
            "value_at_lower": "1.5",
            "value_at_upper": None
        }
    ],
    "salary_bands": [
        {
            "lower": "0",
            "upper": "4/5",
            "lower_inclusive": True,
            "upper_inclusive": False,
            "mode": "step",
            "value_at_lower": "0",
            "value_at_upper": None
        },
        {
            "lower": "4/5",
            "upper": "9/10",
            "lower_inclusive": True,
            "upper_inclusive": False,
            "mode": "step",
            "value_at_lower": "0.10",
            "value_at_upper": None
        },
        {
            "lower": "9/10",
            "upper": None,
            "lower_inclusive": True,
            "upper_inclusive": False,
            "mode": "step",
            "value_at_lower": "0.15",
            "value_at_upper": None
        }
    ],
    "department_award_per_point": "500",
    "department_award_per_two_points": "1000",
    "team_award_per_point": "1000",
    "team_award_per_two_points": "2000",
    "rank_top_share": "1/20",
    "rank_top_award": "2000",
    "rank_second_share": "1/10",
    "rank_second_award": "1000",
    "rank_min_staff": 10,
    "special_complex_case": {
        "minimum": "500",
        "maximum": "1000"
    },
    "special_win_back": {
        "minimum": "1000",
        "maximum": "2000"
    },
    "special_shared_case": {
        "minimum": "500",
        "maximum": "500"
    },
    "leader_penalty_rate": "1/50",
    "leader_penalty_lowest_teams": 3,
    "full_cover_min_third_party_limit": "1000000"
}


def create_v1(apps, schema_editor):
    RuleVersion = apps.get_model("incentives", "RuleVersion")
    if RuleVersion.objects.filter(label="v1").exists():
        return
    RuleVersion.objects.create(
        label="v1",
        branch=None,
        effective_from=V1_EFFECTIVE_FROM,
        rules=V1_RULES,
        note="初始版本（系统迁移创建）：DOMAIN.md §7 全部默认值",
        state="published",
        published_at=timezone.now(),
    )


def remove_v1(apps, schema_editor):
    apps.get_model("incentives", "RuleVersion").objects.filter(label="v1", used=False).delete()


class Migration(migrations.Migration):
    dependencies = [("incentives", "0001_initial")]

    operations = [migrations.RunPython(create_v1, remove_v1)]
