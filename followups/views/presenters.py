"""What the desk's pages show about a case or a quote, worked out once for the templates.

Presentation only: the rules themselves (checkpoint windows, the discount ladder, 全保) come from
followups.rules and policies.validation; this module turns their answers into words, colours and bar positions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal
from fractions import Fraction

from django.utils import timezone

from followups import rules
from followups.models import Case, CaseState, Contact, ContactResult, Quote, QuoteStatus
from policies.models import Staff
from policies.validation import FieldError, is_full_cover, parse_coverages

WEEKDAYS = "一二三四五六日"
RESULT_LABELS = dict(ContactResult.choices)
STATE_LABELS = dict(CaseState.choices)
LEVEL_APPROVER = {rules.LEVEL_MANAGER: "经理", rules.LEVEL_GM: "总经理"}
LEVEL_ROLE_NAME = {rules.LEVEL_MANAGER: "保险经理", rules.LEVEL_GM: "总经理"}
DISCOUNT_PICKS = ("0", "8", "10", "13", "14")
FEN = Decimal("0.01")


def weekday(day: date) -> str:
    return f"周{WEEKDAYS[day.weekday()]}"


def percent(rate: Decimal | Fraction | None, places: int = 1) -> str:
    """0.1 → '10.0%'; more places only when the value needs them (0.0825 → '8.25%')."""
    if rate is None:
        return "—"
    value = Decimal(rate.numerator) / Decimal(rate.denominator) if isinstance(rate, Fraction) else Decimal(rate)
    value *= 100
    shown = value.quantize(Decimal(1).scaleb(-places))
    if shown != value:
        shown = value.quantize(FEN).normalize()
        if shown == shown.to_integral():
            shown = shown.quantize(Decimal(1).scaleb(-places))
    return f"{shown:f}%"


def svg_pct(value: Decimal | float) -> str:
    """A coordinate for an SVG attribute: '.' decimal point whatever the locale, 2 places."""
    return f"{Decimal(str(value)).quantize(FEN):f}"


def days_label(days: int) -> str:
    if days < 0:
        return f"过 {-days} 天"
    if days == 0:
        return "今天到期"
    return f"{days} 天"


# ── the three checkpoint dots ─────────────────────────────────────────────────────────────────────────

DOT_CLASS = {
    rules.DONE: "done",
    rules.TODAY: "today",
    rules.MISSED: "missed",
    rules.UPCOMING: "later",
    rules.NOT_APPLICABLE: "later",
}
DOT_WORDS = {
    rules.DONE: "已有效联系",
    rules.TODAY: "今日在窗口内",
    rules.MISSED: "已漏联",
    rules.UPCOMING: "未到",
    rules.NOT_APPLICABLE: "建案前已过，不计",
}


def checkpoint_dots(case: Case, today: date) -> list[dict]:
    dots = []
    for checkpoint in rules.CHECKPOINTS:
        status = rules.checkpoint_status(
            checkpoint=checkpoint,
            t=case.t_date,
            today=today,
            done=getattr(case, f"checkpoint_{checkpoint}"),
            created_on=case.created_on,
        )
        first, last = rules.checkpoint_window(checkpoint, case.t_date)
        dots.append(
            {
                "checkpoint": checkpoint,
                "state": DOT_CLASS[status],
                "status": status,
                "title": f"T−{checkpoint}（{first:%m-%d}～{last:%m-%d}）{DOT_WORDS[status]}",
            }
        )
    return dots


# ── a row of today's list ─────────────────────────────────────────────────────────────────────────────


class DaysToT:
    """Days to T of `self.case` as of `self.today`, and its label (shared by list rows and inbox cards)."""

    case: Case
    today: date

    @property
    def days_to_t(self) -> int:
        return (self.case.t_date - self.today).days

    @property
    def days_label(self) -> str:
        return days_label(self.days_to_t)


@dataclass
class CaseRow(DaysToT):
    case: Case
    today: date
    last_note: str = ""
    dots: list[dict] = field(default_factory=list)

    def __post_init__(self):
        self.dots = checkpoint_dots(self.case, self.today)

    @property
    def pending_quote_rate(self) -> Decimal | None:
        if getattr(self.case, "last_quote_status", None) == QuoteStatus.PENDING:
            return self.case.last_quote_discount_rate
        return None

    @property
    def pending_quote_level(self) -> str:
        return getattr(self.case, "last_quote_level", "") or ""

    @property
    def is_open(self) -> bool:
        return self.case.is_open

    @property
    def state_code(self) -> str:
        if self.pending_quote_rate is not None and self.case.is_open:
            return "pending"
        return self.case.state

    @property
    def state_label(self) -> str:
        if self.state_code == "pending":
            return "待审批"
        return STATE_LABELS.get(self.case.state, self.case.state)

    @property
    def days_class(self) -> str:
        days = self.days_to_t
        if days <= rules.ESCALATION_DAYS:
            return "red"
        if days <= 30:
            return "amber"
        return ""

    @property
    def checkpoint_today(self) -> int | None:
        for dot in self.dots:
            if dot["status"] == rules.TODAY:
                return dot["checkpoint"]
        return None

    @property
    def callback_due(self) -> bool:
        promised = self.case.next_contact_at
        return promised is not None and timezone.localdate(promised) <= self.today

    @property
    def urgency(self) -> str:
        """The left bar, in the order of the list: past T, T within 15 days, a checkpoint today, a call-back."""
        if not self.case.is_open:
            return "grey"
        if self.days_to_t < 0:
            return "red"
        if self.days_to_t <= rules.ESCALATION_DAYS:
            return "orange"
        if self.checkpoint_today:
            return "amber"
        if self.callback_due:
            return "blue"
        return "grey"

    @property
    def last_result_label(self) -> str:
        return RESULT_LABELS.get(self.case.last_contact_result, "")

    @property
    def last_sub(self) -> str:
        return self.last_note[:40]

    def _next(self) -> tuple[str, str, str]:
        case = self.case
        if case.state == CaseState.LAPSED_FOLLOW:
            closes = case.t_date + timedelta(days=rules.LAPSE_FOLLOW_DAYS)
            return f"已脱保 {-self.days_to_t} 天 · 今日再联系", "next-red", f"{closes:%m-%d} 后转战败待审"
        if case.state in (CaseState.LOST_PENDING, CaseState.EXCLUSION_PENDING):
            return "等待审核", "", "经理或续保负责人审核"
        if not case.is_open:
            return STATE_LABELS.get(case.state, ""), "", ""
        escalated = "已升级至经理 · T−15" if case.escalated_on else ""
        if self.pending_quote_rate is not None:
            who = LEVEL_APPROVER.get(self.pending_quote_level, "")
            return f"报价 {percent(self.pending_quote_rate)} 待{who}审批", "", escalated
        checkpoint = self.checkpoint_today
        if checkpoint:
            return f"T−{checkpoint} 检查点 · 今日", "next-amber", escalated or "联系并报价"
        promised = case.next_contact_at
        if promised is not None:
            local = timezone.localtime(promised)
            if local.date() < self.today:
                return f"约定回电已过 · {local:%m-%d %H:%M}", "next-red", escalated
            if local.date() == self.today:
                return f"约定回电 · 今日 {local:%H:%M}", "next-amber", escalated
            return f"{local:%m-%d %H:%M} 回电", "", escalated
        if case.last_contact_at is None:
            return "首次联系", "", escalated or "介绍续保权益并了解需求"
        for dot in self.dots:
            if dot["status"] == rules.UPCOMING:
                first, _ = rules.checkpoint_window(dot["checkpoint"], case.t_date)
                return f"T−{dot['checkpoint']} 检查点 · {first:%m-%d} 起", "", escalated
        if case.state == CaseState.QUOTED:
            return "跟进报价，促成续保", "", escalated
        return "再次联系", "", escalated

    @property
    def next_step(self) -> str:
        return self._next()[0]

    @property
    def next_class(self) -> str:
        return self._next()[1]

    @property
    def next_sub(self) -> str:
        return self._next()[2]


def case_rows(cases: list[Case], *, day: date) -> list[CaseRow]:
    """Rows for a page of cases (from a selector with the list columns): one more query for the last notes."""
    recent: dict[int, list[tuple[str, str]]] = {}
    ids = [case.pk for case in cases if case.last_contact_at is not None]
    if ids:
        contacts = Contact.objects.filter(case_id__in=ids).order_by("case_id", "-at", "-pk")
        for case_id, result, note in contacts.values_list("case_id", "result", "note"):
            recent.setdefault(case_id, []).append((result, note))
    return [CaseRow(case=case, today=day, last_note=_last_sub(recent.get(case.pk, []))) for case in cases]


def _last_sub(contacts: list[tuple[str, str]]) -> str:
    """Under the last contact: "连续 3 次未接" when the customer keeps not answering, else the last note."""
    missed = 0
    for result, _ in contacts:
        if result == ContactResult.REACHED:
            break
        missed += 1
    if missed >= 2:
        return f"连续 {missed} 次未接通"
    return contacts[0][1] if contacts else ""


def quick_dates(case: Case, today: date) -> list[dict]:
    """The next-contact quick picks: tomorrow, in 3 days, next Monday, T−15 (while it is ahead)."""
    picks = [
        {"label": "明天", "value": today + timedelta(days=1)},
        {"label": "3 天后", "value": today + timedelta(days=3)},
        {"label": "下周一", "value": today + timedelta(days=7 - today.weekday())},
    ]
    t15 = case.t_date - timedelta(days=rules.ESCALATION_DAYS)
    if t15 > today:
        picks.append({"label": f"T−15（{t15:%m-%d}）", "value": t15})
    return picks


# ── the quote pane: live amounts, the ladder, the button ─────────────────────────────────────────────


@dataclass
class QuoteView:
    commercial: Decimal
    compulsory: Decimal
    vehicle_tax: Decimal
    rate: Decimal  # the fraction typed (0.10)
    full_cover: bool
    level: str
    button_label: str
    note: str
    refused: bool
    ladder: dict
    approver_name: str = ""
    perks_line: str = ""

    @property
    def discount(self) -> Decimal:
        # As create_quote does: a rate becomes money rounded down to the fen.
        return (self.commercial * self.rate).quantize(FEN, rounding=ROUND_DOWN)

    @property
    def net_commercial(self) -> Decimal:
        return self.commercial - self.discount

    @property
    def total(self) -> Decimal:
        return self.compulsory + self.net_commercial

    @property
    def rate_pct(self) -> str:
        return percent(self.rate)

    @property
    def level_css(self) -> str:
        if self.refused:
            return "refused"
        return {rules.LEVEL_SPECIALIST: "own", rules.LEVEL_MANAGER: "manager", rules.LEVEL_GM: "gm"}.get(
            self.level, "none"
        )

    @property
    def fallback_pct(self) -> str:
        """'8' — offered as "改为 8% 直接保存" when the rate needs someone else's approval."""
        if self.level in (rules.LEVEL_MANAGER, rules.LEVEL_GM) or self.refused:
            return f"{(rules.SPECIALIST_LIMIT * 100).normalize():f}"
        return ""


