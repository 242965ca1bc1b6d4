"""Forms of the follow-up desk: they parse and check the shape of input; the services decide what is allowed."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from decimal import Decimal

from django import forms
from django.utils import timezone

from followups.models import ContactResult, FailureReason, ReminderTemplate
from followups.rules import RENEWAL_EARLY_START_DAYS
from followups.services import RenewalPolicyInput
from policies.models import Channel, Insurer, PolicyKind, Staff, VehicleTerm
from renewal_desk.months import add_months

MONEY_ERRORS = {
    "invalid": "请输入金额，例如 4286.00。",
    "max_decimal_places": "金额最多两位小数。",
    "min_value": "金额不能为负数。",
    "max_digits": "金额太大，请检查。",
    "max_whole_digits": "金额太大，请检查。",
}


def money_field(label: str, *, required: bool = True) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=required,
        min_value=Decimal("0"),
        max_digits=12,
        decimal_places=2,
        localize=False,
        error_messages={**MONEY_ERRORS, "required": f"请填写{label}。"},
    )


def _clean_money_text(data, names: tuple[str, ...]):
    """Accept what people type: thousands separators, full-width digits, a trailing 元 or %."""
    if data is None:
        return data
    data = data.copy()
    for name in names:
        raw = data.get(name)
        if raw is None:
            continue
        text = str(raw).translate(str.maketrans("０１２３４５６７８９．，％", "0123456789.,%"))
        text = text.replace(",", "").replace("元", "").replace("%", "").strip()
        data[name] = text
    return data


# ── today's list ───────────────────────────────────────────────────────────────────────────────────────


class TodayFilterForm(forms.Form):
    TABS = [
        ("all", "全部"),
        ("new", "待联系"),
        ("following", "跟进中"),
        ("quoted", "已报价"),
        ("pending", "待审批"),
        ("lapsed", "脱保跟进"),
    ]
    DAYS = [
        ("", "全部"),
        ("overdue", "已过 T"),
        ("15", "15 天内"),
        ("30", "30 天内"),
        ("45", "45 天内"),
        ("90", "90 天内"),
    ]

    tab = forms.ChoiceField(choices=TABS, required=False)
    category = forms.TypedChoiceField(
        choices=[("", "全部"), (1, "1 本店出单"), (2, "2 他店·资料全"), (3, "3 仅电话"), (4, "4 近两年返厂")],
        coerce=int,
        empty_value=None,
        required=False,
    )
    insurer = forms.CharField(required=False, max_length=100)
    days = forms.ChoiceField(choices=DAYS, required=False)
    due_today = forms.BooleanField(required=False)
    q = forms.CharField(required=False, max_length=50)

    def filters(self) -> dict:
        """The cleaned filters, with what was wrong simply dropped (a bad query string is not worth an error page)."""
        if not self.is_valid():
            data = {name: value for name, value in self.cleaned_data.items() if name not in self.errors}
        else:
            data = dict(self.cleaned_data)
        data["tab"] = data.get("tab") or "all"
        data["q"] = (data.get("q") or "").strip()
        return data


class ContactForm(forms.Form):
    result = forms.ChoiceField(
        label="联系结果",
        choices=ContactResult.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "请选择联系结果：接通、未接、拒绝或空号。", "invalid_choice": "请选择联系结果。"},
    )
    next_date = forms.DateField(
        label="下次联系日期",
        required=False,
        input_formats=["%Y-%m-%d"],
        error_messages={"invalid": "日期格式应为 2026-06-18。"},
    )
    next_time = forms.TimeField(
        label="时间",
        required=False,
        input_formats=["%H:%M", "%H:%M:%S"],
        error_messages={"invalid": "时间格式应为 10:00。"},
    )
    note = forms.CharField(
        label="备注", required=False, max_length=1000, error_messages={"max_length": "备注最多 1000 字。"}
    )

    def clean(self):
        data = super().clean()
        day, moment = data.get("next_date"), data.get("next_time")
        if moment and not day and not self.errors.get("next_time"):
            self.add_error("next_date", "填了时间，请同时选择日期。")
        return data

    @property
    def next_contact_at(self) -> datetime | None:
        day = self.cleaned_data.get("next_date")
        if not day:
            return None
        moment = self.cleaned_data.get("next_time") or time(10, 0)
        return timezone.make_aware(datetime.combine(day, moment))


COVERAGES = [
    ("车损险", "车损险"),
    ("三者险(100万)", "三者险 100万"),
    ("三者险(200万)", "三者险 200万"),
    ("三者险(50万)", "三者险 50万"),
    ("车上人员(司机)", "车上人员 司机"),
    ("车上人员(乘客)", "车上人员 乘客"),
    ("划痕险", "划痕险"),
    ("医保外用药", "医保外用药"),
    ("玻璃单独破碎险", "玻璃险"),
]


class QuoteForm(forms.Form):
    insurer = forms.ModelChoiceField(
        label="保险公司",
        queryset=Insurer.objects.all(),
        error_messages={"required": "请选择保险公司。", "invalid_choice": "请选择列表中的保险公司。"},
    )
    premium_compulsory = money_field("交强险保费", required=False)
    premium_commercial = money_field("商业险保费")
    coverages = forms.MultipleChoiceField(label="险别", choices=COVERAGES, required=False)
    discount_pct = forms.DecimalField(
        label="让利",
        required=False,
        min_value=Decimal("0"),
        max_digits=6,
        decimal_places=2,
        localize=False,
        error_messages={
            "invalid": "让利请填百分比数字，例如 8 或 10.5。",
            "min_value": "让利不能为负数。",
            "max_decimal_places": "让利百分比最多两位小数。",
            "max_digits": "让利百分比太大。",
            "max_whole_digits": "让利百分比太大。",
        },
    )
    ncd = forms.DecimalField(
        label="NCD 系数",
        required=False,
        min_value=Decimal("0.1"),
        max_value=Decimal("9.99"),
        max_digits=4,
        decimal_places=2,
        localize=False,
        error_messages={"invalid": "NCD 系数应为数字，例如 0.85。", "max_decimal_places": "NCD 系数最多两位小数。"},
    )
    vehicle_tax = money_field("车船税", required=False)
    rescue_card = forms.BooleanField(label="全国道路救援卡", required=False)
    reason = forms.CharField(label="申请理由", required=False, max_length=500)

    def __init__(self, data=None, *args, **kwargs):
        super().__init__(
            _clean_money_text(data, ("premium_compulsory", "premium_commercial", "discount_pct", "vehicle_tax")),
            *args,
            **kwargs,
        )

    @property
    def discount_rate(self) -> Decimal:
        """The percentage typed, as the fraction of 商业险 the services work with (10 → 0.10)."""
        return (self.cleaned_data.get("discount_pct") or Decimal("0")) / Decimal("100")


class PreviewQuoteForm(QuoteForm):
    """The live preview tolerates a half-filled form: every field optional."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False


