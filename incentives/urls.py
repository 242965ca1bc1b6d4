from django.urls import path

from incentives.views import earnings, entries, payouts, rules

app_name = "incentives"

urlpatterns = [
    path("rules/", rules.rules, name="rules"),
    path("rules/new/", rules.rules_new, name="rules_new"),
    path("rules/<int:version_id>/save/", rules.rules_save, name="rules_save"),
    path("rules/<int:version_id>/preview/", rules.rules_preview, name="rules_preview"),
    path("rules/<int:version_id>/submit/", rules.rules_submit, name="rules_submit"),
    path("rules/<int:version_id>/publish/", rules.rules_publish, name="rules_publish"),
    path("payouts/", payouts.payouts, name="payouts"),
    path("payouts/compute/", payouts.payout_compute, name="payout_compute"),
    path("payouts/<int:run_id>/approve/", payouts.payout_approve, name="payout_approve"),
    path("payouts/<int:run_id>/lock/", payouts.payout_lock, name="payout_lock"),
    path("payouts/<int:run_id>/sheet.xlsx", payouts.payout_sheet, name="payout_sheet"),
    path("payouts/all/<str:month>/sheet.xlsx", payouts.payout_sheet_all, name="payout_sheet_all"),
    path("payouts/lines/<int:line_id>/", payouts.payout_line, name="payout_line"),
    path("targets/", entries.targets, name="targets"),
    path("special-awards/", entries.special_awards, name="special_awards"),
    path("special-awards/<int:award_id>/delete/", entries.special_award_delete, name="special_award_delete"),
    path("satisfaction/", entries.satisfaction, name="satisfaction"),
    path("me/", earnings.my_earnings, name="my_earnings"),
]