LADDER_TOP = rules.GM_LIMIT + Decimal("0.02")


def _x(rate: Decimal) -> Decimal:
    return min(rate, LADDER_TOP) / LADDER_TOP * 100


def ladder(rate: Decimal | None) -> dict:
    """Where a rate sits on 0–8% own authority / 经理 ≤10% / 总经理 ≤14% / 不可 >14%, as SVG percentages."""
    edges = [
        (Decimal(0), rules.SPECIALIST_LIMIT, "own", f"0–{percent(rules.SPECIALIST_LIMIT, 0)} 本人权限"),
        (rules.SPECIALIST_LIMIT, rules.MANAGER_LIMIT, "manager", "经理"),
        (rules.MANAGER_LIMIT, rules.GM_LIMIT, "gm", "总经理"),
        (rules.GM_LIMIT, LADDER_TOP, "refused", "不可"),
    ]
    segments = [
        {
            "x": svg_pct(_x(low)),
            "w": svg_pct(_x(high) - _x(low) - Decimal("0.3")),
            "mid": svg_pct((_x(low) + _x(high)) / 2),
            "css": css,
            "label": label,
        }
        for low, high, css, label in edges
    ]
    ticks = [{"x": "0", "label": "0", "anchor": "start"}] + [
        {"x": svg_pct(_x(edge)), "label": percent(edge, 0), "anchor": "middle"}
        for edge in (rules.SPECIALIST_LIMIT, rules.MANAGER_LIMIT, rules.GM_LIMIT)
    ]
    marker = None if rate is None else svg_pct(max(_x(rate), Decimal("0.5")))
    level = "" if rate is None else rules.discount_level(rate)
    where = {
        "none": "无让利",
        "specialist": "本人权限",
        "manager": "经理审批",
        "gm": "总经理审批",
        "refused": "超出上限",
    }
    return {
        "segments": segments,
        "ticks": ticks,
        "marker": marker,
        "marker_label": percent(rate) if rate is not None else "",
        "aria": f"让利 {percent(rate)}，{where.get(level, '')}" if rate is not None else "让利阶梯",
    }


