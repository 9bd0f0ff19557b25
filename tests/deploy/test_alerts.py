"""deploy/prometheus/alerts.yaml: well-formed rules over metrics and labels the broker exports."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from tests.deploy.support import DEPLOY
from tests.deploy.test_grafana import check_expression


@pytest.fixture(scope="module")
def rules() -> list[dict[str, Any]]:
    document = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yaml").read_text(encoding="utf-8"))
    found = [rule for group in document["groups"] for rule in group["rules"]]
    assert found
    return found


def test_every_alert_queries_exported_metrics_and_labels(rules: list[dict[str, Any]]) -> None:
    for rule in rules:
        check_expression(rule["alert"], rule["expr"])


def test_every_alert_is_named_classified_and_explained(rules: list[dict[str, Any]]) -> None:
    names = [rule["alert"] for rule in rules]
    assert len(names) == len(set(names))
    operations = (DEPLOY.parent / "docs" / "operations.md").read_text(encoding="utf-8")
    for rule in rules:
        assert rule["alert"].startswith("FrmrSso")
        assert rule["labels"]["severity"] in {"page", "ticket"}
        assert rule["annotations"]["summary"]
        assert f"`{rule['alert']}`" in operations, f"docs/operations.md does not explain {rule['alert']}"


def test_the_check_refuses_an_unknown_label() -> None:
    with pytest.raises(AssertionError, match="unknown labels"):
        check_expression("probe", 'sum by (tenant) (rate(frmr_sso_logins_total[5m]))')
