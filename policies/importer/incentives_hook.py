"""The 目标 and 满意度 sheets belong to the incentives app, whose models may not exist yet.

The sheets are always validated in full; they are written only once `incentives.Target` /
`incentives.TeamSatisfaction` exist. Until then the import reports a warning and stores nothing.
Expected models: Target(branch, month: first day, staff: null, category: null, count) and
TeamSatisfaction(branch, team, month, score: Decimal, target: Decimal).
"""

from __future__ import annotations

from django.apps import apps

from policies.importer import columns as sheets
from policies.importer.report import ImportReport
from policies.importer.rows import SatisfactionRow, TargetRow

NOT_STORED_YET = "已校验，但暂未保存：激励模块还不能存储目标/满意度（目标/满意度 sheet validated but not stored yet）"


def incentives_model(name: str):
    """The incentives model once another engineer has added it, else None."""
    if not apps.is_installed("incentives"):
        return None
    try:
        return apps.get_model("incentives", name)
    except LookupError:
        return None


def write_targets(rows: list[TargetRow], *, branch_ids: dict, staff_ids: dict, report: ImportReport) -> None:
    if not rows:
        return
    model = incentives_model("Target")
    if model is None:
        report.warn(sheets.TARGETS, None, "", NOT_STORED_YET)
        return
    wanted = {(branch_ids[r.branch], r.month, staff_ids.get(r.staff), r.category): r.count for r in rows}
    _upsert(
        model,
        wanted,
        key_fields=("branch_id", "month", "staff_id", "category"),
        value_fields=("count",),
        report=report,
        label=sheets.TARGETS,
    )


def write_satisfaction(rows: list[SatisfactionRow], *, branch_ids: dict, report: ImportReport) -> None:
    if not rows:
        return
    model = incentives_model("TeamSatisfaction")
    if model is None:
        report.warn(sheets.SATISFACTION, None, "", NOT_STORED_YET)
        return
    wanted = {(branch_ids[r.branch], r.team, r.month): (r.score, r.target) for r in rows}
    _upsert(
        model,
        wanted,
        key_fields=("branch_id", "team", "month"),
        value_fields=("score", "target"),
        report=report,
        label=sheets.SATISFACTION,
    )


def _upsert(model, wanted: dict, *, key_fields: tuple, value_fields: tuple, report: ImportReport, label: str):
    counts = report.count(label)
    branch_ids = {key[0] for key in wanted}
    months = {key[key_fields.index("month")] for key in wanted}
    existing = {
        tuple(getattr(row, field) for field in key_fields): row
        for row in model.objects.filter(branch_id__in=branch_ids, month__in=months)
    }
    new, changed = [], []
    for key, values in wanted.items():
        values = values if isinstance(values, tuple) else (values,)
        row = existing.get(key)
        if row is None:
            new.append(model(**dict(zip(key_fields, key, strict=True)), **dict(zip(value_fields, values, strict=True))))
        elif tuple(getattr(row, field) for field in value_fields) != values:
            for field, value in zip(value_fields, values, strict=True):
                setattr(row, field, value)
            changed.append(row)
        else:
            counts.unchanged += 1
    model.objects.bulk_create(new)
    if changed:
        model.objects.bulk_update(changed, list(value_fields))
    counts.created += len(new)
    counts.updated += len(changed)
