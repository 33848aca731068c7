"""The RPPS and FINESS imports: counts, idempotent second run, removals, and refused files (bad
lines named by their number, wrong columns, wrong encoding, truncated) leaving nothing half-imported."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from directories.demo import FINESS_SAMPLE, RPPS_SAMPLE
from directories.finess import FINESS_FORMAT, finess_import
from directories.loading import DirectoryFileError, ImportCounts, directory_scan, import_summary
from directories.models import DirectoryEstablishment, DirectoryProfessional
from directories.rpps import RPPS_FORMAT, rpps_import
from tests.directories.files import (
    FINESS_SAMPLE_LINES,
    RPPS_SAMPLE_LINES,
    finess_file,
    finess_line,
    rpps_file,
    rpps_line,
)
from tests.factories import finess, valid_rpps
from ville_hopital.models import AuditEvent

pytestmark = pytest.mark.django_db


def snapshot(model) -> list[tuple]:
    return list(model.objects.order_by("pk").values_list())


# --------------------------------------------------------------------------- RPPS


def test_rpps_sample_imports_once_and_a_second_run_changes_nothing():
    first = rpps_import(path=RPPS_SAMPLE)
    # 51 lines: 47 exercises kept; 3 ADELI-numbered lines and a second activity of one person skipped.
    assert (first.lines, first.new, first.changed, first.unchanged, first.removed, first.skipped) == (51, 47, 0, 0, 0, 4)
    assert DirectoryProfessional.objects.count() == 47
    before = snapshot(DirectoryProfessional)
    second = rpps_import(path=RPPS_SAMPLE)
    assert (second.new, second.changed, second.unchanged, second.removed) == (0, 0, 47, 0)
    assert snapshot(DirectoryProfessional) == before  # same rows, same primary keys: nothing rewritten
    teissier = DirectoryProfessional.objects.get(rpps="10990000001")
    assert (teissier.family_name, teissier.first_name, teissier.profession_code) == ("TEISSIER", "JULIE", "60")
    assert teissier.family_key == "teissier"
    events = AuditEvent.objects.filter(action="directory.rpps_import").order_by("pk")
    assert [e.data["new"] for e in events] == [47, 0]
    assert events[0].data["file"] == RPPS_SAMPLE.name


def test_a_new_file_updates_changed_rows_and_removes_those_no_longer_listed(tmp_path):
    rpps_import(path=RPPS_SAMPLE)
    kept = [line for line in RPPS_SAMPLE_LINES[1:] if line.startswith("8|10999")]  # the on-call nurses
    renamed = kept[0].replace("|VIDAL|", "|VIDAL-MARTY|")
    counts = rpps_import(path=rpps_file(tmp_path, [renamed, *kept[1:], rpps_line(valid_rpps(4242), "NOUVEAU")]))
    assert (counts.new, counts.changed, counts.unchanged, counts.removed) == (1, 1, len(kept) - 1, 47 - len(kept))
    assert DirectoryProfessional.objects.get(rpps="10999000010").family_key == "vidal marty"
    assert not DirectoryProfessional.objects.filter(rpps="10990000001").exists()  # struck off: removed


def test_a_person_with_two_professions_has_two_rows(tmp_path):
    number = valid_rpps(515)
    counts = rpps_import(path=rpps_file(tmp_path, [rpps_line(number, "MOREL", "10"), rpps_line(number, "MOREL", "21")]))
    assert counts.new == 2
    assert set(DirectoryProfessional.objects.filter(rpps=number).values_list("profession_code", flat=True)) == {"10", "21"}


def test_bad_lines_are_named_by_number_and_nothing_is_imported(tmp_path):
    rpps_import(path=RPPS_SAMPLE)
    before = snapshot(DirectoryProfessional)
    good = [line.replace("|TEISSIER|", "|TEISSIER-BIS|") for line in RPPS_SAMPLE_LINES[1:4]]  # would change rows
    bad_key = rpps_line(valid_rpps(7)[:-1] + str((int(valid_rpps(7)[-1]) + 1) % 10), "DURAND")
    fake = rpps_line("00000000000", "DURAND")
    no_name = rpps_line(valid_rpps(8), "")
    short = "|".join(rpps_line(valid_rpps(9), "PETIT").split("|")[:20])
    path = rpps_file(tmp_path, [*good, bad_key, fake, no_name, short])
    with pytest.raises(DirectoryFileError) as refused:
        rpps_import(path=path)
    assert [(e.line, e.message.split(" ")[0]) for e in refused.value.errors] == [
        (5, "«"), (6, "«"), (7, "«"), (8, "20"),
    ]
    text = str(refused.value)
    assert "ligne 5 : « Identifiant PP »" in text and "invalid_key" in text
    assert "ligne 6" in text and "repeated_digit" in text
    assert f"ligne 8 : 20 champs au lieu de {len(RPPS_SAMPLE_LINES[0].split('|'))}" in text
    assert snapshot(DirectoryProfessional) == before  # the first three lines were not written either
    assert AuditEvent.objects.filter(action="directory.rpps_import").count() == 1


def test_wrong_columns_are_refused_naming_the_missing_ones(tmp_path):
    header = RPPS_SAMPLE_LINES[0].replace("Nom d'exercice", "Nom").replace("Code profession|", "Profession|")
    path = tmp_path / "PS_LibreAcces_Personne_activite_x.txt"
    path.write_text("\n".join([header, *RPPS_SAMPLE_LINES[1:]]) + "\n", encoding="utf-8")
    with pytest.raises(DirectoryFileError) as refused:
        rpps_import(path=path)
    [error] = refused.value.errors
    assert error.line == 1
    assert "« Nom d'exercice »" in error.message and "« Code profession »" in error.message
    assert not DirectoryProfessional.objects.exists()
    finess_in_utf8 = tmp_path / "etalab-cs1100507-stock-utf8.csv"
    finess_in_utf8.write_text("\n".join(FINESS_SAMPLE_LINES) + "\n", encoding="utf-8")
    with pytest.raises(DirectoryFileError, match="ligne 1 : en-tête sans les colonnes"):
        rpps_import(path=finess_in_utf8)  # the other directory's file
    assert not DirectoryProfessional.objects.exists()


def test_wrong_encoding_is_refused_with_the_line(tmp_path):
    lines = [rpps_line(valid_rpps(n), "MARTIN") for n in (1, 2)] + [rpps_line(valid_rpps(3), "HÉRAL")]
    path = rpps_file(tmp_path, lines, encoding="latin-1")
    with pytest.raises(DirectoryFileError) as refused:
        rpps_import(path=path)
    # The header itself has accents (« Code civilité… »): line 1 is where Latin-1 shows.
    assert [(e.line, e.message) for e in refused.value.errors] == [
        (1, "le fichier n'est pas encodé en UTF-8 (mauvais encodage ?)"),
    ]
    utf16 = tmp_path / "utf16.txt"
    utf16.write_bytes(RPPS_SAMPLE.read_text(encoding="utf-8").encode("utf-16"))
    with pytest.raises(DirectoryFileError, match="ligne 1 : le fichier n'est pas encodé en UTF-8"):
        rpps_import(path=utf16)
    assert not DirectoryProfessional.objects.exists()


def test_a_truncated_file_is_refused_and_nothing_is_imported(tmp_path):
    data = RPPS_SAMPLE.read_bytes()
    cut = tmp_path / "PS_LibreAcces_Personne_activite_cut.txt"
    cut.write_bytes(data[: len(data) * 2 // 3])  # a download stopped in the middle of a line
    last = cut.read_bytes().count(b"\n") + 1
    with pytest.raises(DirectoryFileError) as refused:
        rpps_import(path=cut)
    [error] = refused.value.errors
    assert error.line == last and "champs au lieu de" in error.message
    assert not DirectoryProfessional.objects.exists()


def test_an_empty_file_is_refused(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    with pytest.raises(DirectoryFileError, match="ligne 1 : fichier vide"):
        rpps_import(path=empty)


def test_the_progress_bar_counts_every_line():
    steps: list[int] = []
    rpps_import(path=RPPS_SAMPLE, progress=steps.append)
    assert sum(steps) == directory_scan(RPPS_SAMPLE, RPPS_FORMAT).lines == 52


def test_the_command_prints_the_counts_and_refuses_a_bad_file_naming_the_line(tmp_path, capsys):
    call_command("import_rpps", str(RPPS_SAMPLE), verbosity=0)
    call_command("import_rpps", str(RPPS_SAMPLE), verbosity=0)
    out = capsys.readouterr().out
    assert "RPPS : 51 lignes lues, 47 nouvelles entrées" in out
    assert "0 nouvelle entrée, 0 modifiée, 47 inchangées" in out
    bad = rpps_file(tmp_path, [rpps_line("12345", "MARTIN")])
    with pytest.raises(CommandError, match=r"rien n'a été importé :\n  ligne 2 : « Identifiant PP » « 12345 »"):
        call_command("import_rpps", str(bad), verbosity=0)
    with pytest.raises(CommandError, match="fichier illisible"):
        call_command("import_rpps", str(tmp_path / "absent.txt"), verbosity=0)


@pytest.mark.parametrize(
    ("n", "french", "english"),
    [
        (0, "X : 0 ligne lue, 0 nouvelle entrée, 0 modifiée, 0 inchangée, 0 retirée, 0 ligne ignorée.",
         "X: 0 lines read, 0 new entries, 0 changed, 0 unchanged, 0 removed, 0 lines skipped."),
        (1, "X : 1 ligne lue, 1 nouvelle entrée, 1 modifiée, 1 inchangée, 1 retirée, 1 ligne ignorée.",
         "X: 1 line read, 1 new entry, 1 changed, 1 unchanged, 1 removed, 1 line skipped."),
        (2, "X : 2 lignes lues, 2 nouvelles entrées, 2 modifiées, 2 inchangées, 2 retirées, 2 lignes ignorées.",
         "X: 2 lines read, 2 new entries, 2 changed, 2 unchanged, 2 removed, 2 lines skipped."),
    ],
)
def test_the_import_summary_counts_each_figure_with_its_plural(n, french, english):
    counts = ImportCounts(lines=n, new=n, changed=n, unchanged=n, removed=n, skipped=n)
    with translation.override("fr"):
        assert import_summary("X", counts) == french
    with translation.override("en"):
        assert import_summary("X", counts) == english


def test_a_one_field_line_is_counted_in_the_singular(tmp_path):
    with pytest.raises(DirectoryFileError) as refused:
        finess_import(path=finess_file(tmp_path, ["structureet", "structureet;1"]))
    assert [str(e) for e in refused.value.errors] == [
        "ligne 2 : 1 champ au lieu de 32 pour une ligne « structureet » (ligne tronquée ou décalée ?)",
        "ligne 3 : 2 champs au lieu de 32 pour une ligne « structureet » (ligne tronquée ou décalée ?)",
    ]


# --------------------------------------------------------------------------- FINESS


def test_finess_sample_imports_once_and_a_second_run_changes_nothing():
    first = finess_import(path=FINESS_SAMPLE)
    # 25 "structureet" lines kept, their 25 "geolocalisation" lines read and skipped.
    assert (first.lines, first.new, first.changed, first.unchanged, first.removed, first.skipped) == (50, 25, 0, 0, 0, 25)
    before = snapshot(DirectoryEstablishment)
    second = finess_import(path=FINESS_SAMPLE)
    assert (second.new, second.changed, second.unchanged, second.removed) == (0, 0, 25, 0)
    assert snapshot(DirectoryEstablishment) == before
    mende = DirectoryEstablishment.objects.get(finess_et="487000002")
    assert (mende.finess_ej, mende.name, mende.category_code) == ("480000017", "CH DE MENDE", "355")
    assert AuditEvent.objects.filter(action="directory.finess_import").count() == 2


def test_finess_in_utf8_reads_the_same_as_latin1(tmp_path):
    finess_import(path=FINESS_SAMPLE)
    before = snapshot(DirectoryEstablishment)
    utf8 = tmp_path / "etalab-cs1100507-stock-utf8.csv"
    utf8.write_text("\n".join(FINESS_SAMPLE_LINES) + "\n", encoding="utf-8")
    assert directory_scan(utf8, FINESS_FORMAT).encoding == "utf-8"
    assert directory_scan(FINESS_SAMPLE, FINESS_FORMAT).encoding == "latin-1"
    assert finess_import(path=utf8).unchanged == 25
    assert snapshot(DirectoryEstablishment) == before


def test_finess_bad_lines_are_named_and_nothing_is_imported(tmp_path):
    good = finess_line(finess("48123456"), finess("48000099"))
    wrong_ej = finess_line(finess("48123457"), "480000990" if finess("48000099")[-1] != "0" else "480000991")
    unknown_kind = "structureej;480000017;CH"
    short_geo = f"geolocalisation;{finess('48123456')};726000.0"
    with pytest.raises(DirectoryFileError) as refused:
        finess_import(path=finess_file(tmp_path, [good, wrong_ej, unknown_kind, short_geo]))
    assert [e.line for e in refused.value.errors] == [3, 4, 5]
    text = str(refused.value)
    assert "ligne 3 : « nofinessej »" in text
    assert "ligne 4 : ligne de type « structureej »" in text
    assert "ligne 5 : 3 champs au lieu de 6" in text
    assert not DirectoryEstablishment.objects.exists()


def test_finess_wrong_header_or_encoding_is_refused(tmp_path):
    with pytest.raises(DirectoryFileError, match="ligne 1 : en-tête « finess;etalab;… » attendu"):
        finess_import(path=RPPS_SAMPLE)
    utf16 = tmp_path / "etalab-utf16.csv"
    utf16.write_bytes("\n".join(FINESS_SAMPLE_LINES).encode("utf-16"))
    with pytest.raises(DirectoryFileError, match="ligne 1 : le fichier n'est pas encodé en UTF-8 ou LATIN-1"):
        finess_import(path=utf16)
    cp1252 = finess_file(tmp_path, [finess_line(finess("48123456"), finess("48000099"), name="CH \u2019 TEST")],
                         encoding="cp1252")  # a right quote: byte 0x92, a control character in Latin-1
    with pytest.raises(DirectoryFileError, match="ligne 2 : caractères de contrôle ou illisibles"):
        finess_import(path=cp1252)
    assert not DirectoryEstablishment.objects.exists()


def test_finess_command(capsys):
    call_command("import_finess", str(FINESS_SAMPLE), verbosity=0)
    assert "FINESS : 50 lignes lues, 25 nouvelles entrées" in capsys.readouterr().out
    with pytest.raises(CommandError, match="ligne 1"):
        call_command("import_finess", str(RPPS_SAMPLE), verbosity=0)
