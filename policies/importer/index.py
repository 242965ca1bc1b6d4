"""The workbook's keyed indexes, on disk: natural keys (to find the same key twice), one folded entry per
customer and per VIN, and later the primary keys the writer gave them.

Kept in Python dicts these cost ~0.6 KB per policy row, so memory grew with the file. A private temporary
SQLite database (sqlite3.connect("")) holds them instead: SQLite unlinks its file as soon as it opens it, so it
is gone after a crash too (it holds names and full phones, like the RowSpool's anonymous file), keeps a bounded
page cache (2 MB by default), and lets the folds run as UPSERTs and the duplicate search as one GROUP BY. The
file lives in SQLite's temporary directory: SQLITE_TMPDIR or TMPDIR, else /var/tmp (~13 MB per 100,000 rows).
Writes are buffered and sent `chunk_rows` at a time.

Customer keys are the validator's tuples: ("id", keyed hash of the ID number) or ("nm", name, mobile). They are
stored as (kind, a, b), with b = "" for an ID key.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Iterable, Iterator
from typing import NamedTuple

from policies.importer.rows import CustomerKey
from policies.importer.spool import CHUNK_ROWS

_SCHEMA = """
CREATE TABLE natural_key (sheet TEXT NOT NULL, first TEXT NOT NULL, second TEXT NOT NULL, row INTEGER NOT NULL);
-- id = order of first appearance: the writer creates customers and vehicles in workbook order
CREATE TABLE customer (
    id INTEGER PRIMARY KEY, kind TEXT NOT NULL, a TEXT NOT NULL, b TEXT NOT NULL,
    name TEXT NOT NULL, mobile TEXT NOT NULL, id_masked TEXT NOT NULL, id_hash TEXT, consent INTEGER,
    pk INTEGER, ref_pk INTEGER, UNIQUE (kind, a, b)
);
CREATE TABLE customer_alias (
    name TEXT NOT NULL, mobile TEXT NOT NULL, id_hash TEXT NOT NULL, PRIMARY KEY (name, mobile)
);
CREATE TABLE vehicle (
    id INTEGER PRIMARY KEY, vin TEXT NOT NULL UNIQUE,
    plate TEXT NOT NULL, new_energy INTEGER NOT NULL, plate_rank INTEGER NOT NULL,
    model_name TEXT NOT NULL, model_rank INTEGER NOT NULL,
    owner_kind TEXT NOT NULL, owner_a TEXT NOT NULL, owner_b TEXT NOT NULL, owner_rank INTEGER NOT NULL,
    pk INTEGER
);
CREATE TABLE touched_vehicle (pk INTEGER PRIMARY KEY);
CREATE TABLE wanted_vin (vin TEXT NOT NULL);
CREATE TABLE wanted_customer (kind TEXT NOT NULL, a TEXT NOT NULL, b TEXT NOT NULL);
"""

# What the rows say about a customer: the latest row's name, its mobile unless blank, its 短信同意 unless blank.
# (For a name + mobile key the name and mobile are the key itself.) The masked ID is the first row's: every
# row of an ID key carries the same ID number.
_LEARN_CUSTOMER = """
INSERT INTO customer (kind, a, b, name, mobile, id_masked, id_hash, consent) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (kind, a, b) DO UPDATE SET
    name = excluded.name,
    mobile = CASE WHEN excluded.mobile <> '' THEN excluded.mobile ELSE mobile END,
    consent = COALESCE(excluded.consent, consent)