def _discount_words(rate: Decimal) -> str:
    """0.80 → '8 折', 0.95 → '95 折' (how a 4S shop says it)."""
    tenths = rate * 10
    return f"{int(tenths) if tenths == tenths.to_integral() else int(rate * 100)} 折"


def renewal_perks_line(*, branch, premium_total: Decimal) -> str:
    """What the customer gets for renewing here (DOMAIN.md §6), from the perks app when it is installed."""
    try:
        from perks.rules import premium_reward
        from perks.services.common import terms_in_force
    except ImportError:
        return ""
    terms = terms_in_force(branch, timezone.localdate())
    reward = premium_reward(premium_total, terms)
    return (
        f"续回即得：工时 {_discount_words(terms.labour_rate)} · 材料 {_discount_words(terms.parts_rate)} · "
        f"机油 {terms.standard_oil_buckets} 桶 + 机滤 · 奖励券 {reward:,.0f}"
    )


def approver_for(*, branch_id: int, level: str, exclude: Staff | None = None) -> Staff | None:
    """The person whose inbox a request of `level` lands in (the first of the branch holding that role)."""
    role = rules.approver_role_for(level)
    people = Staff.objects.filter(branch_id=branch_id, active=True, user__groups__name=role).order_by("employee_no")
    if exclude is not None:
        people = people.exclude(pk=exclude.pk)
    return people.first()


