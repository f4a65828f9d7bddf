"""The render flow step under Prefect: bulletins, outbox delivery and the cycle's artifacts."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from iku import migrate
from iku import models as m
from iku.catalog import load_catalog
from iku.db import session_scope
from iku.rules import load_rules
from iku.runtime import process_runtime
from tests.conftest import CATALOG_DIR, RULES_FILE
from tests.integration.bulletin_fixtures import PERIOD, seed_period


@pytest.mark.slow
def test_render_flow_renders_delivers_and_publishes_artifacts(
    prefect_harness: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from prefect.artifacts import Artifact

    from flows.render import render_period

    migrate.upgrade(process_runtime().engine)
    load_catalog(CATALOG_DIR, process_runtime().engine)
    seed_period(process_runtime().engine, load_rules(RULES_FILE))

    result = render_period(PERIOD, workers=1)

    render, delivery = result["render"], result["delivery"]
    assert render["status"] == "completed" and render["failures"] == []
    out = process_runtime().settings.output_dir / PERIOD
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert render["bulletins"] == len({f["subject"] for f in manifest["files"]})
    assert delivery["channel"] == "eml" and delivery["sent"] > 0 and delivery["failed"] == []
    assert len(list((out / "outbox").glob("*.eml"))) == delivery["sent"]

    table = Artifact.get("bulletins-2026-10")
    assert table is not None and table.type == "table"
    assert "DINKES" in str(table.data) and "perangkat daerah" in str(table.data)
    links = Artifact.get("bulletin-links-2026-10")
    assert links is not None and links.type == "markdown"
    text = str(links.data)
    # no file:// link a browser cannot open: the path in the output folder, and how to link it
    assert "file://" not in text and str(out) not in text
    assert "`2026-10/provinsi.pdf`" in text and "IKU_PUBLIC_BASE_URL" in text
    deliveries = Artifact.get("deliveries-2026-10")
    assert deliveries is not None and "kepala.dinkes@lampungprov.example" in str(deliveries.data)

    monkeypatch.setenv("IKU_PUBLIC_BASE_URL", "https://iku.lampungprov.example/keluaran/")
    from iku.runtime import reset_process_runtime

    reset_process_runtime()
    again = render_period(PERIOD, workers=1)  # a rerun sends nothing twice
    assert again["delivery"]["sent"] == 0
    published = str(Artifact.get("bulletin-links-2026-10").data)  # type: ignore[union-attr]
    assert "(https://iku.lampungprov.example/keluaran/2026-10/provinsi.pdf)" in published
    with session_scope(process_runtime().engine) as session:
        logged = session.scalar(select(func.count()).select_from(m.Delivery))
    assert logged == delivery["sent"]
