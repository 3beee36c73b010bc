"""scripts/deploy-region.py: what it hands to sam deploy, without AWS."""

from __future__ import annotations

import copy
import functools
import json
import os
import re
import subprocess
import tempfile
import unittest
from contextlib import contextmanager, redirect_stderr
from io import StringIO
from pathlib import Path
from unittest import mock

import tomllib

from cfn import ROOT, Resolver, deploy_region_module, load_template, samconfig_environments

deploy = deploy_region_module()

RECORD = "api.regionflip-demo.example"
EAST_CHECK = "0f7c4c1e-1111-4a4a-8b8b-000000000001"
WEST_CHECK = "0f7c4c1e-2222-4a4a-8b8b-000000000002"
EAST_URL = "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod/health"
WEST_URL = "https://f6g7h8i9j0.execute-api.us-west-2.amazonaws.com/prod/health"


def check_config(url: str, search: str = "regionflip-healthy") -> dict:
    """The HealthCheckConfig ListHealthChecks returns for a stack's endpoint check."""
    host, _, path = url.removeprefix("https://").partition("/")
    return {"Type": "HTTPS_STR_MATCH", "FullyQualifiedDomainName": host, "Port": 443,
            "ResourcePath": "/" + path, "SearchString": search, "RequestInterval": 10,
            "FailureThreshold": 3, "EnableSNI": True, "MeasureLatency": False, "Inverted": False,
            "Disabled": False}


EAST = deploy.EndpointCheck(EAST_CHECK, EAST_URL, "regionflip-healthy")
WEST = deploy.EndpointCheck(WEST_CHECK, WEST_URL, "regionflip-healthy")


class FakeRoute53:
    """ListHealthChecks (paged, with each check's HealthCheckConfig) and
    ListTagsForResources (10 ids a call), as Route 53 answers."""

    def __init__(self, tags_by_id: dict[str, dict[str, str]], configs_by_id: dict[str, dict] | None = None):
        self.tags_by_id = tags_by_id
        self.configs_by_id = configs_by_id or {}
        self.tag_calls: list[list[str]] = []

    def get_paginator(self, name):
        assert name == "list_health_checks", name
        ids = list(self.tags_by_id)
        configs = self.configs_by_id

        class Pages:
            def paginate(self_inner):
                for start in range(0, len(ids), 3):
                    yield {"HealthChecks": [
                        {"Id": i, "CallerReference": f"ref-{i}", "HealthCheckVersion": 1,
                         "HealthCheckConfig": configs.get(i, {"Type": "CALCULATED", "ChildHealthChecks": []})}
                        for i in ids[start:start + 3]
                    ]}

        return Pages()

    def list_tags_for_resources(self, ResourceType, ResourceIds):
        assert ResourceType == "healthcheck"
        assert len(ResourceIds) <= 10, "Route 53 takes at most 10 ids per call"
        self.tag_calls.append(ResourceIds)
        return {"ResourceTagSets": [
            {"ResourceType": "healthcheck", "ResourceId": i,
             "Tags": [{"Key": k, "Value": v} for k, v in self.tags_by_id[i].items()]}
            for i in ResourceIds
        ]}


def endpoint_tags(region: str, record: str = RECORD, role: str = "endpoint") -> dict[str, str]:
    return {"regionflip:record": record, "regionflip:region": region, "regionflip:role": role}


def two_regions(**extra: str) -> dict[str, str]:
    params = {"RecordName": RECORD, "Region1Name": "us-east-1", "Region2Name": "us-west-2"}
    params.update(extra)
    return params


class Overrides(unittest.TestCase):
    def test_the_three_samconfig_spellings(self):
        self.assertEqual(deploy.parse_overrides(["A=1", "B=a,b", 'C="rate(1 minute)"', "D="]),
                         {"A": "1", "B": "a,b", "C": "rate(1 minute)", "D": ""})
        self.assertEqual(deploy.parse_overrides('A=1 C="rate(1 minute)"'), {"A": "1", "C": "rate(1 minute)"})
        self.assertEqual(deploy.parse_overrides({"A": 1}), {"A": "1"})
        with self.assertRaisesRegex(deploy.DeployError, "not Key=Value"):
            deploy.parse_overrides(["oops"])

    def test_routing_parameters_must_agree_across_environments(self):
        def env(**params):
            return {"deploy": {"parameters": {"parameter_overrides": [f"{k}={v}" for k, v in params.items()]}}}

        config = {
            "us-east-1": env(RecordName=RECORD, HealthDrain="true", Region1HealthCheckId=EAST_CHECK),
            "us-west-2": env(RecordName=RECORD, HealthDrain="false"),
        }
        self.assertEqual(deploy.routing_disagreements(config), [],
                         "per-region parameters (Health*, health check ids) may differ")
        config["us-west-2"] = env(RecordName="other.example")
        (problem,) = deploy.routing_disagreements(config)
        self.assertIn("RecordName differs", problem)


class Discovery(unittest.TestCase):
    def test_finds_each_regions_endpoint_check_by_tag(self):
        tags = {f"decoy-{i}": endpoint_tags("us-west-2", record="other.example") for i in range(12)}
        tags["calc"] = endpoint_tags("us-west-2", role="calculated")
        tags[WEST_CHECK] = endpoint_tags("us-west-2")
        tags[EAST_CHECK] = endpoint_tags("us-east-1")
        configs = {WEST_CHECK: check_config(WEST_URL), EAST_CHECK: check_config(EAST_URL)}
        configs.update({f"decoy-{i}": check_config(f"https://decoy{i}.example/health") for i in range(12)})
        route53 = FakeRoute53(tags, configs)
        found = deploy.discover_endpoint_checks(RECORD, ["us-west-2"], route53)
        self.assertEqual(found, {"us-west-2": [WEST]},
                         "only the endpoint check of this record in the asked regions, with what it probes")
        self.assertEqual(sum(len(c) for c in route53.tag_calls), len(tags), "every check's tags read once")

    def test_the_url_is_what_route53_requests(self):
        url = deploy.probed_url
        self.assertEqual(url(check_config(WEST_URL)), WEST_URL, "execute-api host, stage in the path")
        self.assertEqual(url({"Type": "HTTPS_STR_MATCH", "FullyQualifiedDomainName": "health-us-west-2.example.com",
                              "Port": 443, "ResourcePath": "/health"}),
                         "https://health-us-west-2.example.com/health", "a custom domain maps the stage at its root")
        self.assertEqual(url({"Type": "HTTPS", "FullyQualifiedDomainName": "h.example.com", "Port": 8443,
                              "ResourcePath": "health"}), "https://h.example.com:8443/health")
        self.assertEqual(url({"Type": "HTTP_STR_MATCH", "IPAddress": "192.0.2.10", "Port": 80}),
                         "http://192.0.2.10/")
        self.assertIsNone(url({"Type": "CALCULATED", "ChildHealthChecks": []}))
        self.assertIsNone(url({"Type": "CLOUDWATCH_METRIC"}))

    def test_fills_other_regions_and_keeps_its_own_slot_to_the_stack(self):
        params = two_regions()
        missing = deploy.fill_from_endpoint_checks(params, "us-east-1", {"us-west-2": [WEST]})
        self.assertEqual(missing, [])
        self.assertEqual(params["Region2HealthCheckId"], WEST_CHECK)
        self.assertEqual(params["Region2HealthUrl"], WEST_URL)
        self.assertEqual(params["Region2HealthSearch"], "regionflip-healthy")
        self.assertNotIn("Region1HealthCheckId", params, "the stack's own slot comes from the stack itself")
        self.assertNotIn("Region1HealthUrl", params, "the stack's own slot comes from the stack itself")
        self.assertEqual(params["Region1HealthSearch"], "regionflip-healthy",
                         "the own slot's search string is the HealthMatch the stack serves (template rule)")

    def test_each_regions_search_string_is_the_one_its_endpoint_serves(self):
        params = two_regions(HealthMatch="east-ok")
        deploy.fill_from_endpoint_checks(
            params, "us-east-1", {"us-west-2": [deploy.EndpointCheck(WEST_CHECK, WEST_URL, "west-ok")]})
        self.assertEqual((params["Region1HealthSearch"], params["Region2HealthSearch"]), ("east-ok", "west-ok"))

    def test_refuses_a_search_string_the_endpoint_does_not_serve(self):
        params = two_regions(Region2HealthSearch="regionflip-healthy")
        with self.assertRaisesRegex(deploy.DeployError, "every probe of us-west-2 would fail"):
            deploy.fill_from_endpoint_checks(
                params, "us-east-1", {"us-west-2": [deploy.EndpointCheck(WEST_CHECK, WEST_URL, "west-ok")]})

    def test_reports_a_region_not_deployed_yet(self):
        params = two_regions()
        self.assertEqual(deploy.fill_from_endpoint_checks(params, "us-east-1", {}), ["us-west-2"])
        self.assertNotIn("Region2HealthUrl", params, "no URL is invented for a region not deployed")

    def test_a_check_without_a_url_leaves_the_region_missing(self):
        params = two_regions()
        missing = deploy.fill_from_endpoint_checks(
            params, "us-east-1", {"us-west-2": [deploy.EndpointCheck(WEST_CHECK)]})
        self.assertEqual(missing, ["us-west-2"], "a watcher without every region's health URL stays disabled")

    def test_an_explicit_id_wins(self):
        params = two_regions(Region2HealthCheckId=WEST_CHECK)
        other = deploy.EndpointCheck("0f7c4c1e-9999-4a4a-8b8b-000000000009", "https://other.example/health")
        self.assertEqual(deploy.fill_from_endpoint_checks(params, "us-east-1", {"us-west-2": [other, WEST]}), [])
        self.assertEqual(params["Region2HealthCheckId"], WEST_CHECK)
        self.assertEqual(params["Region2HealthUrl"], WEST_URL, "the URL of the check named, not of another")

    def test_an_explicit_url_wins(self):
        url = "https://health-us-west-2.regionflip-demo.example/health"
        params = two_regions(Region2HealthUrl=url)
        self.assertEqual(deploy.fill_from_endpoint_checks(params, "us-east-1", {"us-west-2": [WEST]}), [])
        self.assertEqual(params["Region2HealthUrl"], url)

    def test_refuses_two_checks_for_one_region(self):
        with self.assertRaisesRegex(deploy.DeployError, "two stacks serve one record"):
            deploy.fill_from_endpoint_checks(two_regions(), "us-east-1", {"us-west-2": [WEST, EAST]})


