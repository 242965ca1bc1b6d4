"""Background work of the policies app: thin, idempotent, by id (STYLE.md)."""

from celery import shared_task

from policies.importer.batches import run_import_batch


@shared_task(name="policies.tasks.import_workbook_task")
def import_workbook_task(batch_id: int) -> None:
    run_import_batch(batch_id=batch_id)
