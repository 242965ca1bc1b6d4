"""续保客户登记表 and 到期管理表 workbooks: one streamed sheet each.

`register_values` / `board_values` turn one listing record into the cells of one row; the exports and the
benchmark (bench/bench_exports.py) both go through them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from fractions import Fraction
from pathlib import Path

from followups.models.cases import CaseState, FailureReason
from policies.masking import mask_phone
from policies.models import Channel
from reports.excel import COUNT, DATE, FLAG, MONEY, RATE, Column, SheetWriter, new_workbook, save
from reports.periods import format_cut_off
from reports.rates import rate_decimal
from reports.selectors.figures import CATEGORY_LABELS

CHANNEL_LABELS = dict(Channel.choices)
STATE_LABELS = dict(CaseState.choices)
REASON_LABELS = dict(FailureReason.choices)

REGISTER_COLUMNS = [
    Column("门店", 14), Column("客户", 12), Column("电话", 14), Column("车牌", 11), Column("车架号", 20),
    Column("厂牌型号", 18), Column("新保险公司", 14), Column("交强险保单号", 22), Column("商业险保单号", 22),
    Column("交强险保费", 11, MONEY), Column("商业险保费", 11, MONEY), Column("全保", 6, FLAG),
    Column("新起保日期", 11, DATE), Column("新终保日期（明年T）", 13, DATE), Column("签单日期", 11, DATE),
    Column("渠道", 6), Column("回访员", 9), Column("销售员", 9), Column("负责人", 9), Column("跟进人", 9),
    Column("客户类别", 14),
]  # fmt: skip

BOARD_COLUMNS = [
    Column("门店", 14), Column("客户", 12), Column("车牌", 11), Column("车架号", 20), Column("厂牌型号", 18),
    Column("上年保险公司", 14), Column("客户类别", 14), Column("到期日 T", 11, DATE), Column("跟进人", 9),
    Column("联系次数", 8, COUNT), Column("有效联系", 8, COUNT), Column("最新报价（元）", 12, MONEY),
    Column("让利比例", 9, RATE), Column("结果", 10), Column("原因", 18),
]  # fmt: skip


def category_label(category: int | None) -> str:
    return f"{category} · {CATEGORY_LABELS[category]}" if category else ""


def register_values(record: dict, names: dict[int, str], *, full_phones: bool) -> list:
    mobile = record["customer_mobile"] or ""
    return [
        record["branch__name"], record["customer_name"], mobile if full_phones else mask_phone(mobile),
        record["vehicle__plate"], record["vehicle__vin"], record["vehicle__model_name"], record["new_insurer"],
        record["compulsory_no"], record["commercial_no"], record["renewal_term__premium_compulsory"],
        record["renewal_term__premium_commercial"], record["renewal_term__full_cover"],
        record["renewal_term__start_on"], record["renewal_term__t_date"], record["renewal_term__signed_on"],
        CHANNEL_LABELS.get(record["renewal_term__channel"], ""), names.get(record["renewal_term__callback_id"]),
        names.get(record["renewal_term__seller_id"]), names.get(record["renewal_term__lead_id"]),
        names.get(record["assignee_at_id"]), category_label(record["category"]),
    ]  # fmt: skip


def board_values(record: dict, names: dict[int, str]) -> list:
    rate = record["quote_discount_rate"]
    reason = REASON_LABELS.get(record["reason"], "")
    if record["reason_text"]:
        reason = f"{reason}：{record['reason_text']}" if reason else record["reason_text"]
    return [
        record["branch__name"], record["customer__name"], record["vehicle__plate"], record["vehicle__vin"],
        record["vehicle__model_name"], record["previous_insurer"], category_label(record["category"]),
        record["t_date"], names.get(record["assignee_at_id"]), record["contact_count"], record["effective_count"],
        record["quote_total"], None if rate is None else rate_decimal(Fraction(rate)),
        STATE_LABELS.get(record["state_at"], record["state_at"]), reason,
    ]  # fmt: skip


def write_register(
    records: Iterable[dict], path: Path, *, month: date, cut_off: datetime, scope: str, names: dict[int, str],
    full_phones: bool, progress=None,
) -> int:  # fmt: skip
    workbook = new_workbook()
    phones = "完整电话（下载已记录）" if full_phones else "电话已掩码"
    sheet = SheetWriter(
        workbook, "续保客户登记表", REGISTER_COLUMNS, heading=f"{month:%Y-%m} 续保客户登记表 · {scope}",
        note=f"数据截至 {format_cut_off(cut_off)} · 本月签单的全部续回（= 汇总 到店 + 电销） · {phones}",
    )  # fmt: skip
    count = _stream(sheet, (register_values(r, names, full_phones=full_phones) for r in records), progress)
    save(workbook, path)
    return count


def write_board(
    records: Iterable[dict], path: Path, *, month: date, cut_off: datetime, scope: str, names: dict[int, str],
    progress=None,
) -> int:  # fmt: skip
    workbook = new_workbook()
    sheet = SheetWriter(
        workbook, "到期管理表", BOARD_COLUMNS, heading=f"{month:%Y-%m} 到期管理表 · {scope}",
        note=f"数据截至 {format_cut_off(cut_off)} · T 在本月的全部案件（队列）",
    )  # fmt: skip
    count = _stream(sheet, (board_values(r, names) for r in records), progress)
    save(workbook, path)
    return count


def _stream(sheet: SheetWriter, rows: Iterable[list], progress) -> int:
    count = 0
    for values in rows:
        sheet.row(values)
        count += 1
        if progress is not None and count % 5000 == 0:
            progress(count)
    return count