class Deploy(unittest.TestCase):
    def test_dry_run_ships_the_built_zips_and_disables_a_partial_watcher(self):
        with tempfile.TemporaryDirectory() as tmp:
            target = Path(tmp)
            for binary in ("health", "watcher"):
                (target / "lambda" / binary).mkdir(parents=True)
                (target / "lambda" / binary / "bootstrap.zip").write_bytes(b"PK")
            old = os.environ.get("CARGO_TARGET_DIR")
            os.environ["CARGO_TARGET_DIR"] = tmp
            try:
                err = StringIO()
                with redirect_stderr(err):
                    code = deploy.main(["--region", "us-west-2", "--config", str(ROOT / "samconfig.example.toml"),
                                        "--no-discover", "--dry-run", "--set", "HealthDrain=true"])
            finally:
                if old is None:
                    del os.environ["CARGO_TARGET_DIR"]
                else:
                    os.environ["CARGO_TARGET_DIR"] = old
            self.assertEqual(code, 0, err.getvalue())
            output = err.getvalue()
            self.assertIn("deployed DISABLED", output, "a watcher without us-east-1's check must not run")
            self.assertIn('WatcherState="DISABLED"', output)
            self.assertIn('HealthDrain="true"', output, "--set must reach sam deploy")
            self.assertIn('Region2HealthSearch="regionflip-healthy"', output,
                          "the own slot's search string must be the HealthMatch the stack serves")
            self.assertNotIn("Region1HealthUrl", output, "no URL is invented for a region not found")
            self.assertIn('Region1Alarms="regionflip-demo-api-errors-us-east-1"', output,
                          "samconfig's overrides must be passed along: --parameter-overrides replaces them")
            packaged = json.loads((ROOT / "target/template-tools/deploy/us-west-2/template.json").read_text())
            for function, binary in deploy.FUNCTION_BINARIES.items():
                self.assertEqual(packaged["Resources"][function]["Properties"]["CodeUri"],
                                 str(target / "lambda" / binary / "bootstrap.zip"),
                                 f"{function} must ship the zip make build checked")

    def test_refuses_a_region_the_environment_does_not_deploy_to(self):
        err = StringIO()
        with redirect_stderr(err):
            code = deploy.main(["--region", "eu-west-1", "--env", "us-east-1", "--config",
                                str(ROOT / "samconfig.example.toml"), "--no-discover", "--dry-run"])
        self.assertEqual(code, 2, "a deploy to a region its environment does not name must be refused")
        self.assertIn("deploys to us-east-1, not eu-west-1", err.getvalue())

    def test_refuses_without_a_samconfig(self):
        err = StringIO()
        with redirect_stderr(err):
            code = deploy.main(["--region", "us-east-1", "--config", "/nonexistent/samconfig.toml", "--dry-run"])
        self.assertEqual(code, 2)
        self.assertIn("copy samconfig.example.toml", err.getvalue())


def to_env(cli: dict) -> dict[str, str]:
    """crates/core/src/config.rs Config::to_env, for a TOML document as the CLI reads it."""
    env = {
        "HOSTED_ZONE_ID": cli["hosted_zone_id"],
        "RECORD_NAME": cli["record_name"],
        "RECORD_TYPE": cli["record_type"],
        "TTL": str(cli["ttl"]),
        "MODE": cli["mode"],
        "ROUTING": cli.get("routing", "failover"),
        "MIN_IN_SERVICE": str(cli.get("min_in_service", 1)),
        "METRICS_NAMESPACE": cli["metrics_namespace"],
        "FAILBACK_MODE": cli["failback"]["mode"],
        "FAILBACK_STABLE_FOR_SECS": str(cli["failback"]["stable_for_secs"]),
        "FAILBACK_MIN_DWELL_SECS": str(cli["failback"]["min_dwell_secs"]),
        "FAILBACK_HORIZON_SECS": str(cli["failback"].get("horizon_secs", 0)),
        "FAILBACK_MAX_FLIPS_PER_HOUR": str(cli["failback"]["max_flips_per_hour"]),
        "FAILOVER_RESPECT_GUARDS": str(cli["failover"]["respect_guards"]).lower(),
        "FAILOVER_NO_DATA_ON_STANDBY": cli["failover"].get("no_data_on_standby", "idle"),
    }
    if "journal" in cli:
        env["JOURNAL_LOG_GROUP"] = cli["journal"]["log_group"]
    for i, region in enumerate(cli["regions"], start=1):
        env[f"REGION_{i}_NAME"] = region["name"]
        env[f"REGION_{i}_TARGET"] = region["target"]
        if "alias_hosted_zone_id" in region:
            env[f"REGION_{i}_ALIAS_HOSTED_ZONE_ID"] = region["alias_hosted_zone_id"]
        if "health_check_id" in region:
            env[f"REGION_{i}_HEALTH_CHECK_ID"] = region["health_check_id"]
        if "health_url" in region:
            env[f"REGION_{i}_HEALTH_URL"] = region["health_url"]
        env[f"REGION_{i}_HEALTH_SEARCH"] = region.get("health_search", "regionflip-healthy")
        env[f"REGION_{i}_ALARMS"] = ",".join(region["alarms"])
        env[f"REGION_{i}_GUARDS"] = ",".join(region["guards"])
        env[f"REGION_{i}_WEIGHT"] = str(region.get("weight", 1))
    return {f"REGIONFLIP_{k}": v for k, v in env.items()}


