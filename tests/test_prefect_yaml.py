"""prefect.yaml is valid by Prefect's own model and its entrypoints load."""

from pathlib import Path

import yaml
from prefect.cli.deploy._models import PrefectYamlModel
from prefect.client.schemas.schedules import CronSchedule
from prefect.flows import load_flow_from_entrypoint

ROOT = Path(__file__).parent.parent


def test_prefect_yaml_is_valid_and_its_flows_load(monkeypatch):
    monkeypatch.chdir(ROOT)
    model = PrefectYamlModel.model_validate(yaml.safe_load((ROOT / "prefect.yaml").read_text()))
    names = {d.name for d in model.deployments}
    assert names == {"daily-refresh", "activity-refresh", "site-publish"}
    for deployment in model.deployments:
        flow = load_flow_from_entrypoint(deployment.entrypoint)
        flow.validate_parameters(deployment.parameters or {})
        for schedule in deployment.schedules or []:
            CronSchedule(cron=schedule.cron, timezone=schedule.timezone)


def test_daily_refresh_is_scheduled_nightly_without_overlap():
    raw = yaml.safe_load((ROOT / "prefect.yaml").read_text())
    daily = next(d for d in raw["deployments"] if d["name"] == "daily-refresh")
    assert daily["schedules"][0]["cron"] == "30 2 * * *"
    assert daily["schedules"][0]["timezone"] == "Europe/London"
    assert daily["concurrency_limit"] == 1
    assert daily["entrypoint"] == "flows/refresh.py:refresh"


def test_every_deployment_is_scheduled_tagged_pooled_and_never_overlaps_itself():
    raw = yaml.safe_load((ROOT / "prefect.yaml").read_text())
    for deployment in raw["deployments"]:
        assert deployment["concurrency_limit"] == 1, deployment["name"]
        assert "councillors" in deployment["tags"] and deployment["work_pool"]["name"] == "councillors"
        assert all(s["timezone"] == "Europe/London" and s["active"] for s in deployment["schedules"])
    entrypoints = {d["name"]: d["entrypoint"] for d in raw["deployments"]}
    assert entrypoints == {
        "daily-refresh": "flows/refresh.py:refresh",
        "activity-refresh": "flows/refresh.py:refresh_activity",
        "site-publish": "flows/refresh.py:publish_site",
    }
