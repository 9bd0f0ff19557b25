"""deploy/grafana/frmr-sso.json: every query names a metric (and labels) that
``frmr_sso.web.metrics.Metrics`` registers, so renaming a metric fails here.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from prometheus_client.metrics import MetricWrapperBase

from frmr_sso.web.metrics import Metrics
from tests.deploy.support import DEPLOY


def _exported_metrics() -> dict[str, set[str]]:
    """Series names the registry exposes (counter ``x`` as ``x_total``) -> their label names."""
    metrics = Metrics()
    labels = {
        wrapper._name: set(wrapper._labelnames)
        for wrapper in vars(metrics).values()
        if isinstance(wrapper, MetricWrapperBase)
    }
    suffixes = {
        "counter": ("_total",),
        "histogram": ("_bucket", "_sum", "_count"),
        "summary": ("_sum", "_count"),
    }
    exported: dict[str, set[str]] = {}
    for family in metrics.registry.collect():
        for suffix in suffixes.get(family.type, ("",)):
            bucket = {"le"} if suffix == "_bucket" else set()  # a histogram's bucket bound
            exported[family.name + suffix] = labels.get(family.name, set()) | bucket
    assert exported
    return exported


def _queries(dashboard: dict[str, Any]) -> list[tuple[str, str]]:
    found = []
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            found.append((panel["title"], target["expr"]))
    for variable in dashboard.get("templating", {}).get("list", []):
        if variable.get("type") == "query":
            query = variable["query"]
            found.append((f"${variable['name']}", query["query"] if isinstance(query, dict) else query))
    return found


@pytest.fixture(scope="module")
def dashboard() -> dict[str, Any]:
    data = json.loads((DEPLOY / "grafana" / "frmr-sso.json").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def check_expression(where: str, expr: str) -> None:
    """A PromQL expression names only series and labels that ``Metrics`` exports."""
    exported = _exported_metrics()
    names = set(re.findall(r"\bfrmr_sso_\w+", expr))
    assert names, f"{where}: {expr!r} queries no frmr-sso metric"
    unknown = names - set(exported)
    assert not unknown, f"{where}: {sorted(unknown)} not in the registry ({sorted(exported)})"
    allowed = {"instance", "job"}.union(*(exported[n] for n in names))
    used = set()
    for matchers in re.findall(r"\bfrmr_sso_\w+\{([^}]*)\}", expr):
        used |= set(re.findall(r"(\w+)\s*(?:=~|!~|!=|=)", matchers))
    for grouping in re.findall(r"\b(?:by|without)\s*\(([^)]*)\)", expr):
        used |= {label.strip() for label in grouping.split(",") if label.strip()}
    assert used <= allowed, f"{where}: unknown labels {sorted(used - allowed)}"


def test_dashboard_panels_query_existing_metrics_and_labels(dashboard: dict[str, Any]) -> None:
    queries = _queries(dashboard)
    assert queries
    for where, expr in queries:
        check_expression(where, expr)


def test_dashboard_covers_logins_failures_and_audit(dashboard: dict[str, Any]) -> None:
    panels = dashboard["panels"]
    ids = [p["id"] for p in panels]
    assert len(ids) == len(set(ids))
    exprs = " ".join(expr for _, expr in _queries(dashboard))
    assert re.search(r"by \(outcome\) \(rate\(frmr_sso_logins_total", exprs), "login rate by outcome"
    assert re.search(r"by \(reason\) \(rate\(frmr_sso_logins_total\{outcome=\"failure\"", exprs)
    assert re.search(r"rate\(frmr_sso_audit_events_total", exprs), "audit events rate"
    for panel in panels:
        assert panel["datasource"]["uid"] == "${datasource}", f"{panel['title']}: hard-coded data source"


def test_metric_check_fails_for_a_renamed_metric(dashboard: dict[str, Any]) -> None:
    text = json.dumps(dashboard).replace("frmr_sso_logins_total", "frmr_sso_login_attempts_total")
    renamed = json.loads(text)
    with pytest.raises(AssertionError, match="not in the registry"):
        test_dashboard_panels_query_existing_metrics_and_labels(renamed)