class CliConfig(unittest.TestCase):
    def test_the_cli_reads_the_configuration_the_watchers_run_on(self):
        for no_data in ("idle", "unknown"):
            params = dict(samconfig_environments()["us-east-1"]["overrides"])
            params["FailoverNoDataOnStandby"] = no_data
            # What the us-east-1 deploy finds by tag (and sets for its own slot).
            deploy.fill_from_endpoint_checks(params, "us-east-1", {"us-west-2": [WEST]})
            template = load_template()
            variables = template["Resources"]["WatcherFunction"]["Properties"]["Environment"]["Variables"]
            watcher = Resolver(template, params, region="us-east-1").resolve(variables)
            self.assertEqual(watcher.pop("REGIONFLIP_REGION_1_HEALTH_CHECK_ID"), "<EndpointHealthCheck>")
            watcher["REGIONFLIP_REGION_1_HEALTH_CHECK_ID"] = EAST_CHECK  # the stack's own check
            own_url = watcher.pop("REGIONFLIP_REGION_1_HEALTH_URL")
            self.assertEqual(own_url, "https://<HealthApi>.execute-api.us-east-1.amazonaws.com/prod/health")
            watcher["REGIONFLIP_REGION_1_HEALTH_URL"] = EAST_URL  # the stack's own endpoint
            watcher.pop("REGIONFLIP_WATCHER_WAIT_IN_SYNC_SECS")  # a Lambda knob, not configuration

            # What --write-cli-config finds by tag: every region's check.
            cli_params = dict(samconfig_environments()["us-east-1"]["overrides"])
            cli_params["FailoverNoDataOnStandby"] = no_data
            missing = deploy.fill_from_endpoint_checks(cli_params, "", {"us-east-1": [EAST], "us-west-2": [WEST]})
            self.assertEqual(missing, [])
            stack = samconfig_environments()["us-east-1"]["stack_name"]
            cli = tomllib.loads(deploy.cli_config(cli_params, stack))
            self.assertEqual(cli["journal"]["log_group"], f"/regionflip/{stack}/watcher")
            self.assertEqual(cli["failover"]["no_data_on_standby"], no_data)
            self.assertEqual([r["health_url"] for r in cli["regions"]], [EAST_URL, WEST_URL])
            self.assertEqual([r["health_search"] for r in cli["regions"]], ["regionflip-healthy"] * 2)
            self.assertEqual(to_env(cli), watcher,
                             "regionflip.toml written for the CLI and the watcher's environment disagree")

    def test_active_active_routing_reaches_the_cli_as_the_watchers_run_it(self):
        params = dict(samconfig_environments()["us-east-1"]["overrides"])
        params.update(Routing="weighted", Region1Weight="3", Region1HealthCheckId=EAST_CHECK,
                      Region2HealthCheckId=WEST_CHECK, Region1HealthUrl=EAST_URL, Region2HealthUrl=WEST_URL)
        self.assertEqual(deploy.rule_problems(params, "us-east-1"), [])
        cli = tomllib.loads(deploy.cli_config(params))
        self.assertEqual((cli["routing"], cli["min_in_service"]), ("weighted", 1))
        self.assertEqual([r["weight"] for r in cli["regions"]], [3, 1],
                         "with weighted routing every region's share is written out")
        watcher = Resolver(load_template(), params, region="us-west-2").resolve(
            load_template()["Resources"]["WatcherFunction"]["Properties"]["Environment"]["Variables"])
        env = to_env(cli)
        for key in ("REGIONFLIP_ROUTING", "REGIONFLIP_MIN_IN_SERVICE", "REGIONFLIP_REGION_1_WEIGHT",
                    "REGIONFLIP_REGION_2_WEIGHT"):
            self.assertEqual(env[key], watcher[key], key)
        latency = dict(params, Routing="latency", Region1Weight="1", MinInService="1")
        cli = tomllib.loads(deploy.cli_config(latency))
        self.assertEqual(cli["routing"], "latency")
        self.assertFalse([r for r in cli["regions"] if "weight" in r], "weight 1, the default, is left out")

    def test_a_region_not_deployed_has_no_health_url_in_the_cli_configuration(self):
        params = dict(samconfig_environments()["us-east-1"]["overrides"])
        deploy.fill_from_endpoint_checks(params, "", {"us-east-1": [EAST]})
        cli = tomllib.loads(deploy.cli_config(params))
        self.assertEqual(cli["regions"][0]["health_url"], EAST_URL)
        self.assertNotIn("health_url", cli["regions"][1])
        self.assertEqual(cli["regions"][1]["health_search"], "regionflip-healthy", "the default health_search")

    def test_matches_the_sample_configuration(self):
        with (ROOT / "events" / "watcher-config.toml").open("rb") as f:
            sample = tomllib.load(f)
        params = dict(samconfig_environments()["us-east-1"]["overrides"])
        params.update(Region1HealthCheckId=EAST_CHECK, Region2HealthCheckId=WEST_CHECK)
        for slot, region in enumerate(sample["regions"], start=1):
            if "health_url" in region:  # the sample's endpoints, as the deploy would find them
                params[f"Region{slot}HealthUrl"] = region["health_url"]
            region.setdefault("health_search", "regionflip-healthy")  # the default, written out
        cli = tomllib.loads(deploy.cli_config(params))
        for key in ("hosted_zone_id", "record_name", "record_type", "ttl", "mode", "failback", "regions"):
            self.assertEqual(cli[key], sample[key], f"{key}: samconfig.example.toml drifted from events/watcher-config.toml")


if __name__ == "__main__":
    unittest.main()


class ReplacedEndpointChecks(unittest.TestCase):
    """CloudFormation replaces an endpoint check when HealthCheckInterval changes
    (RequestInterval is create-only) and, with UpdateReplacePolicy Retain, keeps the old
    one: two checks carry the region's tags until the operator deletes the old one."""

    def test_the_check_at_the_region_s_interval_is_the_one_in_use(self):
        retained = deploy.EndpointCheck("0f7c4c1e-2222-4a4a-8b8b-00000000old0", WEST_URL,
                                        "regionflip-healthy", 30)
        current = deploy.EndpointCheck(WEST_CHECK, WEST_URL, "regionflip-healthy", 10)
        params = two_regions()
        err = StringIO()
        with redirect_stderr(err):
            missing = deploy.fill_from_endpoint_checks(
                params, "us-east-1", {"us-west-2": [retained, current]}, {"us-west-2": 10})
        self.assertEqual(missing, [])
        self.assertEqual(params["Region2HealthCheckId"], WEST_CHECK)
        self.assertIn(retained.id, err.getvalue(), "the retained check is named for deletion")
        self.assertIn("regionflip init", err.getvalue())

    def test_two_checks_at_the_same_interval_are_still_two_stacks(self):
        other = deploy.EndpointCheck("0f7c4c1e-2222-4a4a-8b8b-0000000other", WEST_URL,
                                     "regionflip-healthy", 10)
        current = deploy.EndpointCheck(WEST_CHECK, WEST_URL, "regionflip-healthy", 10)
        with self.assertRaisesRegex(deploy.DeployError, "two stacks serve one record"):
            deploy.fill_from_endpoint_checks(two_regions(), "us-east-1",
                                             {"us-west-2": [other, current]}, {"us-west-2": 10})

    def test_discovery_reads_each_check_s_interval(self):
        route53 = FakeRoute53({WEST_CHECK: endpoint_tags("us-west-2")},
                              {WEST_CHECK: check_config(WEST_URL)})
        found = deploy.discover_endpoint_checks(RECORD, ["us-west-2"], route53)
        self.assertEqual(found["us-west-2"][0].interval, 10)

    def test_each_region_s_interval_comes_from_its_own_environment(self):
        config = {
            "us-east-1": {"deploy": {"parameters": {"region": "us-east-1",
                                                    "parameter_overrides": "HealthCheckInterval=10"}}},
            "us-west-2": {"deploy": {"parameters": {"region": "us-west-2"}}},
        }
        self.assertEqual(deploy.check_intervals(config, default=30), {"us-east-1": 10, "us-west-2": 30})

    def test_reserved_concurrency_is_each_region_s_own(self):
        # Each region's account quota differs; it is no routing parameter.
        self.assertFalse(deploy.is_routing_parameter("WatcherReservedConcurrency"))


