"""Large practices are built once and read back from disk by the next process (keyed by PMS, catalogue, seed,
size, anchor date and schema version); a damaged or missing image is rebuilt, and the cache can be turned off."""

from __future__ import annotations

from datetime import date

import pytest

from mock_halo.practice import build_catalogue, clear_cache, disk_cache, loader

ANCHOR = date(2026, 3, 2)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv(disk_cache.ENV, str(tmp_path))
    monkeypatch.setattr(disk_cache, "MIN_PATIENTS", 10)  # small practices, so the test stays quick
    clear_cache()
    yield tmp_path
    clear_cache()


def _no_generation(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the practice was generated, not read from the disk cache")
    monkeypatch.setattr(loader, "populate", refuse)


def test_a_built_practice_is_read_back_from_disk(cache, monkeypatch):
    built = build_catalogue("BestPractice", "BPSPatients", 7, 12, anchor=ANCHOR).serialize()
    images = list(cache.iterdir())
    assert len(images) == 1 and disk_cache.schema_version() in images[0].name
    assert "s7-p12-2026-03-02" in images[0].name
    clear_cache()  # a new process: nothing in memory
    _no_generation(monkeypatch)
    again = build_catalogue("BestPractice", "BPSPatients", 7, 12, anchor=ANCHOR)
    assert again.serialize() == built
    with pytest.raises(Exception, match="readonly|read-only|query_only"):  # still a read-only template
        again.execute("DELETE FROM PATIENTS")


def test_every_part_of_the_key_makes_another_image(cache):
    build_catalogue("BestPractice", "BPSPatients", 7, 12, anchor=ANCHOR)
    build_catalogue("BestPractice", "BPSPatients", 7, 12, anchor=date(2026, 3, 3))
    build_catalogue("BestPractice", "BPSPatients", 8, 12, anchor=ANCHOR)
    build_catalogue("BestPractice", "BPSPatients", 7, 13, anchor=ANCHOR)
    assert len(list(cache.iterdir())) == 4


def test_small_practices_and_a_disabled_cache_write_nothing(cache, monkeypatch):
    build_catalogue("BestPractice", "BPSPatients", 7, 9, anchor=ANCHOR)  # under MIN_PATIENTS
    assert list(cache.iterdir()) == []
    monkeypatch.setenv(disk_cache.ENV, "")
    build_catalogue("BestPractice", "BPSPatients", 7, 12, anchor=ANCHOR)
    assert list(cache.iterdir()) == []


def test_a_damaged_image_is_rebuilt(cache):
    built = build_catalogue("BestPractice", "BPSPatients", 7, 12, anchor=ANCHOR).serialize()
    (image,) = cache.iterdir()
    image.write_bytes(b"not a database")
    clear_cache()
    assert build_catalogue("BestPractice", "BPSPatients", 7, 12, anchor=ANCHOR).serialize() == built
    assert image.read_bytes() == built
