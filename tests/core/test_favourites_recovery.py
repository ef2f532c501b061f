"""A damaged favourites file is kept aside (never deleted) and tracking still starts."""

from __future__ import annotations

from pathlib import Path

from helpers.fake_clock import FakeClock
from kimai_tray.core.catalog import Catalog
from kimai_tray.core.comforts import Comforts
from kimai_tray.core.favourites import Favourite, FavouriteStore
from kimai_tray.core.outbox import Outbox
from kimai_tray.core.state import NamedRef
from kimai_tray.core.tracker import Tracker


def _tracker(directory: Path) -> Tracker:
    return Tracker(
        Outbox(directory / "outbox.sqlite"), Catalog(directory / "catalog.sqlite"), FakeClock()
    )


def _favourite() -> Favourite:
    return Favourite(NamedRef(1, "ACME"), NamedRef(2, "Website"), NamedRef(3, "Design"), "", ())


def test_a_damaged_favourites_file_is_kept_aside_and_a_new_one_works(tmp_path: Path) -> None:
    damaged = b"not a database at all " * 200
    (tmp_path / "favourites.sqlite").write_bytes(damaged)
    tracker = _tracker(tmp_path)
    comforts = Comforts.beside(tracker)
    try:
        assert comforts.notice is not None and "favourites.sqlite" in comforts.notice
        assert "kept aside" in comforts.notice
        kept = [p for p in tmp_path.iterdir() if p.name.startswith("favourites.sqlite.")]
        assert [p.read_bytes() for p in kept] == [damaged]  # nothing in it destroyed
        comforts.store.add(_favourite())
        assert [f.key for f in comforts.store.list()] == [_favourite().key]
    finally:
        comforts.close()
        tracker.outbox.close()
        tracker.catalog.close()


def test_a_healthy_favourites_file_opens_without_a_notice(tmp_path: Path) -> None:
    store = FavouriteStore(tmp_path / "favourites.sqlite")
    store.add(_favourite())
    store.close()
    tracker = _tracker(tmp_path)
    comforts = Comforts.beside(tracker)
    try:
        assert comforts.notice is None
        assert len(comforts.store.list()) == 1
    finally:
        comforts.close()
        tracker.outbox.close()
        tracker.catalog.close()