#: The real lookup, also when a test patches it out of main's way.
DISCOVER = deploy.discover_endpoint_checks


def example_config() -> dict:
    with (ROOT / "samconfig.example.toml").open("rb") as f:
        return tomllib.load(f)


class World:
    """Route 53 as the rollout sees it: a region's endpoint check exists (tagged, with its
    HealthCheckConfig) once its stack has been deployed. Discovery runs the real
    discover_endpoint_checks against a FakeRoute53 of what exists."""

    URLS = {"us-east-1": (EAST_CHECK, EAST_URL), "us-west-2": (WEST_CHECK, WEST_URL)}

    def __init__(self):
        self.deployed: list[str] = []

    def discover(self, record, regions):
        tags = {self.URLS[r][0]: endpoint_tags(r, record=record) for r in self.deployed}
        configs = {self.URLS[r][0]: check_config(self.URLS[r][1]) for r in self.deployed}
        return DISCOVER(record, regions, FakeRoute53(tags, configs))


class Stack:
    """What CloudFormation keeps of the parameters `sam deploy` passes. On an update, a
    template parameter that --parameter-overrides leaves out keeps the stack's previous
    value (SAM CLI sends UsePreviousValue for it); on creation it takes the template's
    default. This is why a plain second pass could never lift a DISABLED."""

    def __init__(self):
        self.parameters: dict[str, str] | None = None

    def deploy(self, passed: dict[str, str]):
        defaults = {k: str(v["Default"]) for k, v in load_template()["Parameters"].items() if "Default" in v}
        previous = self.parameters if self.parameters is not None else defaults
        self.parameters = {**defaults, **previous, **passed}


class TwoPassRollout(unittest.TestCase):
    """docs/deploy.md, "Step by step: two regions": step 4 deploys both regions with
    SET=WatcherState=DISABLED, step 8 deploys both again with a plain make deploy. The
    rollout must end with both watchers ENABLED (and so their alarms' actions on)."""

    def rollout(self, passes: list[tuple[str, list[str]]], config: dict | None = None):
        config = config or example_config()
        world, stacks, sequence = World(), {}, []
        for region, sets in passes:
            err = StringIO()
            with redirect_stderr(err):
                params, choice = deploy.plan_deploy(config, region, region, sets, world.discover)
            stacks.setdefault(region, Stack()).deploy(params)
            if region not in world.deployed:
                world.deployed.append(region)  # its stack created its endpoint check
            sequence.append((region, params["WatcherState"], choice.reason))
        return sequence, stacks

    def test_the_documented_two_pass_rollout_ends_enabled(self):
        sequence, stacks = self.rollout([
            ("us-east-1", ["WatcherState=DISABLED"]),  # step 4
            ("us-west-2", ["WatcherState=DISABLED"]),
            ("us-east-1", []),  # step 8
            ("us-west-2", []),
        ])
        self.assertEqual([(r, s) for r, s, _ in sequence], [
            ("us-east-1", "DISABLED"), ("us-west-2", "DISABLED"),
            ("us-east-1", "ENABLED"), ("us-west-2", "ENABLED"),
        ], "the first pass is off in both regions, the second on in both")
        self.assertIn("set by --set", sequence[1][2], "the first pass says the operator chose DISABLED")
        for _, _, reason in sequence[2:]:
            self.assertIn("WatcherState=ENABLED: every region's endpoint check", reason)
        for region, stack in stacks.items():
            self.assertEqual(stack.parameters["WatcherState"], "ENABLED",
                             f"{region}'s stack stays DISABLED after the rollout (UsePreviousValue)")
        east = stacks["us-east-1"].parameters
        self.assertEqual((east["Region2HealthCheckId"], east["Region2HealthUrl"]), (WEST_CHECK, WEST_URL))
        west = stacks["us-west-2"].parameters
        self.assertEqual((west["Region1HealthCheckId"], west["Region1HealthUrl"]), (EAST_CHECK, EAST_URL))

    def test_a_rollout_without_set_ends_enabled_too(self):
        # docs/deploy.md, "Deploy order for the health URLs": the first region is forced
        # off (the other has no check yet), the last one finds every check.
        sequence, stacks = self.rollout([("us-east-1", []), ("us-west-2", []), ("us-east-1", [])])
        self.assertEqual([(r, s) for r, s, _ in sequence],
                         [("us-east-1", "DISABLED"), ("us-west-2", "ENABLED"), ("us-east-1", "ENABLED")])
        self.assertIn("deployed DISABLED", sequence[0][2])
        self.assertIn("us-west-2", sequence[0][2], "the message names the region it could not find")
        self.assertEqual({r: s.parameters["WatcherState"] for r, s in stacks.items()},
                         {"us-east-1": "ENABLED", "us-west-2": "ENABLED"})

    def test_a_watcher_state_set_in_the_samconfig_is_kept(self):
        config = example_config()
        config["us-west-2"]["deploy"]["parameters"]["parameter_overrides"].append("WatcherState=DISABLED")
        sequence, _ = self.rollout([("us-east-1", []), ("us-west-2", []), ("us-east-1", [])], config)
        self.assertEqual(sequence[1][1], "DISABLED", "the operator's samconfig keeps us-west-2 off")
        self.assertIn("[us-west-2] in the samconfig", sequence[1][2])
        self.assertEqual(sequence[2][1], "ENABLED")

    def test_enabled_by_hand_is_still_forced_off_while_a_region_is_missing(self):
        sequence, _ = self.rollout([("us-east-1", ["WatcherState=ENABLED"])])
        self.assertEqual(sequence[0][1], "DISABLED", "a partial view never runs, even when asked to")

    def test_the_choice_reaches_sam_deploy_and_is_printed(self):
        world = World()
        world.deployed = ["us-west-2"]
        with fake_zips() as target:
            err = StringIO()
            with mock.patch.object(deploy, "discover_endpoint_checks", world.discover), \
                    mock.patch("boto3.client", clients(FakeLambda(1000))), redirect_stderr(err):
                code = deploy.main(["--region", "us-east-1", "--config", str(ROOT / "samconfig.example.toml"),
                                    "--dry-run"])
        self.assertEqual(code, 0, err.getvalue())
        self.assertIn('WatcherState="ENABLED"', err.getvalue(), "ENABLED must be passed, not left to UsePreviousValue")
        self.assertIn("deploy-region: WatcherState=ENABLED: every region's endpoint check", err.getvalue())


@contextmanager
def fake_zips():
    """The two bootstrap.zip files make build leaves, in a CARGO_TARGET_DIR of their own."""
    with tempfile.TemporaryDirectory() as tmp:
        for binary in ("health", "watcher"):
            (Path(tmp) / "lambda" / binary).mkdir(parents=True)
            (Path(tmp) / "lambda" / binary / "bootstrap.zip").write_bytes(b"PK")
        with mock.patch.dict(os.environ, {"CARGO_TARGET_DIR": tmp}):
            yield Path(tmp)


def run_main(argv: list[str]) -> tuple[int, str]:
    err = StringIO()
    with fake_zips(), redirect_stderr(err):
        code = deploy.main(argv)
    return code, err.getvalue()