def quote_view(
    *,
    staff: Staff,
    roles: frozenset[str],
    branch,
    commercial: Decimal | None,
    compulsory: Decimal | None,
    vehicle_tax: Decimal | None,
    pct: Decimal | None,
    coverages: list[str],
) -> QuoteView:
    commercial = commercial or Decimal("0.00")
    compulsory = compulsory or Decimal("0.00")
    rate = (pct or Decimal(0)) / 100
    try:
        full = is_full_cover(has_compulsory=compulsory > 0, coverages=parse_coverages("、".join(coverages)))
    except FieldError:
        full = False
    level = rules.discount_level(rate) if rate >= 0 else rules.REFUSED
    shown = percent(rate)
    own = percent(rules.SPECIALIST_LIMIT, 0)
    approver_name = ""
    if level == rules.REFUSED:
        label = f"超过 {percent(rules.GM_LIMIT, 0)}，不能提交"
        limit = percent(rules.GM_LIMIT, 0)
        note = f"{shown} 超过让利上限（{limit}），系统不接受；请降到 {limit} 以内。"
    elif level == rules.LEVEL_NONE:
        label, note = "保存报价", "无让利，保存即生效。"
    elif rules.role_can_approve(roles, level):
        label = "保存报价"
        note = f"{shown} 在本人权限内，保存即生效。"
    else:
        approver = approver_for(branch_id=branch.pk, level=level, exclude=staff)
        who = LEVEL_ROLE_NAME[level]
        approver_name = approver.name if approver else ""
        label = f"提交{LEVEL_APPROVER[level]}审批" + (f"（{approver_name}）" if approver_name else "")
        note = (
            f"{shown} 超出本人权限（{own}），提交后进入{who}{' ' + approver_name if approver_name else ''}的收件箱，"
            f"批准前报价不生效；{own} 以内可直接保存。"
        )
    return QuoteView(
        commercial=commercial,
        compulsory=compulsory,
        vehicle_tax=vehicle_tax or Decimal("0.00"),
        rate=rate,
        full_cover=full,
        level=level,
        button_label=label,
        note=note,
        refused=level == rules.REFUSED,
        ladder=ladder(rate),
        approver_name=approver_name,
        perks_line=renewal_perks_line(branch=branch, premium_total=compulsory + commercial),
    )


def latest_quote(case: Case) -> Quote | None:
    return (
        case.quotes.select_related("decided_by", "insurer")
        .exclude(status=QuoteStatus.SUPERSEDED)
        .order_by("-created_at", "-pk")
        .first()
    )