class RenewalForm(forms.Form):
    channel = forms.ChoiceField(label="渠道", choices=Channel.choices, error_messages={"required": "请选择渠道。"})
    callback = forms.ModelChoiceField(label="回访员", queryset=Staff.objects.none(), required=False, empty_label="—")
    seller = forms.ModelChoiceField(label="销售人员", queryset=Staff.objects.none(), required=False, empty_label="—")
    lead = forms.ModelChoiceField(label="续保负责人", queryset=Staff.objects.none(), required=False, empty_label="—")
    term = forms.ModelChoiceField(
        label="已导入的新一期", queryset=VehicleTerm.objects.none(), required=False, empty_label="（不选，录入新保单）"
    )
    insurer = forms.ModelChoiceField(label="保险公司", queryset=Insurer.objects.all(), required=False, empty_label="—")
    start_on = forms.DateField(label="起保日期", required=False, input_formats=["%Y-%m-%d"])
    end_on = forms.DateField(label="终保日期", required=False, input_formats=["%Y-%m-%d"])
    signed_on = forms.DateField(label="签单日期", required=False, input_formats=["%Y-%m-%d"])
    compulsory_no = forms.CharField(label="交强险保单号", required=False, max_length=60)
    compulsory_premium = money_field("交强险保费", required=False)
    commercial_no = forms.CharField(label="商业险保单号", required=False, max_length=60)
    commercial_premium = money_field("商业险保费", required=False)

    def __init__(self, data=None, *, case, **kwargs):
        super().__init__(_clean_money_text(data, ("compulsory_premium", "commercial_premium")), **kwargs)
        staff = Staff.objects.filter(branch_id=case.branch_id, active=True).order_by("employee_no")
        for name in ("callback", "seller", "lead"):
            self.fields[name].queryset = staff
            self.fields[name].label_from_instance = lambda member: f"{member.name} · {member.employee_no}"
        earliest = case.t_date - timedelta(days=RENEWAL_EARLY_START_DAYS)
        self.fields["term"].queryset = (
            VehicleTerm.objects.filter(vehicle_id=case.vehicle_id, start_on__gt=earliest)
            .exclude(pk=case.expiring_term_id)
            .order_by("-start_on")
        )
        self.fields["term"].label_from_instance = lambda term: (
            f"{term.start_on:%Y-%m-%d} 起 · 交强 {term.premium_compulsory} · 商业 {term.premium_commercial}"
        )

    def clean(self):
        data = super().clean()
        if data.get("term"):
            return data
        has_policy = any(data.get(name) for name in ("compulsory_no", "commercial_no"))
        if not has_policy:
            raise forms.ValidationError("请选择已导入的新一期，或录入至少一张新保单（保单号与保费）。")
        if not data.get("insurer"):
            self.add_error("insurer", "请选择新保单的保险公司。")
        if not data.get("start_on"):
            self.add_error("start_on", "请填写起保日期。")
        for number, premium, label in (
            ("compulsory_no", "compulsory_premium", "交强险"),
            ("commercial_no", "commercial_premium", "商业险"),
        ):
            if data.get(number) and data.get(premium) is None:
                self.add_error(premium, f"请填写{label}保费。")
            if data.get(premium) and not data.get(number):
                self.add_error(number, f"请填写{label}保单号。")
        return data

    def new_policies(self) -> list[RenewalPolicyInput]:
        """The typed policies in the shape record_renewal takes (a one-year term unless an end date is given)."""
        data = self.cleaned_data
        if data.get("term"):
            return []
        start = data["start_on"]
        end = data.get("end_on") or add_months(start, 12) - timedelta(days=1)
        policies = []
        for kind, number, premium in (
            (PolicyKind.COMPULSORY, "compulsory_no", "compulsory_premium"),
            (PolicyKind.COMMERCIAL, "commercial_no", "commercial_premium"),
        ):
            if data.get(number):
                policies.append(
                    RenewalPolicyInput(
                        insurer=data["insurer"].name,
                        policy_no=data[number].strip(),
                        kind=kind,
                        start_on=start,
                        end_on=end,
                        premium=data[premium],
                        signed_on=data.get("signed_on"),
                    )
                )
        return policies


