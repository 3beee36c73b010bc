"""scripts/deploy-region.py: what it hands to sam deploy, without AWS."""

from __future__ import annotations

import json
import os
import tempfile
import unittest
from contextlib import redirect_stderr
from io import StringIO
from pathlib import Path

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
        "METRICS_NAMESPACE": cli["metrics_namespace"],
        "FAILBACK_MODE": cli["failback"]["mode"],
        "FAILBACK_STABLE_FOR_SECS": str(cli["failback"]["stable_for_secs"]),
        "FAILBACK_MIN_DWELL_SECS": str(cli["failback"]["min_dwell_secs"]),
        "FAILBACK_HORIZON_SECS": str(cli["failback"].get("horizon_secs", 0)),
        "FAILBACK_MAX_FLIPS_PER_HOUR": str(cli["failback"]["max_flips_per_hour"]),
        "FAILOVER_RESPECT_GUARDS": str(cli["failover"]["respect_guards"]).lower(),
        "FAILOVER_NO_DATA_ON_STANDBY": cli["failover"].get("no_data_on_standby", "idle"),
    }
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
            cli = tomllib.loads(deploy.cli_config(cli_params))
            self.assertEqual(cli["failover"]["no_data_on_standby"], no_data)
            self.assertEqual([r["health_url"] for r in cli["regions"]], [EAST_URL, WEST_URL])
            self.assertEqual([r["health_search"] for r in cli["regions"]], ["regionflip-healthy"] * 2)
            self.assertEqual(to_env(cli), watcher,
                             "regionflip.toml written for the CLI and the watcher's environment disagree")

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
