from django.urls import path

from followups.views import assignment, board, inbox, reminders, today

app_name = "followups"

urlpatterns = [
    # 今日跟进 and the inline case drawer
    path("today/", today.today, name="today"),
    path("cases/<int:case_id>/row/", today.case_row, name="case_row"),
    path("cases/<int:case_id>/drawer/", today.case_drawer, name="case_drawer"),
    path("cases/<int:case_id>/contacts/", today.contact_create, name="log_contact"),
    path("cases/<int:case_id>/quotes/preview/", today.quote_preview, name="quote_preview"),
    path("cases/<int:case_id>/quotes/", today.quote_create, name="create_quote"),
    path("cases/<int:case_id>/quotes/<int:quote_id>/accept/", today.quote_accept, name="accept_quote"),
    path("cases/<int:case_id>/renewal/form/", today.renewal_form, name="renewal_form"),
    path("cases/<int:case_id>/renewal/", today.renewal_create, name="record_renewal"),
    path("cases/<int:case_id>/loss/form/", today.loss_form, name="loss_form"),
    path("cases/<int:case_id>/loss/", today.loss_create, name="propose_loss"),
    # assignment (lead / manager)
    path("unassigned/", assignment.unassigned, name="unassigned"),
    path("unassigned/assign/", assignment.assign, name="assign"),
    path("reassign/", assignment.reassign, name="reassign"),
    path("expiry-unknown/", assignment.expiry_unknown, name="expiry_unknown"),
    # 审批收件箱
    path("inbox/", inbox.inbox, name="inbox"),
    path("inbox/quotes/<int:quote_id>/decide/", inbox.decide_quote, name="decide_quote"),
    path("inbox/cases/<int:case_id>/review/", inbox.review_loss, name="review_loss"),
    # 到期管理表
    path("board/", board.board, name="board"),
    path("board.xlsx", board.board_export, name="board_export"),
    # customer reminders
    path("reminders/", reminders.reminder_log, name="reminder_log"),
    path("reminders/templates/", reminders.reminder_templates, name="reminder_templates"),
    path("reminders/templates/<int:template_id>/", reminders.reminder_template_edit, name="reminder_template_edit"),
]
