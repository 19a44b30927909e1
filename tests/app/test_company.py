"""Reading a company's export (app/company.py): who each calendar belongs to and what its
section is called, for the layouts Google hands out."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest

from ics2b24.app.company import read_export
from ics2b24.errors import ParseError
from tests.helpers import company_export, vcalendar, vevent, write


def people_and_names(root: Path) -> list[tuple[str, str]]:
    return [(c.person, c.name) for c in read_export(root)]


def test_folders_and_takeout_archives_are_people_and_calendars_are_named_after_themselves(
        tmp_path: Path) -> None:
    assert people_and_names(company_export(tmp_path / "export")) == [
        ("ann@example.com", "Team"), ("ann@example.com", "ann@example.com"),
        ("bob@example.com", "bob@example.com"), ("cy@example.com", "cy@example.com")]


def test_a_workspace_export_as_one_archive_reads_as_its_folders(tmp_path: Path) -> None:
    export = company_export(tmp_path / "export")
    (export / "takeout-20261201-001.zip").unlink()
    archive = tmp_path / "workspace.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for path in sorted(export.rglob("*.ics")):
            out.write(path, path.relative_to(export).as_posix())
    assert [p for p, _ in people_and_names(archive)] == ["ann@example.com"] * 2 + [
        "bob@example.com"]


def test_a_folder_not_named_after_an_address_is_its_person(tmp_path: Path) -> None:
    folder = tmp_path / "export" / "Ann Smith"
    folder.mkdir(parents=True)
    write(folder / "work.ics", vcalendar(vevent("a@x", "20250303T090000", "A")))
    assert people_and_names(tmp_path / "export") == [("ann smith", "work")]


def test_two_calendars_of_one_name_get_numbers(tmp_path: Path) -> None:
    folder = tmp_path / "export" / "ann@example.com"
    folder.mkdir(parents=True)
    body = ("BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//t//t//EN\nX-WR-CALNAME:Work\n"
            + vevent("a@x", "20250303T090000", "A") + "END:VCALENDAR\n")
    write(folder / "one.ics", body)
    write(folder / "two.ics", body)
    assert [n for _, n in people_and_names(tmp_path / "export")] == ["Work", "Work (2)"]


def test_a_calendar_outside_every_persons_folder_is_refused_naming_it(tmp_path: Path) -> None:
    export = company_export(tmp_path / "export")
    shutil.copy(export / "bob@example.com" / "Calendar" / "bob@example.com.ics",
                export / "stray.ics")
    with pytest.raises(ParseError, match=r"stray\.ics: a calendar outside any person's folder"):
        read_export(export)


def test_an_unreadable_calendar_is_kept_with_its_problem(tmp_path: Path) -> None:
    export = company_export(tmp_path / "export")
    write(export / "bob@example.com" / "Calendar" / "bob@example.com.ics", "junk\n")
    bob = [c for c in read_export(export) if c.person == "bob@example.com"]
    assert [c.scan for c in bob] == [None]
    assert bob[0].problem is not None and "bob@example.com.ics" in bob[0].problem