class LossForm(forms.Form):
    reason = forms.ChoiceField(
        label="原因",
        choices=FailureReason.choices,
        error_messages={"required": "请选择战败或不可续的原因。", "invalid_choice": "请选择列表中的原因。"},
    )
    reason_text = forms.CharField(label="说明", required=False, max_length=500)

    def clean(self):
        data = super().clean()
        if data.get("reason") == FailureReason.OTHER and not (data.get("reason_text") or "").strip():
            self.add_error("reason_text", "原因选“其他”时，请写明具体原因。")
        return data


# ── assignment ─────────────────────────────────────────────────────────────────────────────────────────


class UnassignedFilterForm(forms.Form):
    DAYS = [("", "全部"), ("15", "15 天内"), ("30", "30 天内"), ("45", "45 天内"), ("60", "60 天内"), ("90", "90 天内")]

    category = TodayFilterForm.base_fields["category"]
    insurer = forms.CharField(required=False, max_length=100)
    days = forms.ChoiceField(choices=DAYS, required=False)
    handoff_overdue = forms.BooleanField(required=False)
    q = forms.CharField(required=False, max_length=50)

    def filters(self) -> dict:
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if name not in self.errors}


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(
        label="分配给",
        queryset=Staff.objects.none(),
        error_messages={"required": "请选择要分配给谁。", "invalid_choice": "请选择本门店的续保专员或回访员。"},
    )
    case_ids = forms.TypedMultipleChoiceField(coerce=int, required=False)
    select_all = forms.BooleanField(required=False)

    def __init__(self, data=None, *, assignees, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["assignee"].queryset = assignees
        # Any integer id is accepted here; the service checks each case belongs to the branch.
        self.fields["case_ids"].choices = [(value, value) for value in (data.getlist("case_ids") if data else [])]

    def clean(self):
        data = super().clean()
        if not data.get("select_all") and not data.get("case_ids"):
            raise forms.ValidationError("请先勾选要分配的案件，或选择“全选筛选结果”。")
        return data


class ReassignForm(forms.Form):
    staff = forms.ModelChoiceField(
        label="离职人员",
        queryset=Staff.objects.none(),
        error_messages={"required": "请选择要移交案件的人员。", "invalid_choice": "请选择本门店的人员。"},
    )
    to = forms.ModelChoiceField(
        label="接手人",
        queryset=Staff.objects.none(),
        error_messages={"required": "请选择接手人。", "invalid_choice": "请选择本门店在职的续保专员或回访员。"},
    )

    def __init__(self, data=None, *, leavers, assignees, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["staff"].queryset = leavers
        self.fields["to"].queryset = assignees

    def clean(self):
        data = super().clean()
        if data.get("staff") and data.get("staff") == data.get("to"):
            raise forms.ValidationError("接手人不能是离职人员本人。")
        return data


# ── inbox ──────────────────────────────────────────────────────────────────────────────────────────────


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("approve", "批准"), ("reject", "驳回")], error_messages={"required": "请选择批准或驳回。"}
    )
    comment = forms.CharField(required=False, max_length=500, error_messages={"max_length": "意见最多 500 字。"})

    def clean(self):
        data = super().clean()
        if data.get("decision") == "reject" and not (data.get("comment") or "").strip():
            self.add_error("comment", "驳回时请填写意见，说明原因，申请人会看到。")
        return data

    @property
    def approve(self) -> bool:
        return self.cleaned_data["decision"] == "approve"