def plan(sets: list[str], region: str = "us-east-1", config: dict | None = None, found=None):
    """plan_deploy for the example samconfig, with the other region's check found."""
    found = found if found is not None else {"us-west-2": [WEST], "us-east-1": [EAST]}
    err = StringIO()
    with redirect_stderr(err):
        return deploy.plan_deploy(config or example_config(), region, region, sets,
                                  lambda record, regions: {r: found.get(r, []) for r in regions})


class ParameterValues(unittest.TestCase):
    """deploy-region.py refuses, before any AWS call, what CloudFormation would refuse
    after uploading and creating a change set: AllowedValues, AllowedPattern,
    MinLength/MaxLength, MinValue/MaxValue, Number types, unknown and missing
    parameters, and the template's Rules."""

    def problems(self, **values: str) -> list[str]:
        params = dict(samconfig_environments()["us-east-1"]["overrides"])
        params.update(values)
        return deploy.parameter_problems(params)

    def test_the_example_samconfig_is_clean(self):
        for name, env in samconfig_environments().items():
            self.assertEqual(deploy.parameter_problems(env["overrides"]), [], name)
            params, _ = plan([], region=name)
            self.assertEqual(deploy.rule_problems(params, name), [], name)

    def test_the_health_check_interval_is_10_or_30(self):
        (problem,) = self.problems(HealthCheckInterval="20")
        self.assertIn("HealthCheckInterval='20': must be one of 10, 30", problem)
        self.assertEqual(self.problems(HealthCheckInterval="10"), [])

    def test_a_lower_case_hosted_zone_id_is_refused_with_the_fix(self):
        (problem,) = self.problems(HostedZoneId="z0demo0000000000000001")
        self.assertIn("HostedZoneId='z0demo0000000000000001'", problem)
        self.assertIn("use 'Z0DEMO0000000000000001' (in upper case)", problem)
        (problem,) = self.problems(HostedZoneId="/hostedzone/Z0DEMO0000000000000001")
        self.assertIn("use 'Z0DEMO0000000000000001' (without /hostedzone/)", problem)

    def test_a_misspelt_parameter_is_named_with_the_likely_one(self):
        (problem,) = self.problems(HealthChekInterval="10")
        self.assertIn("HealthChekInterval: the template has no such parameter; did you mean HealthCheckInterval?", problem)

    def test_a_parameter_without_default_must_be_set(self):
        params = dict(samconfig_environments()["us-east-1"]["overrides"])
        del params["HostedZoneId"]
        (problem,) = deploy.parameter_problems(params)
        self.assertIn("HostedZoneId is required", problem)

    def test_every_constraint_of_the_template_is_checked(self):
        """Generic: for each parameter, a value breaking each of its constraints is refused,
        and the problem names the parameter; its default passes."""
        template = load_template()
        checked = 0
        for name, spec in template["Parameters"].items():
            bad: list[str] = []
            if "AllowedValues" in spec:
                bad.append("not-an-allowed-value")
            if "MinValue" in spec:
                bad.append(str(int(spec["MinValue"]) - 1))
            if "MaxValue" in spec:
                bad.append(str(int(spec["MaxValue"]) + 1))
            if spec.get("Type") == "Number":
                bad.append("ten")
            if "MaxLength" in spec:
                bad.append("x" * (int(spec["MaxLength"]) + 1))
            if int(spec.get("MinLength", 0)) >= 1:
                bad.append("")
            if "AllowedPattern" in spec:
                refused = [v for v in ('"', "a b\t", "UPPER_lower_", "", "x" * 300, "-")
                           if not re.fullmatch(spec["AllowedPattern"], v)]
                self.assertTrue(refused, f"{name}: no sample value breaks {spec['AllowedPattern']}")
                bad.append(refused[0])
            for value in bad:
                params = {n: str(s["Default"]) if "Default" in s else "x" for n, s in template["Parameters"].items()}
                params[name] = value
                problems = [p for p in deploy.parameter_problems(params, template) if p.startswith(name)]
                self.assertTrue(problems, f"{name}={value[:20]!r} breaks the template and was not refused")
                checked += 1
            if "Default" in spec:
                params = dict(samconfig_environments()["us-east-1"]["overrides"])
                params[name] = str(spec["Default"])
                self.assertEqual([p for p in deploy.parameter_problems(params) if p.startswith(name)], [],
                                 f"{name}'s own default is refused")
        self.assertGreater(checked, 60, "the template's constraints were not all exercised")

    def test_the_template_s_rules_are_checked(self):
        params, _ = plan([])
        self.assertEqual(deploy.rule_problems(params, "us-east-1"), [])
        third = dict(params, Region3Name="eu-west-1")
        (problem,) = deploy.rule_problems(third, "us-east-1")
        self.assertIn("Region3HasTarget", problem)
        self.assertIn("Region3Target must be set too", problem)
        served = dict(params, HealthMatch="east-ok")  # Region1HealthSearch left at the default
        self.assertEqual([p.split(":")[0] for p in deploy.rule_problems(served, "us-east-1")],
                         ["template rule Region1HealthSearchIsServed"])

    def test_active_active_routing_is_checked_before_the_deploy(self):
        """Rules.ActiveActiveNeedsHealthGate and its neighbours, as the deploy evaluates
        them (crates/core/src/config.rs refuses the same at the watcher's cold start)."""
        params, _ = plan([])

        def refused(**values: str) -> list[str]:
            return [p.split(":")[0].removeprefix("template rule ")
                    for p in deploy.rule_problems(dict(params, **values), "us-east-1")]

        self.assertEqual(refused(Routing="latency"), [])
        self.assertEqual(refused(Routing="weighted", Region1Weight="5", Region2Weight="1"), [])
        self.assertEqual(refused(Routing="latency", Mode="records"), ["ActiveActiveNeedsHealthGate"])
        (problem,) = deploy.rule_problems(dict(params, Routing="weighted", Mode="records"), "us-east-1")
        self.assertIn("Mode=health-gate, or Routing=failover", problem)
        self.assertEqual(refused(Routing="latency", FailbackMaxFlipsPerHour="1"), ["ActiveActiveNeedsHealthGate"])
        self.assertEqual(refused(Region2Weight="2"), ["WeightsNeedWeightedRouting"])
        self.assertEqual(refused(Routing="latency", Region2Weight="2"), ["WeightsNeedWeightedRouting"])
        self.assertEqual(refused(Routing="latency", MinInService="2"), ["TwoRegionsKeepMinInServiceAtOne"])
        three = dict(Region3Name="eu-west-1", Region3Target="x1.execute-api.eu-west-1.amazonaws.com")
        self.assertEqual(refused(Routing="latency", MinInService="2", **three), [])
        self.assertEqual(refused(MinInService="2", **three), ["FailoverRoutingKeepsMinInServiceAtOne"])
        self.assertEqual(refused(Routing="latency", MinInService="3", **three),
                         ["ThreeRegionsKeepMinInServiceBelowThree"])

    def test_a_bad_value_stops_the_deploy_before_any_lookup(self):
        def no_lookup(record, regions):
            raise AssertionError("discovery ran although the parameters are refused")

        with self.assertRaisesRegex(deploy.DeployError, "HealthCheckInterval='20'"):
            deploy.plan_deploy(example_config(), "us-east-1", "us-east-1", ["HealthCheckInterval=20"], no_lookup)
        code, err = run_main(["--region", "us-east-1", "--config", str(ROOT / "samconfig.example.toml"),
                              "--dry-run", "--set", "HealthCheckInterval=20"])
        self.assertEqual(code, 2)
        self.assertIn("HealthCheckInterval='20': must be one of 10, 30", err)
        self.assertNotIn("Traceback", err)


class FailingRoute53:
    """A Route 53 client whose every call fails the way botocore fails."""

    def __init__(self, error: Exception):
        self.error = error

    def get_paginator(self, name):
        error = self.error

        class Pages:
            def paginate(self_inner):
                raise error

        return Pages()

    def list_tags_for_resources(self, **kwargs):
        raise self.error


