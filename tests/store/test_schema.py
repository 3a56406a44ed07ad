"""The checks of a store file before it is opened, and the lock-error test of the schema module."""

import re
import sqlite3
from pathlib import Path

import pytest

from fewlabels.store import CorruptStoreError, LabelStore
from fewlabels.store.schema import _TABLES, check_store_file, is_locked_error

FIX = (
    "fewlabels never overwrites it. Move it aside (e.g. `mv {p} {p}.bad`) and restore a backup, "
    "or re-create the workspace; export what you can with `sqlite3 .recover`."
)


def test_a_file_without_the_sqlite_header_shows_its_first_sixteen_bytes_and_the_fix(
    tmp_path: Path,
) -> None:
    bad = tmp_path / "labels.db"
    bad.write_bytes(b"0123456789abcdefGHIJ" * 10)
    with pytest.raises(CorruptStoreError) as caught:
        check_store_file(bad)
    text = str(caught.value)
    assert "its first bytes are b'0123456789abcdef', not the SQLite header." in text
    assert text.endswith(FIX.format(p=bad))


def test_a_foreign_sqlite_file_lists_every_missing_table_and_no_marker(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE x (a)")
    con.commit()
    con.close()
    with pytest.raises(CorruptStoreError) as caught:
        check_store_file(other)
    assert f"without the tables {list(_TABLES)} / format marker (found None)." in str(caught.value)


def test_the_format_marker_alone_is_not_enough_without_the_tables(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    con.execute("INSERT INTO meta VALUES ('format', 'fewlabels-labels')")
    con.commit()
    con.close()
    with pytest.raises(CorruptStoreError) as caught:
        LabelStore(other)
    missing = [t for t in _TABLES if t != "meta"]
    assert f"the tables {missing} / format marker (found 'fewlabels-labels')" in str(caught.value)


def test_a_store_that_fails_quick_check_shows_what_sqlite_reports(tmp_path: Path) -> None:
    path = tmp_path / "labels.db"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT)")
    con.executemany("INSERT INTO t VALUES (?, ?)", [(i, "x" * 50 + str(i)) for i in range(3000)])
    con.commit()
    con.close()
    data = bytearray(path.read_bytes())
    page = 4096
    leaves = [p for p in range(1, len(data) // page) if data[p * page] == 0x0D]  # table leaves
    for p in leaves[:4]:
        data[p * page + 8 : p * page + 10] = b"\x00\x10"  # first cell pointer out of range
    path.write_bytes(bytes(data))
    before = path.read_bytes()
    with pytest.raises(CorruptStoreError) as caught:
        LabelStore(path)
    text = str(caught.value)
    result = [r[0] for r in sqlite3.connect(path).execute("PRAGMA quick_check").fetchall()]
    assert result != ["ok"]
    shown = "; ".join(result[:3])
    assert "out of range" in shown
    assert re.search(r"to pass PRAGMA quick_check, but it reports: ", text)
    assert f"it reports: {shown}. fewlabels never overwrites it." in text
    assert path.read_bytes() == before


def test_lock_errors_are_sqlite_operational_errors_naming_a_lock() -> None:
    assert is_locked_error(sqlite3.OperationalError("database is locked"))
    assert is_locked_error(sqlite3.OperationalError("Database table is LOCKED"))
    assert is_locked_error(sqlite3.OperationalError("database is busy"))
    assert is_locked_error(sqlite3.OperationalError("SQLITE_BUSY"))
    assert not is_locked_error(sqlite3.OperationalError("no such table: labels"))
    assert not is_locked_error(sqlite3.DatabaseError("database is locked"))  # not operational
    assert not is_locked_error(RuntimeError("locked"))


def test_a_quick_check_with_many_findings_shows_the_first_three(tmp_path: Path) -> None:
    # A row of NULLs where the schema (rewritten afterwards) says NOT NULL: quick_check
    # reports one finding per column (t.b, t.c, t.d, t.e, t.f), each its own result row.
    path = tmp_path / "labels.db"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE t (a INTEGER PRIMARY KEY, b, c, d, e, f)")
    con.execute("INSERT INTO t (a) VALUES (0)")
    con.commit()
    con.execute("PRAGMA writable_schema=ON")
    strict = "CREATE TABLE t (a INTEGER PRIMARY KEY, " + ", ".join(f"{c} NOT NULL" for c in "bcdef")
    con.execute("UPDATE sqlite_master SET sql=? WHERE name='t'", (strict + ")",))
    con.commit()
    con.close()
    result = [r[0] for r in sqlite3.connect(path).execute("PRAGMA quick_check").fetchall()]
    assert len(result) >= 4  # the file this test needs: more findings than are shown
    with pytest.raises(CorruptStoreError) as caught:
        check_store_file(path)
    shown = "NULL value in t.b; NULL value in t.c; NULL value in t.d"
    assert f"but it reports: {shown}. fewlabels never overwrites it." in str(caught.value)