"""

# What the rows say about a VIN: each attribute from the row with the latest rank (policy end date; 保有客户 rows
# rank 0) that fills it, a later row winning a tie; a blank never clears a known value. A new VIN's rank of a blank
# attribute is -1, so any row that fills it wins. SET expressions all read the row as it was before the update.
_LEARN_VEHICLE = """
INSERT INTO vehicle (vin, plate, new_energy, plate_rank, model_name, model_rank, owner_kind, owner_a, owner_b,
                     owner_rank)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (vin) DO UPDATE SET
    plate = CASE WHEN excluded.plate <> '' AND excluded.plate_rank >= plate_rank THEN excluded.plate ELSE plate END,
    new_energy = CASE WHEN excluded.plate <> '' AND excluded.plate_rank >= plate_rank
                      THEN excluded.new_energy ELSE new_energy END,
    plate_rank = CASE WHEN excluded.plate <> '' AND excluded.plate_rank >= plate_rank
                      THEN excluded.plate_rank ELSE plate_rank END,
    model_name = CASE WHEN excluded.model_name <> '' AND excluded.model_rank >= model_rank
                      THEN excluded.model_name ELSE model_name END,
    model_rank = CASE WHEN excluded.model_name <> '' AND excluded.model_rank >= model_rank
                      THEN excluded.model_rank ELSE model_rank END,
    owner_kind = CASE WHEN excluded.owner_rank >= owner_rank THEN excluded.owner_kind ELSE owner_kind END,
    owner_a = CASE WHEN excluded.owner_rank >= owner_rank THEN excluded.owner_a ELSE owner_a END,
    owner_b = CASE WHEN excluded.owner_rank >= owner_rank THEN excluded.owner_b ELSE owner_b END,
    owner_rank = CASE WHEN excluded.owner_rank >= owner_rank THEN excluded.owner_rank ELSE owner_rank END
"""

# Every row whose key an earlier row of the sheet already has, with that first row.
_DUPLICATES = """
SELECT later.row, repeated.first_row, later.first, later.second
FROM natural_key AS later
JOIN (
    SELECT second, first, MIN(row) AS first_row FROM natural_key WHERE sheet = ?
    GROUP BY second, first HAVING COUNT(*) > 1
) AS repeated ON later.first = repeated.first AND later.second = repeated.second
WHERE later.sheet = ? AND later.row > repeated.first_row
ORDER BY later.row
"""

# A name + mobile that an ID row also gives is that ID's customer (DOMAIN.md §12): rows without the ID point there.
_RESOLVE_ALIASES = """
UPDATE customer SET ref_pk = COALESCE(
    (SELECT target.pk FROM customer_alias AS alias
     JOIN customer AS target ON target.kind = 'id' AND target.a = alias.id_hash AND target.b = ''
     WHERE customer.kind = 'nm' AND alias.name = customer.a AND alias.mobile = customer.b),
    pk)