class Credentials(unittest.TestCase):
    """Without credentials, botocore raises NoCredentialsError on the first call (before
    any request leaves the machine); with bad or unauthorised ones, Route 53 answers a
    ClientError. The deploy (and --dry-run) must say what to do, not print a traceback."""

    def test_no_credentials_is_a_clear_error(self):
        from botocore.exceptions import NoCredentialsError

        with self.assertRaises(deploy.DeployError) as raised:
            deploy.discover_endpoint_checks(RECORD, ["us-west-2"], FailingRoute53(NoCredentialsError()))
        message = str(raised.exception)
        self.assertIn("no usable AWS credentials", message)
        self.assertIn("--no-discover", message, "the way to a dry run without AWS")

    def test_refused_credentials_and_access_are_clear_errors(self):
        from botocore.exceptions import ClientError

        for code, needle in (("ExpiredToken", "renew them"), ("AccessDenied", "route53:ListHealthChecks")):
            error = ClientError({"Error": {"Code": code, "Message": "no"}}, "ListHealthChecks")
            with self.assertRaisesRegex(deploy.DeployError, needle):
                deploy.discover_endpoint_checks(RECORD, ["us-west-2"], FailingRoute53(error))

    def test_a_dry_run_without_credentials_exits_2_without_a_traceback(self):
        from botocore.exceptions import NoCredentialsError

        with mock.patch("boto3.client", return_value=FailingRoute53(NoCredentialsError())):
            code, err = run_main(["--region", "us-east-1", "--config", str(ROOT / "samconfig.example.toml"),
                                  "--dry-run"])
        self.assertEqual(code, 2)
        self.assertIn("deploy-region: no usable AWS credentials", err)
        self.assertNotIn("Traceback", err)
        code, err = run_main(["--region", "us-east-1", "--config", str(ROOT / "samconfig.example.toml"),
                              "--dry-run", "--no-discover"])
        self.assertEqual(code, 0, "--no-discover dry runs need no AWS at all")


class RoutingOverrides(unittest.TestCase):
    """A --set reaches one region's stack only: on a routing parameter it would make that
    watcher decide on another configuration than the others."""

    def test_a_routing_set_in_one_region_is_refused(self):
        with self.assertRaises(deploy.DeployError) as raised:
            plan(["RecordTtl=300"])
        message = str(raised.exception)
        self.assertIn("RecordTtl differs between environments (us-east-1='300', us-west-2='60')", message)
        self.assertIn("--set RecordTtl: routing configuration", message)

    def test_a_routing_set_that_agrees_and_a_regional_set_pass(self):
        params, _ = plan(["RecordTtl=60", "HealthDrain=true", "WatcherReservedConcurrency=0"])
        self.assertEqual((params["RecordTtl"], params["HealthDrain"]), ("60", "true"))

    def test_operations_parameters_are_each_region_s_own(self):
        # Where a region's alarms go, how long its journal stays and when its paused
        # alarm pages are no routing: they may differ, and SET= may change them.
        for name in ("AlarmTopicArn", "AlarmEmail", "PausedAlarmMinutes", "JournalRetentionDays",
                     "LogRetentionDays", "WatcherState"):
            self.assertIn(name, load_template()["Parameters"])
            self.assertFalse(deploy.is_routing_parameter(name), name)
        params, _ = plan(["AlarmEmail=oncall@example.com", "PausedAlarmMinutes=120"])
        self.assertEqual((params["AlarmEmail"], params["PausedAlarmMinutes"]), ("oncall@example.com", "120"))

    def test_active_active_parameters_are_routing(self):
        # Every watcher must evacuate by the same rules and weigh regions alike.
        names = ["Routing", "MinInService"] + [f"Region{i}Weight" for i in range(1, 5)]
        for name in names:
            self.assertIn(name, load_template()["Parameters"])
            self.assertTrue(deploy.is_routing_parameter(name), name)
        with self.assertRaises(deploy.DeployError) as raised:
            plan(["Routing=latency"])
        self.assertIn("--set Routing: routing configuration", str(raised.exception))
        with self.assertRaisesRegex(deploy.DeployError, "Region2Weight differs"):
            plan(["Routing=weighted", "Region2Weight=2"])

    def test_the_samconfig_s_own_disagreement_is_still_refused(self):
        config = example_config()
        config["us-west-2"]["deploy"]["parameters"]["parameter_overrides"].append("FailbackMode=manual")
        with self.assertRaisesRegex(deploy.DeployError, "FailbackMode differs"):
            plan([], config=config)


def several_apis() -> dict:
    """One samconfig for two APIs, environments named <api>-<region>."""
    config = {"version": 0.1}
    for api in ("api", "auth"):
        for region in ("us-east-1", "us-west-2"):
            env = copy.deepcopy(example_config()[region])
            params = env["deploy"]["parameters"]
            params["stack_name"] = f"regionflip-{api}"
            params["parameter_overrides"] = [
                o.replace("api.regionflip-demo.example", f"{api}.regionflip-demo.example")
                for o in params["parameter_overrides"]]
            config[f"{api}-{region}"] = env
    return config


class SeveralApis(unittest.TestCase):
    """make deploy ENV=<environment>: one samconfig holds several APIs, each a group of
    environments named <api>-<region>, compared with each other only."""

    def test_the_environment_is_picked_by_name(self):
        config = several_apis()
        self.assertEqual(deploy.routing_disagreements(config), [], "two APIs are two groups, not a disagreement")
        err = StringIO()
        with redirect_stderr(err):
            params, _ = deploy.plan_deploy(config, "auth-us-west-2", "us-west-2", [], None)
        self.assertEqual(params["RecordName"], "auth.regionflip-demo.example")
        self.assertEqual(sorted(deploy.environment_group(config, "auth-us-west-2")),
                         ["auth-us-east-1", "auth-us-west-2"])

    def test_env_alone_names_the_region_and_stack(self):
        code, err = run_main(["--env", "auth-us-east-1", "--config", self.write(several_apis()),
                              "--no-discover", "--dry-run"])
        self.assertEqual(code, 0, err)
        self.assertIn("--config-env auth-us-east-1", err)
        self.assertIn("--region us-east-1", err)
        self.assertIn('RecordName="auth.regionflip-demo.example"', err)

    def test_a_disagreement_inside_one_api_is_refused(self):
        config = several_apis()
        config["auth-us-west-2"]["deploy"]["parameters"]["parameter_overrides"].append("RecordTtl=30")
        self.assertEqual(len(deploy.routing_disagreements(config)), 1)
        with self.assertRaisesRegex(deploy.DeployError, r"RecordTtl differs .*auth-us-east-1='60', auth-us-west-2='30'"):
            deploy.plan_deploy(config, "auth-us-east-1", "us-east-1", [], None)
        err = StringIO()
        with redirect_stderr(err):
            deploy.plan_deploy(config, "api-us-east-1", "us-east-1", [], None)  # the other API is fine

    def test_two_apis_on_one_stack_name_are_refused(self):
        config = several_apis()
        config["auth-us-east-1"]["deploy"]["parameters"]["stack_name"] = "regionflip-api"
        with self.assertRaisesRegex(deploy.DeployError, "both deploy stack regionflip-api in us-east-1"):
            deploy.plan_deploy(config, "api-us-east-1", "us-east-1", [], None)

    def test_the_cli_configuration_needs_the_environment_when_there_are_several(self):
        path = self.write(several_apis())
        out = Path(self.tmp.name) / "regionflip-auth.toml"
        err = StringIO()
        with redirect_stderr(err):
            code = deploy.main(["--write-cli-config", str(out), "--config", path, "--no-discover"])
        self.assertEqual(code, 2)
        self.assertIn("several deployments", err.getvalue())
        with redirect_stderr(err):
            code = deploy.main(["--write-cli-config", str(out), "--config", path, "--no-discover",
                                "--env", "auth-us-west-2"])
        self.assertEqual(code, 0, err.getvalue())
        self.assertEqual(tomllib.loads(out.read_text())["record_name"], "auth.regionflip-demo.example")

    def test_make_passes_env_from_its_command_line_only(self):
        """`make deploy ENV=…` reaches the script; an ENV in the environment (sh exports
        one for its startup file) must not pick a samconfig environment."""
        def dry(*args, env=None):
            return subprocess.run(["make", "--no-print-directory", "-n", *args], cwd=ROOT, text=True,
                                  capture_output=True, env={**os.environ, **(env or {})}, check=True).stdout

        self.assertIn("--env 'auth-us-east-1'", dry("deploy", "ENV=auth-us-east-1"))
        self.assertNotIn("--env", dry("deploy", "REGION=us-east-1", env={"ENV": "/etc/shinit"}))
        self.assertIn("--force", dry("cli-config", "FORCE=1"))
        self.assertNotIn("--force", dry("cli-config"))

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)

    def write(self, config: dict) -> str:
        path = Path(self.tmp.name) / "samconfig.toml"
        lines = []
        for name, table in config.items():
            if name == "version":
                lines.append(f"version = {table}")
                continue
            lines.append(f"[{name}.deploy.parameters]")
            for key, value in table["deploy"]["parameters"].items():
                lines.append(f"{key} = {json.dumps(value)}")
        path.write_text("\n".join(lines) + "\n")
        return str(path)


