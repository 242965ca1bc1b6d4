"""Customers of an import: matched by keyed ID hash when a row gives the ID, else by normalised name + mobile
(DOMAIN.md §12); created in bulk; 短信同意 applied only when the workbook's answer changed (DOMAIN.md §4).
Read from the plan's index a batch at a time; the primary keys go back into it."""

from __future__ import annotations

from datetime import date, datetime

from policies.importer.bulk import BATCH, assign_changed
from policies.importer.index import FoldedCustomer
from policies.importer.plan import ValidatedWorkbook
from policies.importer.report import Counts
from policies.models import ConsentChange, Customer
from policies.services import record_consent

CONSENT_SOURCE = "import"


def name_key(name: str) -> str:
    return " ".join(name.split())


class CustomerWriter:
    def __init__(self, plan: ValidatedWorkbook, counts: Counts, *, today: date, now: datetime):
        self.plan = plan
        self.counts = counts
        self.today = today
        self.now = now

    def write(self) -> None:
        """Every customer of the workbook, created or matched; the index learns each one's primary key."""
        counts = self.counts
        index = self.plan.index
        for folded in index.customers(BATCH):
            facts_of = {facts.key: facts for facts in folded}
            keys = list(facts_of)
            customer_ids: dict[tuple, int] = {}
            consent_rows: list[ConsentChange] = []
            matched = self._match_customers(facts_of)
            last_import = self._last_imported_consent(
                [customer.pk for key, customer in matched.items() if facts_of[key].consent is not None]
            )
            new, changed = [], []
            for key in keys:
                facts = facts_of[key]
                customer = matched.get(key)
                if customer is None:
                    customer = Customer(
                        name=facts.name, mobile=facts.mobile, mobile_last4=facts.mobile[-4:],
                        id_masked=facts.id_masked, id_hash=facts.id_hash,
                    )  # fmt: skip
                    if facts.consent is not None:
                        customer.sms_consent = facts.consent
                        customer.sms_consent_on = self.today if facts.consent else None
                        consent_rows.append(self._consent_row(customer, facts.consent))
                    new.append((key, customer))
                    continue
                customer_ids[key] = customer.pk
                updated = False
                if key[0] == "id":
                    mobile = facts.mobile or customer.mobile
                    values = {
                        "name": facts.name, "id_masked": facts.id_masked, "id_hash": facts.id_hash,
                        "mobile": mobile, "mobile_last4": mobile[-4:],
                    }  # fmt: skip
                    if assign_changed(customer, values, values):
                        changed.append(customer)
                        updated = True
                if facts.consent is not None and last_import.get(customer.pk) != facts.consent:
                    if customer.sms_consent == facts.consent:
                        # Already so (the desk recorded it): remember what this import said, change nothing.
                        consent_rows.append(self._consent_row(customer, facts.consent))
                    else:
                        record_consent(customer=customer, consent=facts.consent, source=CONSENT_SOURCE, on=self.today)
                        updated = True
                if updated:
                    counts.updated += 1
                else:
                    counts.unchanged += 1
            Customer.objects.bulk_create([customer for _, customer in new], batch_size=BATCH)
            for key, customer in new:
                customer_ids[key] = customer.pk
            if changed:
                Customer.objects.bulk_update(changed, ["name", "mobile", "mobile_last4", "id_masked", "id_hash"])
            ConsentChange.objects.bulk_create(consent_rows, batch_size=BATCH)
            counts.created += len(new)
            index.set_customer_pks((facts.id, customer_ids[facts.key]) for facts in folded)
        index.resolve_customer_aliases()

    def _match_customers(self, facts_of: dict[tuple, FoldedCustomer]) -> dict[tuple, Customer]:
        """By keyed ID hash when the rows give an ID, else by normalised name + mobile (DOMAIN.md §12)."""
        keys = list(facts_of)
        # A customer adopted here has its ID hash once the batch is written, so later batches no longer find it
        # adoptable: the set need not outlive the batch.
        adopted: set[int] = set()
        hashes = [key[1] for key in keys if key[0] == "id"]
        by_hash = {c.id_hash: c for c in Customer.objects.filter(id_hash__in=hashes)} if hashes else {}
        mobiles = {facts_of[key].mobile for key in keys if facts_of[key].mobile}
        by_name_mobile: dict[tuple[str, str], Customer] = {}
        for customer in Customer.objects.filter(mobile__in=mobiles).order_by("pk"):
            by_name_mobile.setdefault((name_key(customer.name), customer.mobile), customer)
        matched = {}
        for key in keys:
            facts = facts_of[key]
            if key[0] == "nm":
                customer = by_name_mobile.get((facts.name, facts.mobile))
            else:
                customer = by_hash.get(key[1])
                candidate = by_name_mobile.get((facts.name, facts.mobile)) if facts.mobile else None
                # The same person imported earlier without an ID: that row gets the ID rather than a twin.
                adoptable = candidate is not None and candidate.id_hash is None and candidate.pk not in adopted
                if customer is None and adoptable:
                    customer = candidate
                    adopted.add(candidate.pk)
            if customer is not None:
                matched[key] = customer
        return matched

    def _last_imported_consent(self, customer_ids: list[int]) -> dict[int, bool]:
        """短信同意 as the last import said it. The sheet's value is applied only when it differs, so re-importing
        an old workbook never overrides a consent or an opt-out the desk recorded since (the latest row or
        action wins, DOMAIN.md §4)."""
        if not customer_ids:
            return {}
        last: dict[int, bool] = {}
        for customer_id, consent in (
            ConsentChange.objects.filter(customer_id__in=customer_ids, source=CONSENT_SOURCE)
            .order_by("customer_id", "-recorded_at", "-pk")
            .values_list("customer_id", "consent")
        ):
            last.setdefault(customer_id, consent)
        return last

    def _consent_row(self, customer: Customer, consent: bool) -> ConsentChange:
        return ConsentChange(customer=customer, consent=consent, source=CONSENT_SOURCE, recorded_at=self.now)
