"""FINESS as the ANS publishes it today (issue 26): the daily JSON « flux Structures » read beside
the etalab CSV, every département code in use mapped to its region, and ``esmsnum finess info``
telling the extract's date and source (sample data never shown as the national repository)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import esmsnum
from extractors.finess_extract import ExtractError, department_of_commune, department_of_insee
from extractors.finess_flux import FluxReader, open_extract
from fixtures.finess_extract import EJ_FILE, ET_FILE, EXTRACT_DATE, FLUX_FILE, Entity, RepositoryBook
from fixtures.generate import generate
from validators.finess_repository import FinessRepository, import_extracts, iter_establishments
from validators.reference import region_of

CALL = "ars-ara-2022-regional"
DATE_FR = EXTRACT_DATE.strftime("%d/%m/%Y")
COMPARED = ("finess", "finess_ej", "name", "long_name", "department", "commune_code", "postcode", "city", "category")
#: Every département code outside metropolitan France: (code, commune, region).
PLACES = {
    "2A": ("Ajaccio", "Corse"),
    "2B": ("Bastia", "Corse"),
    "971": ("Pointe-à-Pitre", "Guadeloupe"),
    "972": ("Fort-de-France", "Martinique"),
    "973": ("Cayenne", "Guyane"),
    "974": ("Saint-Denis", "La Réunion"),
    "975": ("Saint-Pierre", "Saint-Pierre-et-Miquelon"),
    "976": ("Mamoudzou", "Mayotte"),
    "977": ("Gustavia", "Guadeloupe"),
    "978": ("Marigot", "Guadeloupe"),
}


@pytest.fixture(scope="module")
def extract_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("flux-gen")
    generate(out, calls=[CALL], only=["clean-workbook", "REF-03"])
    return out / CALL / "finess"


def _view(path: Path) -> dict[str, tuple]:
    return {e.finess: tuple(getattr(e, f) for f in COMPARED) for e in iter_establishments(path)}


def test_both_formats_give_the_same_establishments(extract_dir, tmp_path):
    assert isinstance(open_extract(extract_dir / FLUX_FILE), FluxReader)
    csv = import_extracts([extract_dir / ET_FILE, extract_dir / EJ_FILE], tmp_path / "csv").info
    flux = import_extracts([extract_dir / FLUX_FILE], tmp_path / "json").info
    assert csv.extract_date == flux.extract_date == EXTRACT_DATE
    assert csv.establishments == flux.establishments > 20 and csv.entities == flux.entities > 5
    assert _view(csv.path) == _view(flux.path)
    with FinessRepository(csv) as a, FinessRepository(flux) as b:
        some = next(iter(_view(csv.path)))
        ej = a.establishment(some).finess_ej
        assert a.entity(ej) == b.entity(ej)
        assert {x.finess for x in a.managed_by(ej)} == {x.finess for x in b.managed_by(ej)}
        assert b.establishment(some).category_label  # the label the flux leaves out, from the reference
    # the flux also lists a closed establishment, which is not imported (nor in the etalab stock)
    document = json.loads((extract_dir / FLUX_FILE).read_text(encoding="utf-8"))
    closed = [e for p in document["pmej"] for e in p["ege"] if e["etatObjet"] != "A"]
    assert closed and all(e["informationsGeneralesEGE"]["numFinessEge"] not in _view(flux.path) for e in closed)


def test_every_overseas_and_corsican_code_maps_to_its_region(tmp_path):
    book = RepositoryBook()
    numbers = {}
    for index, (department, (commune, _)) in enumerate(PLACES.items()):
        ej, et = f"{department[:2]}{index:07d}", f"{department[:2]}{index + 50:07d}"
        book.entities[ej] = Entity(ej, f"OG {commune}", department, commune)
        book.add_establishment(et, ej, f"EHPAD de {commune}", "500", department, commune)
        numbers[department] = et
    book.write(tmp_path / "extract")
    csv = import_extracts([tmp_path / "extract" / ET_FILE, tmp_path / "extract" / EJ_FILE], tmp_path / "csv").info
    flux = import_extracts([tmp_path / "extract" / FLUX_FILE], tmp_path / "json").info
    for info in (csv, flux):
        with FinessRepository(info) as repository:
            for department, (_, region) in PLACES.items():
                record = repository.establishment(numbers[department])
                assert record.department == department, (info.source_format, department, record)
                assert region_of(record.department) == region
                assert record.department_label
    # the codes as the files write them
    assert department_of_insee("2A004") == "2A" and department_of_insee("97302") == "973"
    assert department_of_insee("97611") == "976" and department_of_insee("97801") == "978"
    assert department_of_insee("01143") == "01"
    assert department_of_commune("9A", "127") == "978" and department_of_commune("9A", "123") == "977"
    assert department_of_commune("9A", "113") == "971" and department_of_commune("9E", "502") == "975"
    assert department_of_commune("9F", "611") == "976" and department_of_commune("1", "143") == "01"


def test_info_says_the_date_and_the_source(extract_dir, tmp_path):
    sample = tmp_path / "sample"
    imported = esmsnum("finess", "importer", str(extract_dir / FLUX_FILE), "--finess", str(sample))
    assert imported.returncode == 0, imported.stderr
    assert f"Extraction FINESS du {DATE_FR} importée" in imported.stdout and "ÉCHANTILLON FICTIF" in imported.stdout
    info = esmsnum("finess", "info", "--finess", str(sample))
    assert f"Date de l'extraction : {DATE_FR}" in info.stdout and "ÉCHANTILLON FICTIF" in info.stdout
    # the same flux without the generator's mark reads as the ANS's; the CSV as etalab's
    document = json.loads((extract_dir / FLUX_FILE).read_text(encoding="utf-8"))
    del document["echantillon"]
    real = tmp_path / FLUX_FILE
    real.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    esmsnum("finess", "importer", str(real), "--finess", str(tmp_path / "ans"))
    info = esmsnum("finess", "info", "--finess", str(tmp_path / "ans"))
    assert "flux JSON quotidien de l'ANS" in info.stdout and "ÉCHANTILLON" not in info.stdout
    lines = (extract_dir / ET_FILE).read_text(encoding="utf-8").splitlines()
    unmarked = tmp_path / ET_FILE
    unmarked.write_text("\n".join(x for x in lines if not x.startswith("echantillon;")) + "\n", encoding="utf-8")
    esmsnum("finess", "importer", str(unmarked), "--finess", str(tmp_path / "etalab"))
    info = esmsnum("finess", "info", "--finess", str(tmp_path / "etalab"))
    assert "extraction etalab (CSV, data.gouv.fr)" in info.stdout and "ÉCHANTILLON" not in info.stdout


def test_a_broken_flux_is_refused_whole(extract_dir, tmp_path):
    text = (extract_dir / FLUX_FILE).read_text(encoding="utf-8")
    broken = tmp_path / FLUX_FILE
    broken.write_text(text[: len(text) // 2], encoding="utf-8")  # a download cut in the middle
    proc = esmsnum("finess", "importer", str(broken), "--finess", str(tmp_path / "store"))
    assert proc.returncode == 1 and "JSON illisible" in proc.stderr
    assert not list((tmp_path / "store").glob("*.sqlite"))
    other = tmp_path / "autre.json"
    other.write_text('{"schemaVersion": "v1", "data": []}', encoding="utf-8")
    with pytest.raises(ExtractError, match="pmej"):
        FluxReader(other)
