"""The importer's index on disk (policies.importer.index): repeated natural keys and the per-VIN / per-customer
folds must come out the same wherever the chunk boundaries fall. A chunk of two rows makes every test cross
several; the folds are checked against the rules as plain Python (DOMAIN.md §4: the latest row wins, a blank
never clears a known value)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policies.importer.index import WorkbookIndex

OWNERS = [("nm", "张三", "13800000001"), ("nm", "李四", "13800000002"), ("id", "hash-of-an-id")]


@pytest.fixture
def index():
    index = WorkbookIndex(chunk_rows=2)
    yield index
    index.close()


def written(index: WorkbookIndex) -> None:
    """As the writer does: every customer gets a primary key (here 100 × its place), then aliases resolve."""
    for chunk in index.customers(2):
        index.set_customer_pks((customer.id, customer.id * 100) for customer in chunk)
    index.resolve_customer_aliases()


# --- natural keys ---------------------------------------------------------------------------------


def test_every_repeat_of_a_key_is_reported_with_its_first_row_whatever_chunk_it_falls_in(index):
    for row, number in enumerate(["P1", "P2", "P1", "P3", "P2", "P1"], start=2):
        index.add_key("保单", "平安产险", number, row)
    index.add_key("保单", "人保财险", "P1", 8)  # another insurer's P1 is another policy
    index.add_key("保有客户", "平安产险", "P1", 9)  # and another sheet's key another key

    assert index.duplicates("保单") == [(4, 2, "平安产险", "P1"), (6, 3, "平安产险", "P2"), (7, 2, "平安产险", "P1")]
    assert index.duplicates("保有客户") == []


def test_first_rows_come_in_chunks_of_distinct_keys_ordered_by_number(index):
    for row, (insurer, number) in enumerate(
        [("平安产险", "P3"), ("平安产险", "P1"), ("人保财险", "P1"), ("平安产险", "P1"), ("平安产险", "P2")], start=2
    ):
        index.add_key("保单", insurer, number, row)

    assert list(index.first_rows("保单", 2)) == [
        {("人保财险", "P1"): 4, ("平安产险", "P1"): 3},
        {("平安产险", "P2"): 6, ("平安产险", "P3"): 2},
    ]


# --- the per-VIN fold -----------------------------------------------------------------------------


def fold_in_python(learned: list[dict]) -> dict:
    """The rules as they read: each attribute from the latest-ranked row that fills it, a later row winning a tie."""
    vehicle = {"plate": "", "new_energy": False, "model_name": "", "owner": None}
    ranks = {"plate": -1, "model_name": -1, "owner": -1}
    for row in learned:
        if row["plate"] and row["rank"] >= ranks["plate"]:
            vehicle["plate"], vehicle["new_energy"], ranks["plate"] = row["plate"], row["new_energy"], row["rank"]
        if row["model_name"] and row["rank"] >= ranks["model_name"]:
            vehicle["model_name"], ranks["model_name"] = row["model_name"], row["rank"]
        if row["rank"] >= ranks["owner"]:
            vehicle["owner"], ranks["owner"] = row["owner"], row["rank"]
    return vehicle


vehicle_rows = st.lists(
    st.fixed_dictionaries(
        {
            "vin": st.sampled_from(["VIN1", "VIN2"]),
            "rank": st.sampled_from([0, 739000, 739365, 739730]),  # 0: a 保有客户 row; else a policy's end date
            "plate": st.sampled_from([None, "", "京A00001", "京AD12345"]),
            "new_energy": st.booleans(),
            "model_name": st.sampled_from(["", "大众 迈腾", "比亚迪 汉"]),
            "owner": st.sampled_from(OWNERS),
        }
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=200, deadline=None)
@given(vehicle_rows)
def test_a_vehicle_folds_exactly_as_the_rules_say_in_any_row_order(rows):
    index = WorkbookIndex(chunk_rows=3)
    try:
        for owner in OWNERS:
            index.learn_customer(owner, name=owner[1], mobile="", id_masked="", id_hash=None, consent=None)
        for row in rows:
            index.learn_vehicle(
                row["vin"], rank=row["rank"], plate=row["plate"], new_energy=row["new_energy"],
                model_name=row["model_name"], owner=row["owner"],
            )  # fmt: skip
        written(index)
        owner_pks = dict(zip(OWNERS, (100, 200, 300), strict=True))
        folded = {
            vehicle.vin: {
                "plate": vehicle.plate, "new_energy": vehicle.new_energy, "model_name": vehicle.model_name,
                "owner": next(owner for owner, pk in owner_pks.items() if pk == vehicle.owner_id),
            }
            for chunk in index.vehicles(1)
            for vehicle in chunk
        }  # fmt: skip
    finally:
        index.close()

    vins = list(dict.fromkeys(row["vin"] for row in rows))  # in order of first appearance
    assert list(folded) == vins
    for vin in vins:
        expected = fold_in_python([row for row in rows if row["vin"] == vin])
        if not expected["plate"]:
            expected["new_energy"] = False
        assert folded[vin] == expected


# --- the per-customer fold ------------------------------------------------------------------------


def test_a_customer_keeps_the_latest_name_and_any_mobile_and_consent_a_later_row_leaves_blank(index):
    key = ("id", "hash-1")

    def learn_id_row(name: str, mobile: str, consent: bool | None) -> None:
        index.learn_customer(key, name=name, mobile=mobile, id_masked="1101**1234", id_hash="hash-1", consent=consent)

    learn_id_row("王五", "13900000001", True)
    other = ("nm", "赵六", "13900000009")
    index.learn_customer(other, name="赵六", mobile="13900000009", id_masked="", id_hash=None, consent=None)
    learn_id_row("王 五", "", None)
    learn_id_row("王五", "13900000002", False)
    learn_id_row("王五五", "", None)

    customers = [customer for chunk in index.customers(1) for customer in chunk]

    assert [(c.key, c.name, c.mobile, c.id_masked, c.id_hash, c.consent) for c in customers] == [
        (key, "王五五", "13900000002", "1101**1234", "hash-1", False),
        (other, "赵六", "13900000009", "", None, None),
    ]


def test_rows_without_the_id_point_to_the_customer_an_id_row_gives_the_same_name_and_mobile(index):
    without_id = ("nm", "王五", "13900000001")
    first_id, second_id = ("id", "hash-1"), ("id", "hash-2")
    index.learn_customer(without_id, name="王五", mobile="13900000001", id_masked="", id_hash=None, consent=None)
    index.learn_customer(first_id, name="王五", mobile="13900000001", id_masked="1", id_hash="hash-1", consent=None)
    index.learn_customer(second_id, name="王五", mobile="13900000001", id_masked="2", id_hash="hash-2", consent=None)
    stranger = ("nm", "赵六", "13900000009")
    index.learn_customer(stranger, name="赵六", mobile="13900000009", id_masked="", id_hash=None, consent=None)

    written(index)

    # the first ID row naming that name + mobile wins; everyone else is their own customer
    assert index.customer_pks([without_id, first_id, second_id, stranger]) == {
        without_id: 200, first_id: 200, second_id: 300, stranger: 400,
    }  # fmt: skip