class CliConfigFile(unittest.TestCase):
    """make cli-config regenerates the file it wrote before, and never overwrites a file
    someone else wrote unless told to (FORCE=1, --force)."""

    def write(self, out: Path, *extra: str) -> tuple[int, str]:
        err = StringIO()
        with redirect_stderr(err):
            code = deploy.main(["--write-cli-config", str(out), "--config", str(ROOT / "samconfig.example.toml"),
                                "--no-discover", *extra])
        return code, err.getvalue()

    def test_its_own_file_is_regenerated_and_another_is_kept(self):
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "regionflip.toml"
            self.assertEqual(self.write(out)[0], 0)
            self.assertTrue(out.read_text().startswith(deploy.CLI_CONFIG_HEADER))
            code, err = self.write(out)
            self.assertEqual(code, 0, "a second make cli-config must regenerate the file")
            self.assertIn("unchanged", err)
            out.write_text(out.read_text().replace("ttl = 60", "ttl = 30"))  # stale
            code, err = self.write(out)
            self.assertEqual((code, "ttl = 60" in out.read_text()), (0, True), err)
            self.assertIn("regenerated", err)
            out.write_text("# written by hand\nrecord_name = \"x\"\n")
            code, err = self.write(out)
            self.assertEqual(code, 2)
            self.assertIn("FORCE=1", err)
            self.assertEqual(out.read_text(), "# written by hand\nrecord_name = \"x\"\n", "a hand-written file is kept")
            self.assertEqual(self.write(out, "--force")[0], 0)
            self.assertTrue(out.read_text().startswith(deploy.CLI_CONFIG_HEADER))


WATCHER = "regionflip-api-WatcherFunction-AbCdEf123456"


class FakeLambda:
    """GetAccountSettings and GetFunctionConcurrency as Lambda answers them. A function's
    reservation is counted out of UnreservedConcurrentExecutions, as Lambda counts it."""

    def __init__(self, quota: int, reservations: dict[str, int] | None = None, error: Exception | None = None):
        self.quota, self.reservations, self.error = quota, reservations or {}, error
        self.calls: list[str] = []

    def get_account_settings(self):
        self.calls.append("GetAccountSettings")
        if self.error:
            raise self.error
        unreserved = self.quota - sum(self.reservations.values())
        return {"AccountLimit": {"TotalCodeSize": 80530636800, "CodeSizeUnzipped": 262144000,
                                 "CodeSizeZipped": 52428800, "ConcurrentExecutions": self.quota,
                                 "UnreservedConcurrentExecutions": unreserved},
                "AccountUsage": {"TotalCodeSize": 0, "FunctionCount": len(self.reservations)}}

    def get_function_concurrency(self, FunctionName):
        from botocore.exceptions import ClientError

        self.calls.append(f"GetFunctionConcurrency {FunctionName}")
        if FunctionName not in self.reservations:
            raise ClientError({"Error": {"Code": "ResourceNotFoundException", "Message": "Function not found"}},
                              "GetFunctionConcurrency")
        n = self.reservations[FunctionName]
        return {"ReservedConcurrentExecutions": n} if n else {}


class FakeCloudFormation:
    """DescribeStacks: a stack's outputs, or the ValidationError of a stack that does not exist."""

    def __init__(self, outputs_by_stack: dict[str, dict[str, str]] | None = None):
        self.outputs_by_stack = outputs_by_stack or {}
        self.calls: list[str] = []

    def describe_stacks(self, StackName):
        from botocore.exceptions import ClientError

        self.calls.append(StackName)
        if StackName not in self.outputs_by_stack:
            raise ClientError({"Error": {"Code": "ValidationError",
                                         "Message": f"Stack with id {StackName} does not exist"}}, "DescribeStacks")
        return {"Stacks": [{"StackName": StackName, "StackStatus": "UPDATE_COMPLETE", "Outputs": [
            {"OutputKey": k, "OutputValue": v} for k, v in self.outputs_by_stack[StackName].items()]}]}


def clients(lambda_client: FakeLambda, cloudformation: FakeCloudFormation | None = None, region: str = "us-east-1"):
    """A boto3.client stand-in: the fakes, for this region only."""
    cloudformation = cloudformation or FakeCloudFormation()

    def client(service, region_name=None, **kwargs):
        assert region_name == region, f"{service} client for {region_name}, not the deployed region {region}"
        return {"lambda": lambda_client, "cloudformation": cloudformation}[service]

    return client


