"""Writing a validated workbook, inside the caller's transaction.

Records are matched by their natural keys (门店编码; 工号; insurer + 保单号; VIN; 门店 + VIN for 保有客户),
fetched a batch at a time; only new rows are inserted and only rows whose imported values differ are updated,
so importing the same workbook twice writes nothing the second time. Fields the workbook does not carry
(cases, contacts, quotes, 退保 dates, consent the desk recorded since the last import) are never touched,
and a column missing from the sheet leaves its field as it is. Customers' and vehicles' primary keys go into the
plan's index on disk and are looked up a chunk of rows at a time, so memory does not grow with the workbook.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import NamedTuple

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from policies.importer import columns as sheets
from policies.importer.bulk import BATCH, assign_changed, insert_rows
from policies.importer.customers import CustomerWriter
from policies.importer.incentives_hook import write_satisfaction, write_targets
from policies.importer.plan import ValidatedWorkbook
from policies.importer.report import ImportReport
from policies.importer.rows import PolicyRow, RetainedRow
from policies.models import (
    Branch,
    Insurer,
    Policy,
    RetainedCustomer,
    Staff,
    Vehicle,
)
from policies.services import create_staff, rebuild_terms, set_staff_roles

# column of the sheet -> model field(s) it fills; a field is managed only when its column is in the file
BRANCH_FIELDS = {
    "门店名称": ("name",),
    "城市": ("city",),
    "续保启动日期": ("programme_start",),
    "权益启用日期": ("perks_start",),
    "救援城市": ("rescue_cities",),
    "免费洗车": ("free_washes",),
    "提前投保天数": ("advance_days",),
}
STAFF_FIELDS = {
    "姓名": ("name",),
    "门店编码": ("branch_id",),
    "团队": ("team",),
    "组长": ("is_team_leader",),
    "基本工资": ("base_salary",),
}
POLICY_FIELDS = {
    "险种": ("kind",),
    "门店编码": ("branch_id",),
    "车架号": ("vehicle_id",),
    "被保险人": ("insured_id",),
    "签单日期": ("signed_on",),
    "起保日期": ("start_on",),
    "终保日期": ("end_on",),
    "保费": ("premium",),
    "险别": ("coverages", "has_vehicle_damage", "third_party_limit"),
    "渠道": ("channel",),
    "回访员工号": ("callback_id",),
    "销售员工号": ("seller_id",),
    "负责人工号": ("lead_id",),
    "上年保单号": ("previous_policy_no",),
    "跟进人工号": ("follow_up_id",),
}
POLICY_VALUE_FIELDS = (
    "kind", "branch_id", "vehicle_id", "insured_id", "signed_on", "start_on", "end_on", "premium", "coverages",
    "has_vehicle_damage", "third_party_limit", "channel", "callback_id", "seller_id", "lead_id", "previous_policy_no",
    "follow_up_id",
)  # fmt: skip
RETAINED_FIELDS = {
    "客户": ("customer_id",),
    "最近返厂日期": ("last_return_on",),
    "上年保险公司": ("previous_insurer",),
    "上年保单号": ("previous_policy_no",),
    "预计到期日": ("expected_end",),
    "跟进人工号": ("follow_up_id",),
}


class _ChunkIds(NamedTuple):
    vehicles: dict[str, int]  # VIN -> pk
    customers: dict[tuple, int]  # customer key -> pk


def _managed(mapping: dict[str, tuple[str, ...]], present: frozenset[str]) -> list[str]:
    return [field for column, fields in mapping.items() if column in present for field in fields]


class WorkbookWriter:
    def __init__(self, plan: ValidatedWorkbook, report: ImportReport, progress: Callable[[str], None]):
        self.plan = plan
        self.report = report
        self.progress = progress
        self.today: date = timezone.localdate()
        self.now = timezone.now()
        self.branch_ids: dict[str, int] = {}
        self.staff_ids: dict[str, int] = {}
        self.insurer_ids: dict[str, int] = {}

    def write(self) -> None:
        present = self.plan.present
        self._branches()
        self._staff()
        if sheets.POLICIES in present or sheets.RETAINED in present:
            self.progress("正在写入客户与车辆")
            self._customers()
            self._vehicles()
        if sheets.POLICIES in present:
            self.progress("正在写入保单")
            self._policies()
            touched = self.plan.index.touched_count()
            if touched:
                self.progress(f"正在重建保险期（{touched} 辆车）")
                for vehicle_ids in self.plan.index.touched_vehicles(PERK_SYNC_CHUNK):
                    self.report.terms_rebuilt += rebuild_terms(vehicle_ids)
                    _queue_perk_sync(vehicle_ids)
        if sheets.RETAINED in present:
            self._retained()
        if sheets.TARGETS in present:
            write_targets(self.plan.targets, branch_ids=self.branch_ids, staff_ids=self.staff_ids, report=self.report)
        if sheets.SATISFACTION in present:
            write_satisfaction(self.plan.satisfaction, branch_ids=self.branch_ids, report=self.report)

    # --- 门店 and 员工: few rows ------------------------------------------------------------------

    def _branches(self) -> None:
        if sheets.BRANCHES in self.plan.present:
            counts = self.report.count(sheets.BRANCHES)
            managed = _managed(BRANCH_FIELDS, self.plan.present[sheets.BRANCHES])
            rows = self.plan.branches
            existing = {branch.code: branch for branch in Branch.objects.filter(code__in=[r.code for r in rows])}
            new, changed = [], []
            for row in rows:
                values = row._asdict()
                branch = existing.get(row.code)
                if branch is None:
                    del values["row"]
                    new.append(Branch(**values))
                elif assign_changed(branch, values, managed):
                    changed.append(branch)
                else:
                    counts.unchanged += 1
            Branch.objects.bulk_create(new)
            if changed:
                Branch.objects.bulk_update(changed, managed)
            counts.created += len(new)
            counts.updated += len(changed)
        self.branch_ids = dict(Branch.objects.values_list("code", "pk"))

    def _staff(self) -> None:
        if sheets.STAFF in self.plan.present:
            counts = self.report.count(sheets.STAFF)
            present = self.plan.present[sheets.STAFF]
            managed = _managed(STAFF_FIELDS, present)
            rows = self.plan.staff
            existing = {
                staff.employee_no: staff
                for staff in Staff.objects.filter(employee_no__in=[r.employee_no for r in rows])
                .select_related("user")
                .prefetch_related("user__groups")
            }
            branches = {branch.pk: branch for branch in Branch.objects.filter(pk__in=self.branch_ids.values())}
            changed, renamed_users = [], []
            for row in rows:
                values = {
                    "name": row.name, "branch_id": self.branch_ids[row.branch], "team": row.team,
                    "is_team_leader": row.is_team_leader, "base_salary": row.base_salary,
                }  # fmt: skip
                staff = existing.get(row.employee_no)
                if staff is None:
                    create_staff(
                        employee_no=row.employee_no, name=row.name, branch=branches[values["branch_id"]],
                        roles=row.roles, team=row.team, is_team_leader=row.is_team_leader,
                        base_salary=row.base_salary,
                    )  # fmt: skip
                    counts.created += 1
                    continue
                fields_changed = assign_changed(staff, values, managed)
                if fields_changed:
                    changed.append(staff)
                    if staff.user.first_name != staff.name:
                        staff.user.first_name = staff.name
                        renamed_users.append(staff.user)
                roles_changed = "角色" in present and set(row.roles) != {g.name for g in staff.user.groups.all()}
                if roles_changed:
                    set_staff_roles(staff=staff, roles=row.roles)
                if fields_changed or roles_changed:
                    counts.updated += 1
                else:
                    counts.unchanged += 1
            if changed:
                Staff.objects.bulk_update(changed, managed)
            if renamed_users:
                get_user_model().objects.bulk_update(renamed_users, ["first_name"])
        self.staff_ids = dict(Staff.objects.values_list("employee_no", "pk"))

    # --- 客户 and 车辆: once per customer / VIN, whatever the number of rows naming them -------------

    def _customers(self) -> None:
        CustomerWriter(self.plan, self.report.count("客户"), today=self.today, now=self.now).write()

    def _vehicles(self) -> None:
        counts = self.report.count("车辆")
        for folded in self.plan.index.vehicles(BATCH):
            existing = {v.vin: v for v in Vehicle.objects.filter(vin__in=[facts.vin for facts in folded])}
            new, changed = [], []
            pks: dict[str, int] = {}
            for facts in folded:
                values: dict = {}
                if facts.plate:
                    values["plate"], values["new_energy"] = facts.plate, facts.new_energy
                if facts.model_name:
                    values["model_name"] = facts.model_name
                if facts.owner_id is not None:
                    values["owner_id"] = facts.owner_id
                vehicle = existing.get(facts.vin)
                if vehicle is None:
                    new.append(Vehicle(vin=facts.vin, **values))
                elif assign_changed(vehicle, values, values):
                    changed.append(vehicle)
                else:
                    counts.unchanged += 1
                    pks[facts.vin] = vehicle.pk
            Vehicle.objects.bulk_create(new, batch_size=BATCH)
            if changed:
                Vehicle.objects.bulk_update(changed, ["plate", "new_energy", "model_name", "owner_id"])
            for vehicle in (*new, *changed):
                pks[vehicle.vin] = vehicle.pk
            self.plan.index.set_vehicle_pks((facts.id, pks[facts.vin]) for facts in folded)
            counts.created += len(new)
            counts.updated += len(changed)

    # --- 保单 and 保有客户: streamed from the spool ------------------------------------------------

    def _policies(self) -> None:
        counts = self.report.count(sheets.POLICIES)
        managed = _managed(POLICY_FIELDS, self.plan.present[sheets.POLICIES])
        self._insurers()
        new_fields = ["insurer_id", "policy_no", *POLICY_VALUE_FIELDS, "created_at", "updated_at"]
        done = 0
        for rows in self.plan.policies.chunks():
            existing = {
                (p.insurer_id, p.policy_no): p for p in Policy.objects.filter(policy_no__in={r.policy_no for r in rows})
            }
            ids = self._ids_for(rows)
            new, changed = [], []
            touched: set[int] = set()
            for row in rows:
                imported = self._policy_values(row, ids)
                insurer_id = self.insurer_ids[row.insurer]
                policy = existing.get((insurer_id, row.policy_no))
                if policy is None:
                    new.append((insurer_id, row.policy_no, *imported, self.now, self.now))
                    touched.add(ids.vehicles[row.vin])
                    continue
                values = dict(zip(POLICY_VALUE_FIELDS, imported, strict=True))
                previous_vehicle = policy.vehicle_id
                if assign_changed(policy, values, managed):
                    policy.updated_at = self.now
                    changed.append(policy)
                    touched.update((previous_vehicle, policy.vehicle_id))
                else:
                    counts.unchanged += 1
            insert_rows(Policy, new_fields, new)
            if changed:
                Policy.objects.bulk_update(changed, [*managed, "updated_at"])
            self.plan.index.touch_vehicles(touched)
            counts.created += len(new)
            counts.updated += len(changed)
            done += len(rows)
            self.progress(f"正在写入保单（{done} 行）")

    def _insurers(self) -> None:
        names = self.plan.insurers
        self.insurer_ids = dict(Insurer.objects.filter(name__in=names).values_list("name", "pk"))
        missing = [Insurer(name=name) for name in sorted(names - set(self.insurer_ids))]
        Insurer.objects.bulk_create(missing)
        self.insurer_ids.update((insurer.name, insurer.pk) for insurer in missing)

    def _ids_for(self, rows: list[PolicyRow] | list[RetainedRow]) -> _ChunkIds:
        """The primary keys of the vehicles and customers a chunk of rows names: two lookups in the index."""
        index = self.plan.index
        return _ChunkIds(
            vehicles=index.vehicle_pks({row.vin for row in rows}),
            customers=index.customer_pks({row.customer for row in rows}),
        )

    def _policy_values(self, row: PolicyRow, ids: _ChunkIds) -> tuple:
        """The imported fields of a policy, in POLICY_VALUE_FIELDS order."""
        staff = self.staff_ids
        return (
            row.kind, self.branch_ids[row.branch], ids.vehicles[row.vin], ids.customers[row.customer],
            row.signed_on, row.start_on, row.end_on, row.premium, list(row.coverages), row.has_vehicle_damage,
            row.third_party_limit, row.channel, staff.get(row.callback), staff.get(row.seller), staff.get(row.lead),
            row.previous_policy_no, staff.get(row.follow_up),
        )  # fmt: skip

    def _retained(self) -> None:
        counts = self.report.count(sheets.RETAINED)
        managed = _managed(RETAINED_FIELDS, self.plan.present[sheets.RETAINED])
        for rows in self.plan.retained.chunks():
            ids = self._ids_for(rows)
            existing = {
                (r.branch_id, r.vehicle_id): r
                for r in RetainedCustomer.objects.filter(vehicle_id__in=set(ids.vehicles.values()))
            }
            new, changed = [], []
            for row in rows:
                values = self._retained_values(row, ids)
                retained = existing.get((values["branch_id"], values["vehicle_id"]))
                if retained is None:
                    new.append(RetainedCustomer(**values))
                elif assign_changed(retained, values, managed):
                    retained.updated_at = self.now
                    changed.append(retained)
                else:
                    counts.unchanged += 1
            RetainedCustomer.objects.bulk_create(new, batch_size=BATCH)
            if changed:
                RetainedCustomer.objects.bulk_update(changed, [*managed, "updated_at"])
            counts.created += len(new)
            counts.updated += len(changed)

    def _retained_values(self, row: RetainedRow, ids: _ChunkIds) -> dict:
        return {
            "branch_id": self.branch_ids[row.branch],
            "vehicle_id": ids.vehicles[row.vin],
            "customer_id": ids.customers[row.customer],
            "last_return_on": row.last_return_on,
            "previous_insurer": row.previous_insurer,
            "previous_policy_no": row.previous_policy_no,
            "expected_end": row.expected_end,
            "follow_up_id": self.staff_ids.get(row.follow_up),
        }


PERK_SYNC_CHUNK = 2000


def _queue_perk_sync(vehicle_ids: list[int]) -> None:
    """Imported 续回 earn their perks, and 退保 reverses them (DOMAIN.md §12), once the import has committed: one
    task per chunk of vehicles (a rolled-back or dry-run import queues nothing). The daily sweep catches up if a
    task is lost."""
    from perks.tasks import sync_renewal_perks_task

    for start in range(0, len(vehicle_ids), PERK_SYNC_CHUNK):
        chunk = vehicle_ids[start : start + PERK_SYNC_CHUNK]
        transaction.on_commit(lambda chunk=chunk: sync_renewal_perks_task.delay(chunk))