"""


class FoldedCustomer(NamedTuple):
    id: int  # in the index
    key: CustomerKey
    name: str
    mobile: str
    id_masked: str
    id_hash: str | None
    consent: bool | None


class FoldedVehicle(NamedTuple):
    id: int  # in the index
    vin: str
    plate: str  # "" = no row gave one
    new_energy: bool
    model_name: str  # "" = no row gave one
    owner_id: int | None  # the owner's primary key, once customers are written


def _customer_columns(key: CustomerKey) -> tuple[str, str, str]:
    return (key[0], key[1], "") if key[0] == "id" else (key[0], key[1], key[2])


def _customer_key(kind: str, a: str, b: str) -> CustomerKey:
    return (kind, a) if kind == "id" else (kind, a, b)


class WorkbookIndex:
    def __init__(self, chunk_rows: int = CHUNK_ROWS):
        # "": a private temporary database, removed by SQLite itself (isolation_level=None: we say when)
        self._db = sqlite3.connect("", isolation_level=None)
        self._db.executescript("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;" + _SCHEMA)
        self._chunk_rows = chunk_rows
        self._keys: list[tuple] = []
        self._customers: list[tuple] = []
        self._aliases: list[tuple] = []
        self._vehicles: list[tuple] = []

    def close(self) -> None:
        self._db.close()

    # --- while validating: buffered writes -------------------------------------------------------

    def add_key(self, sheet: str, first: str, second: str, row: int) -> None:
        """One row's natural key, e.g. (insurer, 保单号); see duplicates()."""
        self._keys.append((sheet, first, second, row))
        self._written()

    def learn_customer(
        self, key: CustomerKey, *, name: str, mobile: str, id_masked: str, id_hash: str | None, consent: bool | None
    ) -> None:
        self._customers.append((*_customer_columns(key), name, mobile, id_masked, id_hash, consent))
        if key[0] == "id" and mobile:
            self._aliases.append((name, mobile, key[1]))  # the first ID row naming this name + mobile wins
        self._written()

    def learn_vehicle(
        self, vin: str, *, rank: int, plate: str | None, new_energy: bool, model_name: str, owner: CustomerKey
    ) -> None:
        plate = plate or ""
        self._vehicles.append(
            (
                vin, plate, new_energy if plate else False, rank if plate else -1,
                model_name, rank if model_name else -1, *_customer_columns(owner), rank,
            )
        )  # fmt: skip
        self._written()

    def _written(self) -> None:
        if len(self._keys) + len(self._customers) + len(self._vehicles) >= self._chunk_rows:
            self.flush()

    def flush(self) -> None:
        if not (self._keys or self._customers or self._vehicles):
            return
        db = self._db
        db.execute("BEGIN")
        db.executemany("INSERT INTO natural_key VALUES (?, ?, ?, ?)", self._keys)
        db.executemany(_LEARN_CUSTOMER, self._customers)
        db.executemany("INSERT OR IGNORE INTO customer_alias VALUES (?, ?, ?)", self._aliases)
        db.executemany(_LEARN_VEHICLE, self._vehicles)
        db.execute("COMMIT")
        self._keys, self._customers, self._aliases, self._vehicles = [], [], [], []

    # --- natural keys ----------------------------------------------------------------------------

    def _indexed_keys(self) -> None:
        self.flush()
        # Built once the first sheet's keys are in: cheaper than keeping it up to date through every insert.
        self._db.execute("CREATE INDEX IF NOT EXISTS natural_key_by_key ON natural_key (sheet, second, first, row)")

    def duplicates(self, sheet: str) -> list[tuple[int, int, str, str]]:
        """(row, first row with the same key, first, second) for every repeated key of the sheet, by row."""
        self._indexed_keys()
        return self._db.execute(_DUPLICATES, (sheet, sheet)).fetchall()

    def first_rows(self, sheet: str, size: int) -> Iterator[dict[tuple[str, str], int]]:
        """The sheet's distinct keys with their first row, `size` keys at a time, in order of (second, first)."""
        self._indexed_keys()
        after: tuple[str, str] = ("", "")
        while True:
            chunk = self._db.execute(
                "SELECT second, first, MIN(row) FROM natural_key WHERE sheet = ? AND (second, first) > (?, ?)"
                " GROUP BY second, first ORDER BY second, first LIMIT ?",
                (sheet, *after, size),
            ).fetchall()
            if not chunk:
                return
            yield {(first, second): row for second, first, row in chunk}
            after = chunk[-1][:2]

    # --- customers -------------------------------------------------------------------------------

    def customers(self, size: int) -> Iterator[list[FoldedCustomer]]:
        """Every customer the rows name, folded, in order of first appearance, `size` at a time."""
        self.flush()
        after = 0
        while True:
            chunk = self._db.execute(
                "SELECT id, kind, a, b, name, mobile, id_masked, id_hash, consent FROM customer WHERE id > ?"
                " ORDER BY id LIMIT ?",
                (after, size),
            ).fetchall()
            if not chunk:
                return
            yield [
                FoldedCustomer(
                    id, _customer_key(kind, a, b), name, mobile, id_masked, id_hash,
                    None if consent is None else bool(consent),
                )
                for id, kind, a, b, name, mobile, id_masked, id_hash, consent in chunk
            ]  # fmt: skip
            after = chunk[-1][0]

    def set_customer_pks(self, pks: Iterable[tuple[int, int]]) -> None:
        """(index id, primary key) of customers written; resolve_customer_aliases() once all are."""
        self._db.execute("BEGIN")
        self._db.executemany("UPDATE customer SET pk = ? WHERE id = ?", ((pk, id) for id, pk in pks))
        self._db.execute("COMMIT")

    def resolve_customer_aliases(self) -> None:
        self._db.execute(_RESOLVE_ALIASES)

    def customer_pks(self, keys: Collection[CustomerKey]) -> dict[CustomerKey, int]:
        """The primary key each customer key is written as (a name + mobile an ID row also gives: the ID's)."""
        db = self._db
        db.execute("BEGIN")
        db.execute("DELETE FROM wanted_customer")
        db.executemany("INSERT INTO wanted_customer VALUES (?, ?, ?)", map(_customer_columns, keys))
        found = db.execute(
            "SELECT customer.kind, customer.a, customer.b, customer.ref_pk FROM wanted_customer"
            " JOIN customer USING (kind, a, b)"
        ).fetchall()
        db.execute("COMMIT")
        return {_customer_key(kind, a, b): pk for kind, a, b, pk in found}

    # --- vehicles --------------------------------------------------------------------------------

    def vehicles(self, size: int) -> Iterator[list[FoldedVehicle]]:
        """Every VIN the rows name, folded, with its owner's primary key; in order of first appearance."""
        self.flush()
        after = 0
        while True:
            chunk = self._db.execute(
                "SELECT vehicle.id, vin, plate, new_energy, model_name, owner.ref_pk FROM vehicle"
                " LEFT JOIN customer AS owner"
                " ON owner.kind = owner_kind AND owner.a = owner_a AND owner.b = owner_b"
                " WHERE vehicle.id > ? ORDER BY vehicle.id LIMIT ?",
                (after, size),
            ).fetchall()
            if not chunk:
                return
            yield [
                FoldedVehicle(id, vin, plate, bool(new_energy), model_name, owner_id)
                for id, vin, plate, new_energy, model_name, owner_id in chunk
            ]
            after = chunk[-1][0]

    def set_vehicle_pks(self, pks: Iterable[tuple[int, int]]) -> None:
        """(index id, primary key) of vehicles written or matched."""
        self._db.execute("BEGIN")
        self._db.executemany("UPDATE vehicle SET pk = ? WHERE id = ?", ((pk, id) for id, pk in pks))
        self._db.execute("COMMIT")

    def vehicle_pks(self, vins: Collection[str]) -> dict[str, int]:
        db = self._db
        db.execute("BEGIN")
        db.execute("DELETE FROM wanted_vin")
        db.executemany("INSERT INTO wanted_vin VALUES (?)", ((vin,) for vin in vins))
        found = db.execute("SELECT vin, vehicle.pk FROM wanted_vin JOIN vehicle USING (vin)").fetchall()
        db.execute("COMMIT")
        return dict(found)

    def touch_vehicles(self, pks: Iterable[int]) -> None:
        """Vehicles whose policies the import created or changed: their terms are rebuilt."""
        self._db.execute("BEGIN")
        self._db.executemany("INSERT OR IGNORE INTO touched_vehicle VALUES (?)", ((pk,) for pk in pks))
        self._db.execute("COMMIT")

    def touched_count(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM touched_vehicle").fetchone()[0]

    def touched_vehicles(self, size: int) -> Iterator[list[int]]:
        """The touched vehicles' primary keys, ascending, `size` at a time."""
        after = 0
        while True:
            chunk = [
                pk
                for (pk,) in self._db.execute(
                    "SELECT pk FROM touched_vehicle WHERE pk > ? ORDER BY pk LIMIT ?", (after, size)
                )
            ]
            if not chunk:
                return
            yield chunk
            after = chunk[-1]
