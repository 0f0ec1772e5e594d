"""The document cache: a document already read is served from Prefect's result store by
its content key; a changed file, or a truncated record, is read again."""

from __future__ import annotations

from pathlib import Path

from core.limits import Limits
from core.models import Attachment
from extractors.intake import sha256_file
from extractors.sandbox import extract_isolated
from flows.cache import DocumentCache, document_key


def attachment(path: Path) -> Attachment:
    return Attachment(path.name, sha256_file(path), path.stat().st_size, str(path))


def counting_extract():
    calls: list[str] = []

    def extract(att: Attachment, limits: Limits):
        calls.append(att.path)
        return extract_isolated(att, limits)

    return extract, calls


def test_a_document_read_once_is_served_from_the_store(tmp_path, hostile):
    pdf = hostile / "text.pdf"
    store = tmp_path / "cache"
    extract, calls = counting_extract()
    first = DocumentCache(store, extract)
    doc = first.extract(attachment(pdf), Limits())
    assert first.extracted == [pdf.name] and first.cached == [] and calls == [pdf.name]

    second = DocumentCache(store, extract)  # a later run
    again = second.extract(attachment(pdf), Limits())
    assert second.cached == [pdf.name] and second.extracted == [] and calls == [pdf.name]
    assert again.text == doc.text and again.sha256 == doc.sha256


def test_changed_content_or_a_truncated_record_is_read_again(tmp_path, hostile):
    source = hostile / "text.pdf"
    pdf = tmp_path / "piece.pdf"
    pdf.write_bytes(source.read_bytes())
    store = tmp_path / "cache"
    extract, calls = counting_extract()
    DocumentCache(store, extract).extract(attachment(pdf), Limits())

    # a run killed while writing left half a record
    record = store / document_key(attachment(pdf), Limits())
    record.write_bytes(record.read_bytes()[:40])
    cache = DocumentCache(store, extract)
    assert cache.extract(attachment(pdf), Limits()).readable
    assert cache.extracted == [pdf.name] and len(calls) == 2

    # the owner sends another file under the same name
    pdf.write_bytes(source.read_bytes() + b"\n%% corrected\n")
    cache = DocumentCache(store, extract)
    cache.extract(attachment(pdf), Limits())
    assert cache.extracted == [pdf.name] and len(calls) == 3
