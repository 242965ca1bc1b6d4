"""Validation of the whole workbook before anything is written (DOMAIN.md §9–§10).

Sheets are read in a fixed order (门店 → 员工 → 保单 → 保有客户 → 目标 → 满意度) so every reference can be checked
against the workbook's own rows or the database. Each row is parsed once; a valid row is kept as a compact
tuple (the big sheets in a RowSpool on disk), and what the rows say about shared records — a vehicle, a
customer — is folded into one entry per VIN / per customer, so the writer writes each once, deterministically.
Natural keys and folds live in the plan's WorkbookIndex (on disk too): memory stays flat whatever the row count.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Hashable
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model

from policies.importer import columns as sheets
from policies.importer.plan import ValidatedWorkbook
from policies.importer.reading import SheetTable, WorkbookReader
from policies.importer.report import ImportReport, Issue
from policies.importer.rows import (
    BranchRow,
    CustomerKey,
    PolicyRow,
    RetainedRow,
    RowCheck,
    SatisfactionRow,
    StaffRow,
    TargetRow,
    cell_text,
    parse_channel,
    parse_kind,
)
from policies.importer.scope import OWN_BRANCH_ONLY, ImportScope
from policies.masking import mask_id_number
from policies.models import Branch, Policy, Staff
from policies.services import customer_id_hash
from policies.validation import (
    FieldError,
    normalise_id_number,
    normalise_mobile,
    normalise_plate,
    normalise_vin,
    parse_coverages,
    parse_date,
    parse_int,
    parse_money,
    parse_month,
    parse_optional_date,
    parse_yes_no,
    split_list,
)
from renewal_desk.roles import ROLE_BY_SHEET_NAME, Role

BRANCHES_BY_ADMINS = "门店资料只能由管理员导入，请删除“门店”表中的行"
SALARY_BY_ADMINS = "基本工资只能由管理员设置或修改；请留空"
USUAL_PREMIUM = (Decimal("50"), Decimal("200000"))
PROGRESS_EVERY = 5000
_ROLE_NAMES = "续保专员、回访员、服务顾问、续保负责人、经理、副总经理、总经理、财务、管理员、事业部"
_ROLE_LABELS = dict(Role.choices)
# Sheets whose natural key is checked set-based in the index once the sheet is read (they can be 100,000 rows):
# sheet -> (column the error is on, the key as the message names it)
_INDEXED_KEYS = {
    sheets.POLICIES: ("保单号", lambda insurer, number: f"保险公司“{insurer}”的保单号“{number}”"),
    sheets.RETAINED: ("车架号", lambda branch, vin: f"本门店的车架号“{vin}”"),
}


def _is_blank(value: object) -> bool:
    return cell_text(value) == ""


def _is_one_year(start_on: date, end_on: date) -> bool:
    """A year runs to the day before the anniversary (last covered day), or to the anniversary at 0时."""
    try:
        anniversary = start_on.replace(year=start_on.year + 1)
    except ValueError:  # 29 February
        anniversary = start_on.replace(year=start_on.year + 1, day=28) + timedelta(days=1)
    return end_on in (anniversary - timedelta(days=1), anniversary)


def _parse_score(value: object) -> Decimal:
    try:
        score = parse_money(value)
    except FieldError:
        raise FieldError(f"应为 0–100 的数字（最多两位小数）：{value}") from None
    if score > 100:
        raise FieldError(f"应为 0–100 的数字：{value}")
    return score


class WorkbookValidator:
    def __init__(self, *, report: ImportReport, scope: ImportScope, progress: Callable[[str], None] | None = None):
        self.report = report
        self.scope = scope
        self.progress = progress or (lambda text: None)
        self.plan = ValidatedWorkbook()
        # The database's codes are few (branches, staff): loaded once, so references never query per row.
        self.db_branches: set[str] = set(Branch.objects.values_list("code", flat=True))
        self.db_staff: dict[str, str] = dict(Staff.objects.values_list("employee_no", "branch__code"))
        # A new staff member's login is their 工号: a login of that name without a staff record blocks it.
        self.other_logins: set[str] = set(
            get_user_model().objects.filter(staff__isnull=True).values_list("username", flat=True)
        )
        self.db_roles: dict[str, set[str]] = {}
        self.db_salaries: dict[str, Decimal] = {}
        if scope.restricted:
            own_staff = Staff.objects.filter(branch__code=scope.branch_code)
            for number, role in own_staff.values_list("employee_no", "user__groups__name"):
                self.db_roles.setdefault(number, set()).update([role] if role else [])
            self.db_salaries = dict(own_staff.values_list("employee_no", "base_salary"))
        self.book_branches: dict[str, int] = {}
        self.book_staff: dict[str, tuple[int, str]] = {}
        self.target_keys: dict[tuple, int] = {}
        self.satisfaction_keys: dict[tuple, int] = {}
        self.coverage_cache: dict[object, object] = {}
        self.code_cache: dict[tuple, str] = {}
        self.policy_table: SheetTable | None = None

    def run(self, reader: WorkbookReader) -> ValidatedWorkbook:
        handlers = {
            sheets.BRANCHES: self._branch_row,
            sheets.STAFF: self._staff_row,
            sheets.POLICIES: self._policy_row,
            sheets.RETAINED: self._retained_row,
            sheets.TARGETS: self._target_row,
            sheets.SATISFACTION: self._satisfaction_row,
        }
        if not reader.sheets and not self.report.errors:
            names = "、".join(sheets.SHEET_ORDER)
            self.report.error("文件", None, "", f"工作簿中没有可导入的工作表（{names}）")
        for name in sheets.SHEET_ORDER:
            table = reader.sheets.get(name)
            if table is None:
                continue
            self.plan.present[name] = frozenset(table.index)
            if name == sheets.POLICIES:
                self.policy_table = table
            if not table.usable:
                continue
            handle = handlers[name]
            count = 0
            first_error = len(self.report.errors)
            for number, values in table.data_rows():
                handle(RowCheck(table, self.report, number, values))
                count += 1
                if count % PROGRESS_EVERY == 0:
                    self.progress(f"正在校验“{table.title}”第 {number} 行")
            self.report.rows_read[name] = count
            if name in _INDEXED_KEYS:
                self._report_repeated_keys(table, name, first_error)
        if self.scope.restricted and self.policy_table is not None:
            self._check_policies_stay_in_branch()
        return self.plan

    # --- references --------------------------------------------------------------------------------

    def _repeated_code(self, check: RowCheck, column: str, *, required: bool = False) -> str:
        """门店编码 and 工号 cells repeat on every row: each distinct cell value is normalised once."""
        raw = check.raw(column)
        key = (raw.__class__, raw)  # 1 and True are equal keys to a dict, but not the same cell
        code = self.code_cache.get(key)
        if code is None:
            code = check.code(column, required=required)
            if code and len(self.code_cache) < 10_000:
                self.code_cache[key] = code
        return code

    def _branch(self, check: RowCheck) -> str:
        code = self._repeated_code(check, "门店编码", required=True)
        if not code:
            return ""
        if code not in self.book_branches and code not in self.db_branches:
            check.error("门店编码", f"门店编码“{code}”不存在：请先在“门店”表中添加，或核对编码")
        elif self.scope.restricted and code != self.scope.branch_code:
            check.error("门店编码", OWN_BRANCH_ONLY)
        return code

    def _staff_branch(self, number: str) -> str | None:
        known = self.book_staff.get(number)
        return known[1] if known else self.db_staff.get(number)

    def _staff_ref(self, check: RowCheck, column: str) -> str:
        number = self._repeated_code(check, column)
        if number and self._staff_branch(number) is None:
            check.error(column, f"工号“{number}”不存在：请先在“员工”表中添加，或核对工号")
        return number

    def _duplicate(self, check: RowCheck, seen: dict, key: Hashable, column: str, what: str) -> bool:
        first = seen.get(key)
        if first is not None:
            check.error(column, f"{what}与第 {first} 行重复")
            return True
        seen[key] = check.number
        return False

    def _report_repeated_keys(self, table: SheetTable, name: str, first_error: int) -> None:
        """The same natural key twice: an error on every later row, naming the first (as _duplicate does)."""
        column, what = _INDEXED_KEYS[name]
        header = table.header(column)
        repeated = [
            Issue(table.title, row, header, f"{what(first, second)}与第 {first_row} 行重复")
            for row, first_row, first, second in self.plan.index.duplicates(name)
        ]
        # Each row's key was its last check: the error goes after that row's others, as if found row by row.
        self.report.insert_row_errors(first_error, repeated)

    # --- 门店 -------------------------------------------------------------------------------------

    def _branch_row(self, check: RowCheck) -> None:
        code = check.code("门店编码", required=True)
        name = check.text("门店名称", required=True)
        city = check.text("城市", max_length=50)
        programme_start = check.parse("续保启动日期", parse_optional_date)
        perks_start = check.parse("权益启用日期", parse_optional_date)
        rescue_cities = "、".join(split_list(check.raw("救援城市")))
        if len(rescue_cities) > 300:
            check.error("救援城市", "救援城市过长（最多 300 个字）")
        free_washes = check.parse("免费洗车", parse_yes_no, default=False)
        advance_days = 90
        if not _is_blank(check.raw("提前投保天数")):
            advance_days = check.parse("提前投保天数", parse_int, minimum=1, maximum=366, on_error=90)
        if code:
            if self.scope.restricted:
                # 续保启动日期 sets the ramp-up window whose bonus a lead earns: branches are an admin's to edit.
                check.error("门店编码", OWN_BRANCH_ONLY if code != self.scope.branch_code else BRANCHES_BY_ADMINS)
            self._duplicate(check, self.book_branches, code, "门店编码", f"门店编码“{code}”")
        if not check.failed:
            self.plan.branches.append(
                BranchRow(
                    check.number, code, name, city, programme_start, perks_start, rescue_cities,
                    bool(free_washes), advance_days,
                )
            )  # fmt: skip

    # --- 员工 -------------------------------------------------------------------------------------

    def _staff_row(self, check: RowCheck) -> None:
        number = check.code("工号", required=True)
        name = check.text("姓名", required=True, max_length=50)
        branch = self._branch(check)
        roles = self._roles(check, number)
        team = check.text("团队", max_length=50)
        is_leader = check.parse("组长", parse_yes_no, default=False)
        salary = self._salary(check, number)
        if number:
            other_branch = self.db_staff.get(number)
            if other_branch is None and number in self.other_logins:
                check.error("工号", f"工号“{number}”已被其他登录账号使用，请换一个工号或联系管理员")
            if self.scope.restricted and other_branch not in (None, self.scope.branch_code):
                check.error("工号", f"{OWN_BRANCH_ONLY}：工号“{number}”属于其他门店")
            first = self.book_staff.get(number)
            if first is not None:
                check.error("工号", f"工号“{number}”与第 {first[0]} 行重复")
            else:
                self.book_staff[number] = (check.number, branch)
        if not check.failed:
            self.plan.staff.append(StaffRow(check.number, number, name, branch, roles, team, bool(is_leader), salary))

    def _salary(self, check: RowCheck, number: str) -> Decimal:
        """A lead may staff their branch but not set pay: 基本工资 left blank keeps it, any change is refused."""
        current = self.db_salaries.get(number, Decimal("0.00"))
        if _is_blank(check.raw("基本工资")):
            return current if self.scope.restricted else Decimal("0.00")
        salary = check.parse("基本工资", parse_money, on_error=current)
        if self.scope.restricted and salary != current:
            check.error("基本工资", SALARY_BY_ADMINS)
        return salary

    def _roles(self, check: RowCheck, number: str) -> tuple[str, ...]:
        names = split_list(check.raw("角色"))
        if not names:
            check.error("角色", "角色不能为空")
            return ()
        roles: set[str] = set()
        for name in names:
            role = ROLE_BY_SHEET_NAME.get(name) or (name.lower() if name.lower() in Role.values else None)
            if role is None:
                check.error("角色", f"未知角色“{name}”（可填：{_ROLE_NAMES}）")
            else:
                roles.add(role)
        grantable = self.scope.grantable_roles
        if grantable is not None:
            forbidden = roles - grantable
            if forbidden:
                labels = "、".join(_ROLE_LABELS[role] for role in sorted(forbidden))
                check.error("角色", f"您无权授予“{labels}”角色，请联系管理员")
            held = self.db_roles.get(number, set()) - grantable
            if held:
                labels = "、".join(_ROLE_LABELS.get(role, role) for role in sorted(held))
                check.error("角色", f"该员工现有“{labels}”角色，只能由管理员修改")
        return tuple(sorted(roles))

    # --- 保单 -------------------------------------------------------------------------------------

    def _policy_row(self, check: RowCheck) -> None:
        branch = self._branch(check)
        insurer = sys.intern(check.text("保险公司", required=True))  # a handful of names on every row
        policy_no = check.code("保单号", required=True, max_length=60)
        kind = check.required_value("险种", parse_kind)
        vin = self._vin(check)
        plate, new_energy = check.parse("车牌号", normalise_plate, on_error=(None, False))
        model_name = sys.intern(check.text("厂牌型号"))
        name = check.text("被保险人", required=True)
        mobile = self._optional_mobile(check)
        id_number = check.parse("被保险人证件号", normalise_id_number, on_error="")
        if not mobile and not id_number and not check.failed:
            check.error("联系电话", "联系电话和被保险人证件号至少填一项")
        signed_on = check.parse("签单日期", parse_optional_date)
        start_on = check.required_value("起保日期", parse_date)
        end_on = check.required_value("终保日期", parse_date)
        if start_on and end_on:
            if end_on <= start_on:
                check.error("终保日期", f"终保日期 {end_on:%Y-%m-%d} 应晚于起保日期 {start_on:%Y-%m-%d}")
            elif not _is_one_year(start_on, end_on):
                check.warn("终保日期", f"保险期间不是一年（{start_on:%Y-%m-%d} 至 {end_on:%Y-%m-%d}），请核对")
        premium = check.required_value("保费", parse_money)
        if premium is not None and not USUAL_PREMIUM[0] <= premium <= USUAL_PREMIUM[1]:
            check.warn("保费", f"保费 {premium} 元超出常见范围（50–200000 元），请核对")
        coverages = self._coverages(check)
        channel = check.parse("渠道", parse_channel, on_error="store")
        callback = self._staff_ref(check, "回访员工号")
        seller = self._staff_ref(check, "销售员工号")
        lead = self._staff_ref(check, "负责人工号")
        previous_policy_no = check.code("上年保单号", max_length=60)
        follow_up = self._staff_ref(check, "跟进人工号")
        consent = check.parse("短信同意", parse_yes_no)
        if insurer and policy_no:
            self.plan.index.add_key(sheets.POLICIES, insurer, policy_no, check.number)
        if check.failed:
            return
        customer = self._customer(name, mobile, id_number, consent)
        self.plan.index.learn_vehicle(
            vin, rank=end_on.toordinal(), plate=plate, new_energy=new_energy, model_name=model_name, owner=customer
        )
        self.plan.insurers.add(insurer)
        self.plan.policies.append(
            PolicyRow(
                check.number, branch, insurer, policy_no, kind, vin, customer, signed_on, start_on, end_on, premium,
                coverages.items, coverages.has_vehicle_damage, coverages.third_party_limit, channel, callback, seller,
                lead, previous_policy_no, follow_up,
            )
        )  # fmt: skip

    def _vin(self, check: RowCheck) -> str:
        if _is_blank(check.raw("车架号")):
            check.error("车架号", "车架号不能为空")
            return ""
        vin, warnings = check.parse("车架号", normalise_vin, on_error=("", []))
        for message in warnings:
            check.warn("车架号", message)
        return vin

    def _optional_mobile(self, check: RowCheck) -> str:
        if _is_blank(check.raw("联系电话")):
            return ""
        return check.parse("联系电话", normalise_mobile, on_error="")

    def _coverages(self, check: RowCheck):
        raw = check.raw("险别")
        cached = self.coverage_cache.get(raw)
        if cached is None:
            cached = check.parse("险别", parse_coverages)
            if cached is None:
                return parse_coverages(None)
            if len(self.coverage_cache) < 10_000:
                self.coverage_cache[raw] = cached
        return cached

    def _customer(self, name: str, mobile: str, id_number: str, consent: bool | None) -> CustomerKey:
        """The customer's key; the index folds what the row says (the latest name, a mobile, 短信同意)."""
        name = " ".join(name.split())
        if id_number:
            id_hash = customer_id_hash(id_number)
            key: CustomerKey = ("id", id_hash)
            id_masked = mask_id_number(id_number)
        else:
            key, id_hash, id_masked = ("nm", name, mobile), None, ""
        self.plan.index.learn_customer(
            key, name=name, mobile=mobile, id_masked=id_masked, id_hash=id_hash, consent=consent
        )
        return key

    def _check_policies_stay_in_branch(self) -> None:
        """A lead may not take over another branch's policy by importing its number (insurer + 保单号)."""
        table = self.policy_table
        for first_rows in self.plan.index.first_rows(sheets.POLICIES, 2000):
            elsewhere = (
                Policy.objects.filter(policy_no__in=sorted({number for _, number in first_rows}))
                .exclude(branch__code=self.scope.branch_code)
                .values_list("insurer__name", "policy_no")
            )
            for insurer, number in elsewhere:
                row = first_rows.get((insurer, number))
                if row is not None:
                    self.report.error(
                        table.title, row, table.header("保单号"), f"{OWN_BRANCH_ONLY}：该保单属于其他门店"
                    )

    # --- 保有客户 ---------------------------------------------------------------------------------

    def _retained_row(self, check: RowCheck) -> None:
        branch = self._branch(check)
        vin = self._vin(check)
        plate, new_energy = check.parse("车牌号", normalise_plate, on_error=(None, False))
        name = check.text("客户", required=True)
        mobile = check.required_value("联系电话", normalise_mobile) or ""
        last_return_on = check.parse("最近返厂日期", parse_optional_date)
        previous_insurer = check.text("上年保险公司")
        previous_policy_no = check.code("上年保单号", max_length=60)
        expected_end = check.parse("预计到期日", parse_optional_date)
        follow_up = self._staff_ref(check, "跟进人工号")
        consent = check.parse("短信同意", parse_yes_no)
        if branch and vin:
            self.plan.index.add_key(sheets.RETAINED, branch, vin, check.number)
        if check.failed:
            return
        customer = self._customer(name, mobile, "", consent)
        self.plan.index.learn_vehicle(vin, rank=0, plate=plate, new_energy=new_energy, model_name="", owner=customer)
        self.plan.retained.append(
            RetainedRow(
                check.number, branch, vin, customer, last_return_on, previous_insurer, previous_policy_no,
                expected_end, follow_up,
            )
        )  # fmt: skip

    # --- 目标 / 满意度 ------------------------------------------------------------------------------

    def _target_row(self, check: RowCheck) -> None:
        branch = self._branch(check)
        month = check.required_value("月份", parse_month)
        staff = self._staff_ref(check, "工号")
        category = None
        if not _is_blank(check.raw("客户类别")):
            category = check.parse("客户类别", parse_int, minimum=1, maximum=4)
        has_category = not _is_blank(check.raw("客户类别"))
        if staff and has_category:
            check.error("客户类别", "工号和客户类别只能填一项：员工目标填工号，门店客户类别目标填客户类别")
        elif not staff and not has_category and not check.failed:
            check.error("工号", "请填写工号（员工目标）或客户类别（门店客户类别目标）")
        staff_branch = self._staff_branch(staff) if staff else None
        if staff_branch and branch and staff_branch != branch:
            check.error("工号", f"工号“{staff}”不属于门店“{branch}”")
        count = check.required_value("目标台数", parse_int, minimum=0)
        if branch and month:
            key = (branch, month, staff, category)
            self._duplicate(check, self.target_keys, key, "月份", "同一门店、月份和对象的目标")
        if not check.failed:
            self.plan.targets.append(TargetRow(check.number, branch, month, staff, category, count))

    def _satisfaction_row(self, check: RowCheck) -> None:
        branch = self._branch(check)
        team = check.text("团队", required=True, max_length=50)
        month = check.required_value("月份", parse_month)
        score = check.required_value("得分", _parse_score)
        target = check.required_value("目标", _parse_score)
        if branch and team and month:
            self._duplicate(
                check, self.satisfaction_keys, (branch, team, month), "团队", "同一门店、团队和月份的满意度"
            )
        if not check.failed:
            self.plan.satisfaction.append(SatisfactionRow(check.number, branch, team, month, score, target))