class ReservedConcurrency(unittest.TestCase):
    """make deploy passes WatcherReservedConcurrency=1 where the account can reserve it and 0
    where it cannot (Lambda keeps 100 unreserved), a value the operator set as it is (but
    refused before deploying when it cannot be reserved), and nothing when it cannot read
    the account (docs/deploy.md, "Reserved concurrency")."""

    STACK = "regionflip-api"  # samconfig.example.toml's stack_name

    def plan(self, sets: list[str], lam: FakeLambda, cfn: FakeCloudFormation | None = None, config=None):
        read = functools.partial(deploy.read_account_concurrency, stack=self.STACK, lambda_client=lam,
                                 cloudformation=cfn or FakeCloudFormation())
        found = {"us-west-2": [WEST]}
        err = StringIO()
        with redirect_stderr(err):
            params, _ = deploy.plan_deploy(config or example_config(), "us-east-1", "us-east-1", sets,
                                           lambda record, regions: {r: found.get(r, []) for r in regions}, read)
        return params, err.getvalue()

    def test_an_account_with_room_reserves_1(self):
        cfn = FakeCloudFormation()
        params, err = self.plan([], FakeLambda(1000), cfn)
        self.assertEqual(params["WatcherReservedConcurrency"], "1")
        self.assertIn("deploy-region: WatcherReservedConcurrency=1: this account's unreserved concurrency in "
                      "us-east-1 is 1000", err)
        self.assertEqual(cfn.calls, [], "with room to spare the stack's own reservation is not read")

    def test_a_new_account_with_a_quota_of_10_reserves_0(self):
        params, err = self.plan([], FakeLambda(10))
        self.assertEqual(params["WatcherReservedConcurrency"], "0")
        (line,) = [l for l in err.splitlines() if "WatcherReservedConcurrency" in l]
        self.assertIn("WatcherReservedConcurrency=0: this account's unreserved concurrency in us-east-1 is 10", line)
        self.assertIn("Lambda keeps 100 unreserved, so none can be reserved", line)
        self.assertIn("docs/deploy.md, Reserved concurrency", line)

    def test_101_unreserved_is_the_least_that_reserves_1(self):
        self.assertEqual(self.plan([], FakeLambda(101))[0]["WatcherReservedConcurrency"], "1")
        self.assertEqual(self.plan([], FakeLambda(100))[0]["WatcherReservedConcurrency"], "0")

    def test_an_update_keeps_the_reservation_the_watcher_holds_already(self):
        # 101 in all, 1 of it reserved by this stack's watcher: 100 unreserved. Giving the
        # watcher its 1 again leaves the 100 Lambda requires.
        lam = FakeLambda(101, {WATCHER: 1})
        cfn = FakeCloudFormation({self.STACK: {"WatcherFunctionName": WATCHER, "HealthUrl": EAST_URL}})
        self.assertEqual(lam.get_account_settings()["AccountLimit"]["UnreservedConcurrentExecutions"], 100)
        params, err = self.plan([], lam, cfn)
        self.assertEqual(params["WatcherReservedConcurrency"], "1", err)
        self.assertIn(f"besides the 1 this stack's watcher {WATCHER} reserves already", err)
        self.assertEqual(cfn.calls, [self.STACK])
        self.assertIn(f"GetFunctionConcurrency {WATCHER}", lam.calls)
        # The same account, someone else's function holding the 1: none left for a new stack.
        other = FakeLambda(101, {"someone-else": 1})
        self.assertEqual(self.plan([], other, FakeCloudFormation())[0]["WatcherReservedConcurrency"], "0")

    def test_an_unreadable_own_reservation_on_a_tight_account_reserves_0(self):
        from botocore.exceptions import ClientError

        lam = FakeLambda(101, {WATCHER: 1})
        denied = ClientError({"Error": {"Code": "AccessDeniedException", "Message": "not authorized"}},
                             "GetFunctionConcurrency")
        lam.get_function_concurrency = mock.Mock(side_effect=denied)
        cfn = FakeCloudFormation({self.STACK: {"WatcherFunctionName": WATCHER}})
        params, err = self.plan([], lam, cfn)
        self.assertEqual(params["WatcherReservedConcurrency"], "0", "0 deploys whatever the watcher holds")
        self.assertIn("own reservation could not be read", err)

    def test_a_value_the_account_cannot_reserve_is_refused_before_deploying(self):
        for sets, config, named in (
            (["WatcherReservedConcurrency=1"], None, "set by --set"),
            ([], self.samconfig_setting("1"), "set by [us-east-1] in the samconfig"),
        ):
            with self.assertRaises(deploy.DeployError) as raised:
                self.plan(sets, FakeLambda(10), config=config)
            message = str(raised.exception)
            self.assertIn(f"WatcherReservedConcurrency=1 ({named}) cannot be reserved in us-east-1", message)
            self.assertIn("unreserved concurrency in us-east-1 is 10 (of a quota of 10)", message)
            self.assertIn("Lambda keeps 100 unreserved", message)
            self.assertIn("SET=WatcherReservedConcurrency=0", message)
            self.assertIn("higher Lambda concurrency quota", message)
        # make deploy: exit 2 before sam deploy runs, without a traceback.
        with mock.patch("boto3.client", clients(FakeLambda(10))), \
                mock.patch.object(deploy, "discover_endpoint_checks", lambda record, regions: {"us-west-2": [WEST]}), \
                mock.patch("subprocess.call", side_effect=AssertionError("sam deploy ran")):
            code, err = run_main(["--region", "us-east-1", "--config", str(ROOT / "samconfig.example.toml"),
                                  "--set", "WatcherReservedConcurrency=1"])
        self.assertEqual(code, 2, err)
        self.assertIn("WatcherReservedConcurrency=1 (set by --set) cannot be reserved", err)
        self.assertNotIn("+ sam", err)
        self.assertNotIn("Traceback", err)

    def test_a_value_the_account_can_reserve_is_passed_as_set(self):
        params, err = self.plan(["WatcherReservedConcurrency=5"], FakeLambda(1000))
        self.assertEqual(params["WatcherReservedConcurrency"], "5")
        self.assertIn("WatcherReservedConcurrency=5 as set by --set", err)

    def test_0_set_by_the_operator_passes_without_a_lookup(self):
        lam = FakeLambda(1000)
        for sets, config in ((["WatcherReservedConcurrency=0"], None), ([], self.samconfig_setting("0"))):
            params, err = self.plan(sets, lam, config=config)
            self.assertEqual(params["WatcherReservedConcurrency"], "0")
            self.assertIn("WatcherReservedConcurrency=0 as set by", err)
        self.assertEqual(lam.calls, [], "0 needs no room: the account is not read")

    def test_unreadable_account_settings_leave_the_parameter_out(self):
        from botocore.exceptions import ClientError, NoCredentialsError

        for error, needle in (
            (ClientError({"Error": {"Code": "AccessDeniedException", "Message": "User is not authorized to "
                                    "perform: lambda:GetAccountSettings"}}, "GetAccountSettings"), "AccessDeniedException"),
            (NoCredentialsError(), "no usable AWS credentials"),
        ):
            params, err = self.plan([], FakeLambda(1000, error=error))
            self.assertNotIn("WatcherReservedConcurrency", params, "nothing is passed: the stack keeps its value")
            (line,) = [l for l in err.splitlines() if "WatcherReservedConcurrency" in l]
            self.assertIn("WatcherReservedConcurrency not passed: this account's Lambda concurrency in us-east-1 "
                          "could not be read", line)
            self.assertIn(needle, line)
            self.assertIn("SET=WatcherReservedConcurrency=0", line)
        # A value the operator set is passed unchecked.
        params, err = self.plan(["WatcherReservedConcurrency=1"], FakeLambda(1000, error=NoCredentialsError()))
        self.assertEqual(params["WatcherReservedConcurrency"], "1")
        self.assertIn("not checked against the account", err)

    def test_a_dry_run_without_credentials_leaves_it_out_without_a_traceback(self):
        from botocore.exceptions import NoCredentialsError

        with mock.patch("boto3.client", clients(FakeLambda(1000, error=NoCredentialsError()))), \
                mock.patch.object(deploy, "discover_endpoint_checks", lambda record, regions: {"us-west-2": [WEST]}):
            code, err = run_main(["--region", "us-east-1", "--config", str(ROOT / "samconfig.example.toml"),
                                  "--dry-run"])
        self.assertEqual(code, 0, err)
        self.assertIn("deploy-region: WatcherReservedConcurrency not passed", err)
        self.assertNotIn("WatcherReservedConcurrency=", err.split("+ ", 1)[1], "not in the sam command")
        self.assertNotIn("Traceback", err)

    def test_the_choice_reaches_sam_deploy(self):
        for quota, passed in ((1000, 'WatcherReservedConcurrency="1"'), (10, 'WatcherReservedConcurrency="0"')):
            with mock.patch("boto3.client", clients(FakeLambda(quota))), \
                    mock.patch.object(deploy, "discover_endpoint_checks", lambda record, regions: {"us-west-2": [WEST]}):
                code, err = run_main(["--region", "us-east-1", "--config", str(ROOT / "samconfig.example.toml"),
                                      "--dry-run"])
            self.assertEqual(code, 0, err)
            self.assertIn(passed, err.split("+ ", 1)[1])

    def test_no_discover_looks_nothing_up(self):
        with mock.patch("boto3.client", side_effect=AssertionError("an AWS client was made")):
            code, err = run_main(["--region", "us-east-1", "--config", str(ROOT / "samconfig.example.toml"),
                                  "--dry-run", "--no-discover"])
        self.assertEqual(code, 0, err)
        self.assertIn("WatcherReservedConcurrency not passed", err)
        self.assertIn("--no-discover", err)

    def samconfig_setting(self, value: str) -> dict:
        config = example_config()
        config["us-east-1"]["deploy"]["parameters"]["parameter_overrides"].append(f"WatcherReservedConcurrency={value}")
        return config
