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
    assert "daily-refresh" in names
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
