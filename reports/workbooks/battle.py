"""The 战报表 workbook (DOMAIN.md §8): sheets 汇总, 员工, 战败原因, 权益 and 提成, all from one MonthReport."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from followups.models.cases import EXCLUSION_REASONS
from reports.excel import DATE, INT, MONEY, POINTS, RATE, Column, SheetWriter, new_workbook, save
from reports.periods import format_cut_off
from reports.rates import points_decimal, rate_decimal, ratio
from reports.selectors import sources
from reports.selectors.figures import (
    CATEGORIES,
    CATEGORY_LABELS,
    DISCOUNT_BUCKETS,
    REASONS,
    BranchMonth,
    MonthReport,
)
from reports.selectors.monthly import month_report

SHEETS = ("汇总", "员工", "战败原因", "权益", "提成")
BASIS_NOTE = "比率按 T 所在月（队列）；到店/电销、让利结构与提成按签单月（另有合计）"


@dataclass
class BattleReport:
    report: MonthReport
    perks: dict[int, tuple[list[sources.PerkRow], str]]
    payouts: dict[int, sources.PayoutTotal]
    scope: str  # 事业部 or the branch's name


def battle_report_data(*, month: date, cut_off: datetime, branch_ids: list[int] | None = None) -> BattleReport:
    report = month_report(month=month, cut_off=cut_off, branch_ids=branch_ids)
    ids = [row.branch_id for row in report.branches]
    perks = {branch_id: sources.perk_rows(branch_id, month) for branch_id in ids}
    payouts = sources.payout_totals(month, ids)
    scope = "事业部" if report.division else "、".join(row.name for row in report.branches)
    return BattleReport(report=report, perks=perks, payouts=payouts, scope=scope)


def write_battle_report(data: BattleReport, path: Path) -> None:
    report = data.report
    workbook = new_workbook()
    heading = f"{report.month:%Y-%m} 战报表 · {data.scope}"
    note = f"数据截至 {format_cut_off(report.cut_off)} · {BASIS_NOTE}"
    _summary(SheetWriter(workbook, "汇总", SUMMARY, heading=heading, note=note), report)
    _staff(SheetWriter(workbook, "员工", STAFF, heading=f"{heading} · 员工", note=note), report)
    _reasons(SheetWriter(workbook, "战败原因", REASON_COLUMNS, heading=f"{heading} · 战败原因", note=note), report)
    _perks(SheetWriter(workbook, "权益", PERK_COLUMNS, heading=f"{heading} · 权益", note=note), data)
    _payouts(SheetWriter(workbook, "提成", PAYOUT_COLUMNS, heading=f"{heading} · 提成", note=note), data)
    save(workbook, path)


SUMMARY = [
    Column("门店", 16), Column("应续", 9, INT), Column("排除", 8, INT), Column("可续", 9, INT), Column("续回", 9, INT),
    Column("续保率（÷应续）", 11, RATE), Column("续保率（÷可续）", 11, RATE), Column("较上月（pt）", 10, POINTS),
    Column("较上月·可续口径（pt）", 12, POINTS), Column("全保续回", 9, INT), Column("全保率", 9, RATE),
    Column("战败（已审）", 10, INT), Column("待审", 8, INT), Column("未结", 8, INT),
    Column("签单月续回", 10, INT), Column("到店", 8, INT), Column("电销", 8, INT), Column("到店占比", 9, RATE),
]  # fmt: skip
CATEGORY_COLUMNS = [
    Column("门店", 16), Column("客户类别", 18), Column("应续", 9, INT), Column("目标台数", 9, INT),
    Column("目标来源", 16), Column("续回", 9, INT), Column("续保率", 9, RATE), Column("超出(+)/差(−)", 11, INT),
]  # fmt: skip
MIX_COLUMNS = [
    Column("门店", 16), Column("计入单数", 9, INT),
    *[Column(f"{bucket} 单数", 9, INT) for bucket in DISCOUNT_BUCKETS],
    *[Column(f"{bucket} 占比", 9, RATE) for bucket in DISCOUNT_BUCKETS],
    Column("无报价续回", 10, INT),
]  # fmt: skip
STAFF = [
    Column("门店", 16), Column("工号", 10), Column("姓名", 10), Column("角色", 16), Column("应续", 8, INT),
    Column("可续", 8, INT), Column("续回", 8, INT), Column("续保率（÷应续）", 11, RATE),
    Column("达成率（÷可续）", 11, RATE),
    Column("全保率", 9, RATE), Column("战败（已审）", 10, INT), Column("未结", 8, INT),
    Column("到店单数（签单月）", 12, INT), Column("电销单数（签单月）", 12, INT),
]  # fmt: skip
REASON_COLUMNS = [
    Column("门店", 16), Column("原因代码", 18), Column("原因", 24), Column("审核后移出可续", 12),
    Column("件数", 9, INT), Column("占比（÷已审战败）", 14, RATE),
]  # fmt: skip
PERK_COLUMNS = [
    Column("门店", 16), Column("权益", 20), Column("发放", 9, INT), Column("核销", 9, INT),
    Column("成本（元）", 14, MONEY), Column("说明", 30),
]  # fmt: skip
PAYOUT_COLUMNS = [
    Column("门店", 16), Column("发放状态", 10), Column("人数", 8, INT), Column("到店单数", 10, INT),
    Column("电销单数", 10, INT), Column("合计（元）", 14, MONEY), Column("说明", 36), Column("月份", 10, DATE),
]  # fmt: skip


def summary_values(row: BranchMonth) -> list:
    """One 汇总 row; the one-source-of-truth test compares these cells with the dashboard."""
    cohort, sales = row.cohort, row.sales
    return [
        row.name, cohort.due, cohort.excluded, cohort.renewable, cohort.renewed,
        rate_decimal(cohort.rate_due), rate_decimal(cohort.rate_renewable),
        points_decimal(row.change_points("due")), points_decimal(row.change_points("renewable")),
        cohort.full_cover, rate_decimal(cohort.full_cover_rate), cohort.lost, cohort.in_review, cohort.unresolved,
        sales.total, sales.store, sales.telesales, rate_decimal(sales.store_share),
    ]  # fmt: skip


def _summary(sheet: SheetWriter, report: MonthReport) -> None:
    for row in report.rows:
        sheet.row(summary_values(row))
    sheet.table(CATEGORY_COLUMNS, title="客户类别：目标 vs 实际（队列，按车辆台数）")
    for row in report.rows:
        for category in CATEGORIES:
            figures = row.categories[category]
            source = "各门店目标之和" if row.is_division else figures.target_source
            sheet.row([
                row.name, f"{category} · {CATEGORY_LABELS[category]}", figures.due, figures.target, source,
                figures.renewed, rate_decimal(figures.rate), figures.gap,
            ])  # fmt: skip
    sheet.table(MIX_COLUMNS, title="让利结构（签单月，每单续回的最终接受报价；目标各 20%）")
    for row in report.rows:
        mix = row.mix
        shares = [rate_decimal(mix.share(index)) for index in range(len(DISCOUNT_BUCKETS))]
        sheet.row([row.name, mix.total, *mix.buckets, *shares, mix.no_quote])


def _staff(sheet: SheetWriter, report: MonthReport) -> None:
    for person in report.staff:
        cohort = person.cohort
        sheet.row([
            person.branch_name, person.employee_no, person.name, person.roles, cohort.due, cohort.renewable,
            cohort.renewed, rate_decimal(cohort.rate_due), rate_decimal(cohort.rate_renewable),
            rate_decimal(cohort.full_cover_rate), cohort.lost, cohort.unresolved,
            person.credited_store, person.credited_telesales,
        ])  # fmt: skip
    if not report.staff:
        sheet.note("本月没有分配的案件或计提的续回。")
    sheet.note(
        "个人口径：案件计入结案时（未结则截至时）的跟进人；到店/电销单数为本月签单、本人任一角色计提的续回（每单一次）。"
    )


def _reasons(sheet: SheetWriter, report: MonthReport) -> None:
    ordered = [report.division, *report.branches] if report.division else report.branches
    for row in ordered:
        cohort = row.cohort
        for reason in REASONS:
            marked = "是 *" if reason in EXCLUSION_REASONS else ""
            count = cohort.reasons.get(reason.value, 0)
            sheet.row([row.name, reason.value, reason.label, marked, count, rate_decimal(cohort.reason_share(reason))])
        sheet.row(
            [row.name, "REVIEWED", "已审战败合计", "", cohort.lost, rate_decimal(ratio(cohort.lost, cohort.lost))]
        )
        sheet.row([row.name, "IN_REVIEW", "待审（未结）", "", cohort.in_review, None])
        sheet.row([row.name, "OPEN", "跟进中（未结）", "", cohort.open, None])
    sheet.note("只计审核通过的战败；待审与跟进中的案件列为未结。* 审核通过后移出可续。")


def _perks(sheet: SheetWriter, data: BattleReport) -> None:
    totals: dict[str, list] = {}
    complete = True
    for row in data.report.branches:
        rows, reason = data.perks[row.branch_id]
        if not rows:
            complete = False
            sheet.row([row.name, sources.NOT_BUILT, None, None, None, reason])
            continue
        issued = redeemed = 0
        cost = Decimal("0.00")
        for perk in rows:
            sheet.row([row.name, perk.label, perk.issued, perk.redeemed, perk.cost, ""])
            issued, redeemed, cost = issued + perk.issued, redeemed + perk.redeemed, cost + perk.cost
            total = totals.setdefault(perk.label, [0, 0, Decimal("0.00")])
            total[0], total[1], total[2] = total[0] + perk.issued, total[1] + perk.redeemed, total[2] + perk.cost
        sheet.row([row.name, "小计", issued, redeemed, cost, ""])
    if data.report.division:
        for label, (issued, redeemed, cost) in totals.items():
            sheet.row(["事业部合计", label, issued, redeemed, cost, "" if complete else "部分门店未生成"])
    sheet.note("发放与核销按发生月；成本按核销月计入发放门店（DOMAIN.md §12）。")


def _payouts(sheet: SheetWriter, data: BattleReport) -> None:
    total = Decimal("0.00")
    complete = True
    for row in data.report.branches:
        payout = data.payouts[row.branch_id]
        if payout.total is None:
            complete = False
        else:
            total += Decimal(payout.total)
        sheet.row([
            row.name, payout.status, payout.staff_count, payout.store_count, payout.telesales_count,
            None if payout.total is None else Decimal(payout.total), payout.reason, data.report.month,
        ])  # fmt: skip
    if data.report.division:
        sheet.row([
            "事业部合计", "", None, None, None, total, "" if complete else "不含未生成的门店", data.report.month
        ])  # fmt: skip
    sheet.note(
        "提成按签单月；状态：草稿 / 已批准 / 已锁定，未生成时注明原因。到店/电销单数按签单门店计（在姐妹店签单的续回"
        "计入签单门店的发放），汇总表的签单月续回按案件所属门店计，两者之和相同。"
    )
