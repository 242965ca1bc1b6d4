"""The workbook importer end to end through its service: what gets written, how often, and what never changes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import isolate_apps

from policies.importer import import_workbook, incentives_hook
from policies.models import (
    Branch,
    Channel,
    ConsentChange,
    Customer,
    Insurer,
    Policy,
    RenewalKind,
    RetainedCustomer,
    Staff,
    Vehicle,
    VehicleTerm,
)
from policies.services import customer_id_hash, record_consent
from tests.factories import make_branch, make_staff
from tests.policies.workbooks import (
    make_id_number,
    policy_row,
    retained_row,
    satisfaction_row,
    staff_row,
    standard_sheets,
    target_row,
    vin,
    write_workbook,
)

pytestmark = pytest.mark.django_db


def table_counts() -> dict[str, int]:
    return {model._meta.label: model.objects.count() for model in apps.get_models()}


def changed_counts(report) -> int:
    return sum(c.created + c.updated for c in report.counts.values())


@pytest.fixture
def standard_book(tmp_path):
    return write_workbook(tmp_path / "standard.xlsx", standard_sheets())


# --- a first import ------------------------------------------------------------------------------


def test_standard_workbook_writes_branches_staff_policies_and_terms(standard_book):
    report = import_workbook(standard_book)

    assert report.ok, report.errors
    assert report.written
    assert {label: c.created for label, c in report.counts.items()} == {
        "门店": 1, "员工": 3, "保单": 4, "客户": 2, "车辆": 2,
    }  # fmt: skip
    branch = Branch.objects.get(code="BJ01")
    assert (branch.name, branch.city, branch.programme_start, branch.free_washes, branch.advance_days) == (
        "北京BJ01店", "北京", date(2024, 1, 1), True, 90,
    )  # fmt: skip
    commercial = Policy.objects.select_related("insurer", "vehicle", "insured", "callback", "seller", "lead").get(
        policy_no="PDAA0001"
    )
    assert commercial.insurer.name == "平安产险"
    assert commercial.kind == "commercial"
    assert commercial.vehicle.vin == vin(1)
    assert commercial.vehicle.plate == "京A00001"
    assert commercial.vehicle.model_name == "大众 迈腾"
    assert commercial.insured.name == "客户1"
    assert commercial.insured.mobile == "13800000001"
    assert (commercial.start_on, commercial.end_on, commercial.signed_on) == (
        date(2025, 1, 1), date(2025, 12, 31), date(2025, 1, 1),
    )  # fmt: skip
    assert commercial.premium == D("4512.50")
    assert commercial.coverages == ["车损险", "三者险", "车上人员"]
    assert commercial.has_vehicle_damage is True
    assert commercial.third_party_limit == 1_000_000
    assert commercial.channel == Channel.STORE  # blank 渠道 = 到店
    assert (commercial.callback.employee_no, commercial.seller.employee_no, commercial.lead.employee_no) == (
        "E1002", "E1003", "E1001",
    )  # fmt: skip
    # 交强 + 商业 of one term count once: two vehicles, two terms, each holding both policies
    assert VehicleTerm.objects.count() == 2
    term = VehicleTerm.objects.get(vehicle__vin=vin(1))
    assert set(term.policies.values_list("policy_no", flat=True)) == {"PDAA0001", "PDZA0001"}
    assert (term.has_compulsory, term.has_commercial, term.full_cover) == (True, True, True)
    assert term.premium_total == D("5462.50")
    assert term.follow_up.employee_no == "E1001"
    assert report.terms_rebuilt == 2


def test_staff_get_a_login_named_by_their_number_with_an_unusable_password_and_their_roles(standard_book):
    import_workbook(standard_book)

    lead = Staff.objects.select_related("user", "branch").get(employee_no="E1001")
    assert lead.user.username == "E1001"
    assert not lead.user.has_usable_password()
    assert lead.roles == {"lead", "specialist"}
    assert (lead.name, lead.branch.code, lead.team, lead.is_team_leader, lead.base_salary) == (
        "员工E1001", "BJ01", "一组", False, D("4500.00"),
    )  # fmt: skip
    assert Staff.objects.get(employee_no="E1003").roles == {"seller"}


def test_roles_split_on_every_separator(tmp_path):
    book = write_workbook(
        tmp_path / "roles.xlsx",
        {
            "门店": [{"门店编码": "BJ01", "门店名称": "北京店"}],
            "员工": [staff_row("E1", roles="续保专员,回访员，服务顾问、经理")],
        },
    )
    assert import_workbook(book).ok
    assert Staff.objects.get(employee_no="E1").roles == {"specialist", "callback", "seller", "manager"}


# --- header aliases ----------------------------------------------------------------------------------

POLICY_ALIASES = {
    "保单号": "保险单号", "车架号": "VIN", "车牌号": "号牌号码", "被保险人": "被保险人名称", "联系电话": "手机号",
    "起保日期": "保险起期", "终保日期": "保险止期", "签单日期": "出单日期", "保费": "签单保费", "厂牌型号": "品牌型号",
    "保险公司": "承保公司",
}  # fmt: skip
OTHER_ALIASES = {
    "保单号": "保单号码", "车架号": "车辆识别代号", "车牌号": "车牌号码", "被保险人": "客户名称",
    "联系电话": "手机号码", "起保日期": "生效日期", "终保日期": "到期日", "保费": "总保费", "厂牌型号": "车型",
}  # fmt: skip
THIRD_ALIASES = {
    "保单号": "保单号",
    "车架号": "车架号码",
    "联系电话": "联系方式",
    "终保日期": "失效日期",
    "保费": "保险费",
}


@pytest.mark.parametrize("aliases", [POLICY_ALIASES, OTHER_ALIASES, THIRD_ALIASES])
def test_header_aliases_of_insurer_and_dms_exports_are_recognised(tmp_path, aliases):
    sheets = standard_sheets()
    sheets["保单"] = [{aliases.get(header, header): value for header, value in row.items()} for row in sheets["保单"]]
    report = import_workbook(write_workbook(tmp_path / "aliases.xlsx", sheets))

    assert report.ok, report.errors
    assert report.warnings == []
    assert Policy.objects.count() == 4
    policy = Policy.objects.get(policy_no="PDAA0002")
    assert (policy.vehicle.vin, policy.end_on, policy.premium) == (vin(2), date(2025, 12, 31), D("4512.50"))


def test_header_text_is_normalised_full_width_spaces_and_line_breaks(tmp_path):
    written = {"车架号": "ＶＩＮ", "终保日期": "保险\n止期", "车牌号": " 车牌 号码 ", "保费": "保　费"}
    sheets = standard_sheets()
    sheets["保单"] = [{written.get(header, header): value for header, value in row.items()} for row in sheets["保单"]]
    report = import_workbook(write_workbook(tmp_path / "headers.xlsx", sheets))

    assert report.ok, report.errors
    assert report.warnings == []
    assert Vehicle.objects.get(vin=vin(1)).plate == "京A00001"


def test_errors_name_the_column_as_written_in_the_file(tmp_path):
    sheets = standard_sheets()
    sheets["保单"] = [{("VIN" if h == "车架号" else h): v for h, v in row.items()} for row in sheets["保单"]]
    sheets["保单"][1]["VIN"] = "LVSFCFME47F107967"
    report = import_workbook(write_workbook(tmp_path / "bad.xlsx", sheets))

    assert [(i.sheet, i.row, i.column) for i in report.errors] == [("保单", 3, "VIN")]


# --- cells as exports write them ---------------------------------------------------------------------


def test_cells_hold_text_numbers_serials_full_width_and_spaced_values(tmp_path):
    row = policy_row(
        "PDAA0009", n=9, 车牌号="京Ａ·０００09", 联系电话="+86 138-0000-0009", 起保日期=45658, 终保日期="2025/12/31",
        签单日期="2024年12月28日", 保费="4,512.50", 险别="车损险、三者险（150万）", 渠道="电销",
    )  # fmt: skip
    sheets = {**standard_sheets(), "保单": [row]}
    report = import_workbook(write_workbook(tmp_path / "cells.xlsx", sheets))

    assert report.ok, report.errors
    policy = Policy.objects.select_related("vehicle", "insured").get(policy_no="PDAA0009")
    assert policy.vehicle.plate == "京A00009"
    assert policy.insured.mobile == "13800000009"
    assert (policy.signed_on, policy.start_on, policy.end_on) == (
        date(2024, 12, 28),
        date(2025, 1, 1),
        date(2025, 12, 31),
    )
    assert policy.premium == D("4512.50")
    assert policy.third_party_limit == 1_500_000
    assert policy.channel == Channel.TELESALES


# --- re-imports ----------------------------------------------------------------------------------------


def test_importing_the_same_workbook_again_changes_nothing(standard_book):
    import_workbook(standard_book)
    before = table_counts()
    stamps = dict(Policy.objects.values_list("pk", "updated_at"))
    terms = list(VehicleTerm.objects.order_by("pk").values())

    again = import_workbook(standard_book)

    assert again.ok
    assert changed_counts(again) == 0
    assert {label: c.unchanged for label, c in again.counts.items()} == {
        "门店": 1, "员工": 3, "保单": 4, "客户": 2, "车辆": 2,
    }  # fmt: skip
    assert again.terms_rebuilt == 0
    assert table_counts() == before
    assert dict(Policy.objects.values_list("pk", "updated_at")) == stamps
    assert list(VehicleTerm.objects.order_by("pk").values()) == terms


def test_a_changed_value_updates_the_record_and_its_term(tmp_path):
    sheets = standard_sheets()
    import_workbook(write_workbook(tmp_path / "v1.xlsx", sheets))
    sheets["保单"][0]["保费"] = 5000
    sheets["保单"][0]["险别"] = "车损险,三者险(50万)"
    sheets["员工"][1]["姓名"] = "改名了"

    report = import_workbook(write_workbook(tmp_path / "v2.xlsx", sheets))

    assert (report.counts["保单"].updated, report.counts["保单"].unchanged) == (1, 3)
    assert (report.counts["员工"].updated, report.counts["员工"].unchanged) == (1, 2)
    policy = Policy.objects.get(policy_no="PDAA0001")
    assert (policy.premium, policy.third_party_limit) == (D("5000.00"), 500_000)
    term = policy.term
    assert term.premium_commercial == D("5000.00")
    assert term.full_cover is False
    assert Staff.objects.get(employee_no="E1002").name == "改名了"
    assert VehicleTerm.objects.count() == 2  # the same term rows, kept (cases refer to them)


def test_a_changed_import_never_touches_what_the_desk_recorded(tmp_path):
    sheets = standard_sheets()
    import_workbook(write_workbook(tmp_path / "v1.xlsx", sheets))
    customer = Customer.objects.get(name="客户1")
    record_consent(customer=customer, consent=False, source="desk")  # the customer opted out on the phone
    Policy.objects.filter(policy_no="PDZA0001").update(cancelled_on=date(2025, 6, 1))  # 退保 recorded at the desk
    sheets["保单"][0]["保费"] = 4800

    report = import_workbook(write_workbook(tmp_path / "v2.xlsx", sheets))

    assert report.counts["保单"].updated == 1
    customer.refresh_from_db()
    assert customer.sms_consent is False
    assert Policy.objects.get(policy_no="PDZA0001").cancelled_on == date(2025, 6, 1)


def test_a_missing_optional_column_leaves_its_field_alone(tmp_path):
    sheets = standard_sheets()
    import_workbook(write_workbook(tmp_path / "v1.xlsx", sheets))
    for row in sheets["保单"]:
        del row["回访员工号"], row["险别"]

    report = import_workbook(write_workbook(tmp_path / "v2.xlsx", sheets))

    assert changed_counts(report) == 0
    policy = Policy.objects.get(policy_no="PDAA0001")
    assert policy.callback.employee_no == "E1002"
    assert policy.third_party_limit == 1_000_000


# --- terms and renewals --------------------------------------------------------------------------------


def test_renewal_is_linked_through_the_previous_policy_number(tmp_path):
    sheets = standard_sheets()
    sheets["保单"] = [
        policy_row("OLD-A", n=1, start=date(2024, 1, 1)),
        policy_row("OLD-Z", n=1, kind="交强险", start=date(2024, 1, 1)),
        policy_row("NEW-A", n=1, start=date(2025, 1, 1), 上年保单号="OLD-A"),
        policy_row("NEW-Z", n=1, kind="交强险", start=date(2025, 1, 1), 上年保单号="OLD-Z"),
        policy_row("LATE-A", n=2, start=date(2024, 1, 1)),
        policy_row("LATE-B", n=2, start=date(2025, 1, 20), 上年保单号="LATE-A"),  # starts 19 days after cover ended
    ]
    report = import_workbook(write_workbook(tmp_path / "renewals.xlsx", sheets))

    assert report.ok, report.errors
    assert report.warnings == []
    old, new = VehicleTerm.objects.filter(vehicle__vin=vin(1)).order_by("t_date")
    assert new.previous_term == old
    assert new.renewal_kind == RenewalKind.RENEWAL
    assert old.renewal_kind == RenewalKind.NEW
    assert new.policies.count() == 2  # 交强 + 商业 of the renewed term still count once
    late = VehicleTerm.objects.filter(vehicle__vin=vin(2)).order_by("t_date").last()
    assert late.renewal_kind == RenewalKind.LAPSED


def test_adding_next_years_policies_later_links_them_to_the_imported_term(tmp_path):
    sheets = standard_sheets()
    import_workbook(write_workbook(tmp_path / "2025.xlsx", sheets))
    sheets["保单"] = [policy_row("NEXT-A", n=1, start=date(2026, 1, 1), 上年保单号="PDAA0001")]

    report = import_workbook(write_workbook(tmp_path / "2026.xlsx", sheets))

    assert report.counts["保单"].created == 1
    new = Policy.objects.get(policy_no="NEXT-A").term
    assert new.previous_term == Policy.objects.get(policy_no="PDAA0001").term
    assert new.renewal_kind == RenewalKind.RENEWAL


# --- customers ---------------------------------------------------------------------------------------


def test_customers_are_matched_by_id_hash_and_only_the_masked_id_is_stored(tmp_path):
    id_number = make_id_number()
    sheets = standard_sheets()
    sheets["保单"][0]["被保险人证件号"] = id_number
    sheets["保单"][2]["被保险人证件号"] = id_number  # the same person owns the second car, other phone
    sheets["保单"][2]["被保险人"] = "客户1"
    import_workbook(write_workbook(tmp_path / "ids.xlsx", sheets))

    holder = Customer.objects.get(id_hash=customer_id_hash(id_number))
    assert holder.id_masked == id_number[:4] + "*" * 10 + id_number[-4:]
    assert Policy.objects.get(policy_no="PDAA0002").insured == holder
    # the 交强 row without an ID, same name and phone, is the same customer
    assert Policy.objects.get(policy_no="PDZA0001").insured == holder
    assert not Customer.objects.filter(id_masked=id_number).exists()
    assert all(id_number not in str(row) for row in Customer.objects.values())


def test_customers_without_an_id_are_matched_by_normalised_name_and_mobile(tmp_path):
    existing = Customer.objects.create(name="客户1", mobile="13800000001")
    sheets = standard_sheets()
    sheets["保单"][0]["被保险人"] = " 客户1 "
    import_workbook(write_workbook(tmp_path / "names.xlsx", sheets))

    assert Policy.objects.get(policy_no="PDAA0001").insured == existing
    assert Customer.objects.count() == 2


def test_a_customer_imported_without_an_id_receives_it_later_instead_of_a_twin(tmp_path):
    sheets = standard_sheets()
    import_workbook(write_workbook(tmp_path / "v1.xlsx", sheets))
    id_number = make_id_number()
    for row in sheets["保单"][:2]:
        row["被保险人证件号"] = id_number

    report = import_workbook(write_workbook(tmp_path / "v2.xlsx", sheets))

    assert (report.counts["客户"].created, report.counts["客户"].updated) == (0, 1)
    assert Customer.objects.get(name="客户1").id_hash == customer_id_hash(id_number)


def test_sms_consent_is_recorded_only_when_it_changes(tmp_path):
    sheets = standard_sheets()
    sheets["保单"][2]["短信同意"] = sheets["保单"][3]["短信同意"] = "否"
    import_workbook(write_workbook(tmp_path / "v1.xlsx", sheets))
    agreed, declined = Customer.objects.get(name="客户1"), Customer.objects.get(name="客户2")
    assert (agreed.sms_consent, declined.sms_consent) == (True, False)
    assert agreed.sms_consent_on is not None and declined.sms_consent_on is None
    changes = ConsentChange.objects.count()

    import_workbook(write_workbook(tmp_path / "v1-again.xlsx", sheets))
    assert ConsentChange.objects.count() == changes

    sheets["保单"][2]["短信同意"] = sheets["保单"][3]["短信同意"] = "是"
    report = import_workbook(write_workbook(tmp_path / "v2.xlsx", sheets))
    declined.refresh_from_db()
    assert declined.sms_consent is True and declined.sms_consent_on is not None
    assert report.counts["客户"].updated == 1
    assert ConsentChange.objects.filter(customer=declined, source="import").latest("recorded_at").consent is True


# --- 保有客户 -----------------------------------------------------------------------------------------


def test_retained_customers_are_keyed_by_vin_per_branch(tmp_path):
    sheets = standard_sheets()
    sheets["门店"].append({"门店编码": "BJ02", "门店名称": "北京二店"})
    sheets["保有客户"] = [retained_row(50), retained_row(50, 门店编码="BJ02"), retained_row(51, 预计到期日=None)]
    report = import_workbook(write_workbook(tmp_path / "retained.xlsx", sheets))

    assert report.ok, report.errors
    assert report.counts["保有客户"].created == 3
    row = RetainedCustomer.objects.select_related("vehicle", "customer", "follow_up").get(
        branch__code="BJ01", vehicle__vin=vin(50)
    )
    assert (row.previous_insurer, row.previous_policy_no, row.expected_end) == (
        "人保财险",
        "PICC000050",
        date(2025, 12, 31),
    )
    assert row.has_complete_policy_data
    assert (row.customer.name, row.customer.mobile, row.follow_up.employee_no) == ("保有客户50", "13900000050", "E1001")
    assert row.vehicle.plate == "京B00050"
    assert RetainedCustomer.objects.get(vehicle__vin=vin(51)).expected_end is None

    sheets["保有客户"][0]["预计到期日"] = date(2026, 1, 15)
    again = import_workbook(write_workbook(tmp_path / "retained2.xlsx", sheets))
    assert (again.counts["保有客户"].updated, again.counts["保有客户"].unchanged) == (1, 2)


# --- 目标 and 满意度: stored by the incentives app once it has the models ----------------------------------


def test_targets_and_satisfaction_are_validated_but_reported_not_stored_without_incentives_models(
    tmp_path, monkeypatch
):
    monkeypatch.setattr(incentives_hook, "incentives_model", lambda name: None)
    sheets = standard_sheets()
    sheets["目标"] = [target_row(), target_row(工号=None, 客户类别=1, 目标台数=80)]
    sheets["满意度"] = [satisfaction_row()]
    report = import_workbook(write_workbook(tmp_path / "targets.xlsx", sheets))

    assert report.ok
    assert report.written
    assert {(w.sheet, w.message) for w in report.warnings} == {
        ("目标", incentives_hook.NOT_STORED_YET), ("满意度", incentives_hook.NOT_STORED_YET),
    }  # fmt: skip
    assert report.rows_read["目标"] == 2
    assert "目标" not in report.counts


@pytest.fixture
def incentives_models(django_db_blocker):
    """The real incentives.Target/TeamSatisfaction once they exist; until then stand-ins with the agreed fields."""
    real = incentives_hook.incentives_model("Target"), incentives_hook.incentives_model("TeamSatisfaction")
    if all(real):
        yield real
        return
    from django.db import models

    with isolate_apps("incentives"):

        class Target(models.Model):
            branch_id = models.BigIntegerField()
            month = models.DateField()
            staff_id = models.BigIntegerField(null=True)
            category = models.PositiveSmallIntegerField(null=True)
            count = models.PositiveIntegerField()

            class Meta:
                app_label = "incentives"
                db_table = "test_import_target"

            def __str__(self) -> str:
                return f"{self.month} {self.count}"

        class TeamSatisfaction(models.Model):
            branch_id = models.BigIntegerField()
            team = models.CharField(max_length=50)
            month = models.DateField()
            score = models.DecimalField(max_digits=5, decimal_places=2)
            target = models.DecimalField(max_digits=5, decimal_places=2)

            class Meta:
                app_label = "incentives"
                db_table = "test_import_satisfaction"

            def __str__(self) -> str:
                return f"{self.team} {self.month}"

    with django_db_blocker.unblock(), connection.schema_editor() as editor:
        editor.create_model(Target)
        editor.create_model(TeamSatisfaction)
    try:
        yield Target, TeamSatisfaction
    finally:
        with django_db_blocker.unblock(), connection.schema_editor() as editor:
            editor.delete_model(Target)
            editor.delete_model(TeamSatisfaction)


@pytest.mark.django_db(transaction=True)
def test_targets_and_satisfaction_are_written_through_the_hook_once_the_models_exist(
    tmp_path, monkeypatch, incentives_models
):
    target_model, satisfaction_model = incentives_models
    by_name = {"Target": target_model, "TeamSatisfaction": satisfaction_model}
    monkeypatch.setattr(incentives_hook, "incentives_model", by_name.get)
    sheets = standard_sheets()
    sheets["目标"] = [target_row(), target_row(工号=None, 客户类别=1, 目标台数=80)]
    sheets["满意度"] = [satisfaction_row()]
    book = write_workbook(tmp_path / "targets.xlsx", sheets)

    report = import_workbook(book)

    assert report.ok and not report.warnings
    assert report.counts["目标"].created == 2 and report.counts["满意度"].created == 1
    branch = Branch.objects.get(code="BJ01")
    staff = Staff.objects.get(employee_no="E1001")
    assert set(target_model.objects.values_list("branch_id", "month", "staff_id", "category", "count")) == {
        (branch.pk, date(2025, 3, 1), staff.pk, None, 30), (branch.pk, date(2025, 3, 1), None, 1, 80),
    }  # fmt: skip
    score = satisfaction_model.objects.get()
    assert (score.team, score.month, score.score, score.target) == ("一组", date(2025, 3, 1), D("92.50"), D("90.00"))

    again = import_workbook(book)
    assert (again.counts["目标"].unchanged, again.counts["满意度"].unchanged) == (2, 1)
    assert changed_counts(again) == 0


# --- insurers and numbers ----------------------------------------------------------------------------


def test_the_same_policy_number_at_two_insurers_is_two_policies(tmp_path):
    sheets = standard_sheets()
    sheets["保单"][3]["保单号"] = "PDAA0001"
    sheets["保单"][3]["保险公司"] = "人保财险"
    report = import_workbook(write_workbook(tmp_path / "insurers.xlsx", sheets))

    assert report.ok, report.errors
    assert set(Policy.objects.filter(policy_no="PDAA0001").values_list("insurer__name", flat=True)) == {
        "平安产险", "人保财险",
    }  # fmt: skip
    assert Insurer.objects.count() == 2


def test_rows_may_refer_to_branches_and_staff_already_in_the_database(tmp_path):
    branch = make_branch("SH01", name="上海店")
    make_staff(branch, "specialist", employee_no="S9")
    row = policy_row("SH-1", n=7, 门店编码="SH01", 回访员工号="S9", 销售员工号=None, 负责人工号=None, 跟进人工号="S9")
    report = import_workbook(write_workbook(tmp_path / "db-refs.xlsx", {"保单": [row]}))

    assert report.ok, report.errors
    policy = Policy.objects.get(policy_no="SH-1")
    assert (policy.branch, policy.callback.employee_no, policy.follow_up.employee_no) == (branch, "S9", "S9")


@pytest.mark.django_db(transaction=True)
def test_an_imported_renewal_earns_its_perks_once_the_import_commits_and_a_dry_run_earns_none(tmp_path):
    from perks.models import Entitlement

    sheets = standard_sheets()
    sheets["保单"] = [
        policy_row("OLD-A", n=1, start=date(2024, 1, 1)),
        policy_row("NEW-A", n=1, start=date(2025, 1, 1), 上年保单号="OLD-A"),
    ]
    book = write_workbook(tmp_path / "renewals.xlsx", sheets)

    assert import_workbook(book, dry_run=True).ok
    assert not Entitlement.objects.exists()

    assert import_workbook(book).ok  # tasks run in-process in tests: the sync ran after the commit
    renewed = VehicleTerm.objects.filter(vehicle__vin=vin(1)).order_by("t_date").last()
    assert Entitlement.objects.filter(term=renewed).exists()
    assert not Entitlement.objects.exclude(term=renewed).exists()