# ── reminder templates ─────────────────────────────────────────────────────────────────────────────────

PLACEHOLDERS = ("name", "plate", "t_date")
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


class ReminderTemplateForm(forms.ModelForm):
    class Meta:
        model = ReminderTemplate
        fields = ["offset_days", "channel", "provider_template_code", "body", "active"]
        error_messages = {
            "offset_days": {"required": "请填写提前天数。", "invalid": "提前天数应为整数。"},
            "body": {"required": "请填写短信正文。"},
        }

    def clean_offset_days(self):
        value = self.cleaned_data["offset_days"]
        if not 1 <= value <= 120:
            raise forms.ValidationError("提前天数应在 1 到 120 天之间。")
        return value

    def clean_body(self):
        body = self.cleaned_data["body"].strip()
        unknown = sorted({name for name in PLACEHOLDER.findall(body) if name not in PLACEHOLDERS})
        if unknown:
            shown = "、".join("{" + name + "}" for name in unknown)
            raise forms.ValidationError(f"不认识的占位符：{shown}。可用的只有 {{name}}、{{plate}}、{{t_date}}。")
        stripped = PLACEHOLDER.sub("", body)
        if "{" in stripped or "}" in stripped:
            raise forms.ValidationError("花括号不成对：占位符写成 {name} 这样，正文里不要单独使用 { 或 }。")
        if "{plate}" not in body:
            raise forms.ValidationError("正文必须包含 {plate}（车牌），客户才知道是哪辆车。")
        if len(body) > 300:
            raise forms.ValidationError("正文太长（最多 300 字），短信会被拆成多条。")
        return body

    def validate_unique(self):
        # The (offset, channel) constraint, said in the user's words rather than the model's.
        offset, channel = self.cleaned_data.get("offset_days"), self.cleaned_data.get("channel")
        if offset and channel:
            clash = ReminderTemplate.objects.filter(offset_days=offset, channel=channel).exclude(pk=self.instance.pk)
            if clash.exists():
                self.add_error(
                    "offset_days",
                    f"已有 T−{offset} 的{self.instance.get_channel_display() or '短信'}模板，请直接修改它。",
                )
                return
        super().validate_unique()
