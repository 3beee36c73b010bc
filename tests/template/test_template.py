"""Checks of template.yaml that cfn-lint and sam validate cannot make: least privilege,
build metadata against the workspace, the alarm rule against the sample events, the
environment against what the binaries read, and who owns what.

Run: scripts/validate-template.sh (or, with cfn-lint importable,
python3 -m unittest discover -s tests/template -t tests/template).
"""

from __future__ import annotations

import copy
import json
import re
import tomllib
import unittest

from cfn import (
    ACCOUNT,
    EVENTS,
    ROOT,
    Resolver,
    deploy_region_module,
    event_pattern_matches,
    load_template,
    samconfig_environments,
    workspace_binaries,
)

TEMPLATE = load_template()
ENVS = samconfig_environments()
HOME = "us-east-1"
FUNCTIONS = {"HealthFunction": "health", "WatcherFunction": "watcher"}

# An action is a write unless its verb only reads. These are the verbs of every write
# action the services regionflip touches may grow (route53:Change*/Create*/Delete*/
# Update*, cloudwatch:Put*/Set*/Delete*, logs:Create*/Put*, sqs:Send*, ...).
WRITE_VERBS = (
    "Change", "Create", "Delete", "Update", "Put", "Set", "Send", "Tag", "Untag", "Associate",
    "Disassociate", "Attach", "Detach", "Enable", "Disable", "Start", "Stop", "Invoke",
    "Publish", "Modify", "Register", "Deregister", "Purge", "Remove", "Add", "Import",
)
# Write actions AWS offers no resource-level permission for: "*" is the only resource
# they take, so the statement must narrow them with this condition key instead.
NO_RESOURCE_LEVEL = {"cloudwatch:PutMetricData": "cloudwatch:namespace"}


def overrides(env: str = HOME, **changes: str) -> dict[str, str]:
    values = dict(ENVS[env]["overrides"])
    values.update(changes)
    return values


def resolver(env: str = HOME, **changes: str) -> Resolver:
    return Resolver(TEMPLATE, overrides(env, **changes), region=ENVS[env]["region"])


def resources(of_type: str) -> dict[str, dict]:
    return {k: v for k, v in TEMPLATE["Resources"].items() if v["Type"] == of_type}


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def is_write(action: str) -> bool:
    verb = action.split(":", 1)[1] if ":" in action else action
    return verb == "*" or verb.startswith(WRITE_VERBS)


def is_wildcard_resource(arn: str) -> bool:
    """ "*", or an ARN whose resource part (after the fifth colon) holds a wildcard.
    A wildcard region or account in an ARN that names one resource is not one: an
    identity policy never reaches another account, and aws:RequestedRegion pins regions."""
    if arn == "*":
        return True
    if arn.startswith("<") and arn.endswith(">"):
        return False  # a resource of this stack (a log group's ARN covers its streams)
    parts = arn.split(":", 5)
    return len(parts) < 6 or "*" in parts[5] or "?" in parts[5]


def role_statements(role_id: str, r: Resolver) -> list[dict]:
    role = r.resolve(TEMPLATE["Resources"][role_id]["Properties"])
    statements = []
    for policy in role.get("Policies", []):
        statements += as_list(policy["PolicyDocument"]["Statement"])
    return statements


def function_role(function_id: str) -> str:
    role = TEMPLATE["Resources"][function_id]["Properties"]["Role"]
    target = role["Fn::GetAtt"]
    return (target if isinstance(target, str) else ".".join(target)).split(".")[0]


def watcher_env(r: Resolver) -> dict[str, str]:
    props = r.resolve(TEMPLATE["Resources"]["WatcherFunction"]["Properties"])
    return props["Environment"]["Variables"]


def load_event(name: str) -> dict:
    return json.loads((EVENTS / name).read_text())


def config_schema() -> dict:
    """docs/config-schema.json: every configuration key the watcher reads, with its
    environment spelling. Generated from crates/core/src/config.rs by a Rust test that
    fails when the file is stale, so it is the validator's own list."""
    return json.loads((ROOT / "docs" / "config-schema.json").read_text())


class BuildMetadata(unittest.TestCase):
    def test_every_function_builds_a_workspace_binary_with_cargo_lambda(self):
        bins = workspace_binaries()
        self.assertIn("health", bins, "crates/*/Cargo.toml declares no [[bin]] health")
        self.assertIn("watcher", bins, "crates/*/Cargo.toml declares no [[bin]] watcher")
        functions = resources("AWS::Serverless::Function")
        self.assertEqual(set(functions), set(FUNCTIONS),
                         "template functions changed: update FUNCTIONS and scripts/deploy-region.py")
        for name, function in functions.items():
            meta = function.get("Metadata", {})
            self.assertEqual(meta.get("BuildMethod"), "rust-cargolambda",
                             f"{name}: Metadata.BuildMethod must be rust-cargolambda")
            binary = meta.get("BuildProperties", {}).get("Binary")
            self.assertIn(binary, bins,
                          f"{name}: BuildProperties.Binary {binary!r} is not a [[bin]] of the workspace ({sorted(bins)})")
            self.assertEqual(binary, FUNCTIONS[name], f"{name} must ship the {FUNCTIONS[name]} binary, not {binary}")
            code_uri = ROOT / function["Properties"]["CodeUri"]
            with (code_uri / "Cargo.toml").open("rb") as f:
                manifest = tomllib.load(f)
            self.assertIn("workspace", manifest,
                          f"{name}: CodeUri {function['Properties']['CodeUri']!r} is not the workspace root")
            self.assertEqual(function["Properties"]["Runtime"], "provided.al2023", f"{name}: Runtime")
            self.assertEqual(function["Properties"]["Handler"], "bootstrap", f"{name}: Handler")

    def test_the_deploy_script_ships_the_same_binaries(self):
        self.assertEqual(deploy_region_module().FUNCTION_BINARIES, FUNCTIONS,
                         "scripts/deploy-region.py maps functions to other zips than the template's metadata")


class LeastPrivilege(unittest.TestCase):
    MODES = ("health-gate", "records")

    def all_statements(self):
        for mode in self.MODES:
            r = resolver(Mode=mode)
            for role_id in resources("AWS::IAM::Role"):
                for statement in role_statements(role_id, r):
                    yield mode, role_id, statement

    def test_no_write_action_on_a_wildcard_resource(self):
        for mode, role, statement in self.all_statements():
            if statement.get("Effect") != "Allow":
                continue
            sid = statement.get("Sid", "(no Sid)")
            for action in as_list(statement["Action"]):
                self.assertNotIn("*", action, f"{role}/{sid}: wildcard action {action!r}")
                if not is_write(action):
                    continue
                for arn in as_list(statement["Resource"]):
                    if not is_wildcard_resource(arn):
                        continue
                    key = NO_RESOURCE_LEVEL.get(action)
                    self.assertIsNotNone(
                        key, f"{role}/{sid} ({mode}): write action {action} on wildcard resource {arn!r}")
                    keys = {k for op in statement.get("Condition", {}).values() for k in op}
                    self.assertIn(key, keys,
                                  f"{role}/{sid}: {action} takes only Resource '*', so it needs a {key} condition")

    def test_functions_use_explicit_roles_without_managed_policies(self):
        for name, function in resources("AWS::Serverless::Function").items():
            props = function["Properties"]
            self.assertIn("Role", props, f"{name}: without Role, SAM attaches AWSLambdaBasicExecutionRole (logs on '*')")
            self.assertNotIn("Policies", props, f"{name}: Policies would be ignored beside Role; put them on the role")
        for name, role in resources("AWS::IAM::Role").items():
            self.assertNotIn("ManagedPolicyArns", role["Properties"],
                             f"{name}: managed policies are not least privilege; write the statements")

    def test_logs_are_written_only_to_the_functions_own_log_groups(self):
        r = resolver()
        for name in FUNCTIONS:
            role = function_role(name)
            group = TEMPLATE["Resources"][name]["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
            for statement in role_statements(role, r):
                for action in as_list(statement["Action"]):
                    if action.startswith("logs:"):
                        self.assertTrue(is_write(action), f"{role}: why does it need {action}?")
                        self.assertEqual(as_list(statement["Resource"]), [f"<{group}.Arn>"],
                                         f"{role}: {action} must be on {group} only")

    def test_the_health_function_may_only_write_its_logs(self):
        for mode in self.MODES:
            for statement in role_statements(function_role("HealthFunction"), resolver(Mode=mode)):
                for action in as_list(statement["Action"]):
                    self.assertTrue(action.startswith("logs:"),
                                    f"HealthFunction's role grants {action}; the health endpoint makes no AWS call")

    def actions(self, mode: str) -> dict[str, list[dict]]:
        found: dict[str, list[dict]] = {}
        for statement in role_statements("WatcherRole", resolver(Mode=mode)):
            for action in as_list(statement["Action"]):
                found.setdefault(action, []).append(statement)
        return found

    def test_health_gate_mode_grants_no_route53_access(self):
        granted = [a for a in self.actions("health-gate") if a.startswith("route53:")]
        self.assertEqual(granted, [], "health-gate mode makes no Route 53 call; drop these")

    def test_records_mode_changes_only_the_failover_pair_and_state_in_the_zone(self):
        env = overrides()
        record, zone = env["RecordName"], env["HostedZoneId"]
        actions = self.actions("records")
        for action in ("route53:ListResourceRecordSets", "route53:ChangeResourceRecordSets"):
            for statement in actions.get(action, []):
                self.assertEqual(as_list(statement["Resource"]), [f"arn:aws:route53:::hostedzone/{zone}"],
                                 f"{action} must be scoped to the hosted zone")
        (change,) = actions["route53:ChangeResourceRecordSets"]
        condition = change.get("Condition", {}).get("ForAllValues:StringEquals", {})
        self.assertEqual(sorted(condition.get("route53:ChangeResourceRecordSetsNormalizedRecordNames", [])),
                         sorted([record, f"_regionflip.{record}"]),
                         "ChangeResourceRecordSets must be limited to the record and its _regionflip state record")
        self.assertEqual(sorted(condition.get("route53:ChangeResourceRecordSetsRecordTypes", [])),
                         sorted([env["RecordType"], "TXT"]), "record types the watcher writes")
        self.assertEqual(sorted(condition.get("route53:ChangeResourceRecordSetsActions", [])),
                         ["CREATE", "DELETE", "UPSERT"], "change actions the watcher uses")
        (get_change,) = actions["route53:GetChange"]
        self.assertEqual(as_list(get_change["Resource"]), ["arn:aws:route53:::change/*"])

    def test_the_watcher_may_read_composite_alarms_in_the_configured_regions_only(self):
        # CloudWatch returns composite alarms only to a caller whose cloudwatch:DescribeAlarms
        # is scoped to "*" (DescribeAlarms API reference); per-alarm ARNs would make a
        # composite alarm in alarms or guards read as missing for ever.
        for mode in self.MODES:
            (statement,) = self.actions(mode)["cloudwatch:DescribeAlarms"]
            self.assertEqual(as_list(statement["Resource"]), ["*"],
                             f"{mode}: DescribeAlarms must be on '*', or composite alarms are never returned")
            self.assertEqual(as_list(statement["Action"]), ["cloudwatch:DescribeAlarms"],
                             f"{mode}: the '*' statement must grant DescribeAlarms and nothing else")
            self.assertFalse(is_write("cloudwatch:DescribeAlarms"))
            env = overrides()
            configured = [env.get(f"Region{i}Name", "") for i in range(1, 5)]
            self.assertEqual(statement.get("Condition", {}).get("StringEquals", {}).get("aws:RequestedRegion"),
                             configured, f"{mode}: DescribeAlarms must stay pinned to the configured regions")

    def test_the_state_holder_is_the_only_alarm_the_watcher_writes(self):
        # resources.rs's slug_of for names without "_" or "*": hyphens doubled, dots as hyphens.
        slug = overrides()["RecordName"].replace("-", "--").replace(".", "-")
        (statement,) = self.actions("health-gate")["cloudwatch:PutMetricAlarm"]
        self.assertEqual(as_list(statement["Resource"]),
                         [f"arn:aws:cloudwatch:*:{ACCOUNT}:alarm:regionflip-state-{slug}"],
                         "PutMetricAlarm must name the state holder alarm of crates/core/src/resources.rs")
        self.assertNotIn("cloudwatch:PutMetricAlarm", self.actions("records"),
                         "records mode keeps its state in DNS; no alarm to write")

    def test_metrics_are_published_only_in_the_configured_namespace(self):
        (statement,) = self.actions("health-gate")["cloudwatch:PutMetricData"]
        self.assertEqual(statement["Condition"]["StringEquals"]["cloudwatch:namespace"],
                         overrides().get("MetricsNamespace", "RegionFlip"))


class AlarmRule(unittest.TestCase):
    def pattern(self, env: str = HOME) -> dict:
        events = resolver(env).resolve(TEMPLATE["Resources"]["WatcherFunction"]["Properties"]["Events"])
        (rule,) = [e for e in events.values() if e["Type"] == "EventBridgeRule"]
        return rule["Properties"]["Pattern"]

    def test_matches_the_configured_alarm_in_every_state(self):
        pattern = self.pattern()
        for name in ("watcher-alarm-alarm.json", "watcher-alarm-ok.json", "watcher-alarm-insufficient-data.json"):
            self.assertTrue(event_pattern_matches(pattern, load_event(name)),
                            f"the alarm rule {pattern} does not match events/{name}, so that change would "
                            "wait for the next tick")

    def test_matches_a_composite_alarm(self):
        # A composite alarm's change has the same source and detail-type as a metric
        # alarm's; only detail.configuration differs (alarmRule instead of metrics).
        event = load_event("watcher-composite-alarm.json")
        composite = event["detail"]["alarmName"]
        self.assertIn("alarmRule", event["detail"]["configuration"], "the fixture is a composite alarm's event")
        env = overrides()
        for key in ("Region1Alarms", "Region1Guards"):
            r = resolver(**{key: f"{env[key]},{composite}"})
            events = r.resolve(TEMPLATE["Resources"]["WatcherFunction"]["Properties"]["Events"])
            (rule,) = [e for e in events.values() if e["Type"] == "EventBridgeRule"]
            self.assertTrue(event_pattern_matches(rule["Properties"]["Pattern"], event),
                            f"the alarm rule misses composite alarm {composite} configured in {key}")
        self.assertFalse(event_pattern_matches(self.pattern(), event),
                         "a composite alarm that is not configured must not wake the watcher")

    def test_matches_a_guard(self):
        event = load_event("watcher-alarm-ok.json")
        guard = overrides()["Region1Guards"].split(",")[0]
        event["detail"]["alarmName"] = guard
        self.assertTrue(event_pattern_matches(self.pattern(), event),
                        f"a change of guard {guard} must trigger a pass (failback waits on guards)")

    def test_ignores_an_unconfigured_alarm(self):
        self.assertFalse(event_pattern_matches(self.pattern(), load_event("watcher-alarm-unconfigured.json")),
                         "the alarm rule invokes the watcher for an alarm regionflip does not watch")

    def test_ignores_another_account(self):
        self.assertFalse(event_pattern_matches(self.pattern(), load_event("watcher-alarm-other-account.json")),
                         "the alarm rule accepts events from another account")

    def test_each_region_listens_for_its_own_alarms(self):
        west = self.pattern("us-west-2")
        event = load_event("watcher-alarm-alarm.json")
        self.assertFalse(event_pattern_matches(west, event),
                         "us-west-2's rule matches us-east-1's alarm: each region listens for its own")
        mine = overrides("us-west-2")["Region2Alarms"]
        event["detail"]["alarmName"] = mine
        event["region"] = "us-west-2"
        self.assertTrue(event_pattern_matches(west, event), f"us-west-2's rule misses its alarm {mine}")


class WatcherConfiguration(unittest.TestCase):
    def test_every_variable_is_one_the_watcher_reads(self):
        schema = config_schema()
        top = {key["env"] for key in schema["keys"] if key["scope"] == "top"}
        region_vars = [key["env"] for key in schema["keys"] if key["scope"] == "region"]
        self.assertTrue(top and region_vars, "docs/config-schema.json lists no keys; update this test's reader")
        per_region = {v.replace(schema["region_index"], str(i)) for i in range(1, 5) for v in region_vars}
        declared = set(TEMPLATE["Resources"]["WatcherFunction"]["Properties"]["Environment"]["Variables"])
        unknown = {v for v in declared if v.startswith("REGIONFLIP_")} - top - per_region
        self.assertEqual(unknown, set(), "the watcher rejects unknown REGIONFLIP_* variables at cold start")
        self.assertEqual(top - declared, set(), "configuration keys the template does not pass to the watcher")
        self.assertEqual(per_region - declared, set(), "region slots 1-4 must each carry every region key")

    def test_active_active_parameters_match_the_schema_and_reach_the_watcher(self):
        keys = {key["toml"]: key for key in config_schema()["keys"]}
        routing = keys["routing"]
        # The schema documents the choices quoted in its doc ("failover": ...).
        documented = list(dict.fromkeys(re.findall(r'"([a-z][a-z-]*)"', routing["doc"])))
        spec = TEMPLATE["Parameters"]["Routing"]
        self.assertEqual(spec["AllowedValues"], documented, "Routing's choices and the schema's differ")
        self.assertLessEqual({"failover", "latency", "weighted"}, set(spec["AllowedValues"]))
        self.assertEqual(spec["Default"], routing["default"])
        spec = TEMPLATE["Parameters"]["MinInService"]
        self.assertEqual(str(spec["Default"]), keys["min_in_service"]["default"])
        self.assertEqual((int(spec["MinValue"]), int(spec["MaxValue"])), (1, deploy_region_module().MAX_REGIONS - 1),
                         "1 to the number of regions - 1, for the template's region slots")
        weight = keys["regions[{n}].weight"]
        for i in range(1, 5):
            spec = TEMPLATE["Parameters"][f"Region{i}Weight"]
            self.assertEqual((spec["Type"], str(spec["Default"])), ("Number", weight["default"]), f"Region{i}Weight")
            self.assertEqual((int(spec["MinValue"]), int(spec["MaxValue"])), (1, 255),
                             f"Region{i}Weight: Route 53's weights, without 0 (no traffic)")
        env = watcher_env(resolver())
        self.assertEqual((env["REGIONFLIP_ROUTING"], env["REGIONFLIP_MIN_IN_SERVICE"]), ("failover", "1"))
        self.assertEqual((env["REGIONFLIP_REGION_1_WEIGHT"], env["REGIONFLIP_REGION_2_WEIGHT"]), ("1", "1"))
        four = dict(Routing="weighted", MinInService="2", Region3Name="eu-west-1",
                    Region3Target="x1.execute-api.eu-west-1.amazonaws.com", Region4Name="ap-southeast-2",
                    Region4Target="x2.execute-api.ap-southeast-2.amazonaws.com")
        weights = {f"Region{i}Weight": str(10 * i) for i in range(1, 5)}
        r = resolver(**four, **weights)
        self.assertEqual(self.rules_refusing(r), [])
        env = watcher_env(r)
        self.assertEqual((env["REGIONFLIP_ROUTING"], env["REGIONFLIP_MIN_IN_SERVICE"]), ("weighted", "2"))
        for i in range(1, 5):
            self.assertEqual(env[f"REGIONFLIP_REGION_{i}_WEIGHT"], weights[f"Region{i}Weight"],
                             f"Region{i}Weight must reach REGIONFLIP_REGION_{i}_WEIGHT")
        self.assertNotIn("REGIONFLIP_REGION_3_WEIGHT", watcher_env(resolver(Region3Weight="7")),
                         "an unused slot's weight stays out of the environment")

    def test_rules_refuse_what_the_watcher_would_refuse_for_active_active(self):
        self.assertEqual(self.rules_refusing(resolver(Routing="latency")), [])
        self.assertEqual(self.rules_refusing(resolver(Routing="latency", Mode="records")),
                         ["ActiveActiveNeedsHealthGate"], "records mode rewrites a failover pair")
        self.assertEqual(self.rules_refusing(resolver(Routing="weighted", Mode="records")),
                         ["ActiveActiveNeedsHealthGate"])
        self.assertEqual(self.rules_refusing(resolver(Routing="failover", Mode="records")), [])
        (text,) = [a["AssertDescription"] for a in TEMPLATE["Rules"]["ActiveActiveNeedsHealthGate"]["Assertions"]
                   if "Mode" in json.dumps(a["Assert"])]
        for needle in ("Routing", "Mode", "Mode=health-gate", "Routing=failover"):
            self.assertIn(needle, text, "the refusal names both parameters and the fix")
        self.assertEqual(self.rules_refusing(resolver(Routing="latency", FailbackMaxFlipsPerHour="1")),
                         ["ActiveActiveNeedsHealthGate"])
        self.assertEqual(self.rules_refusing(resolver(Region1Weight="2")), ["WeightsNeedWeightedRouting"])
        self.assertEqual(self.rules_refusing(resolver(Routing="weighted", Region1Weight="2")), [])
        self.assertEqual(self.rules_refusing(resolver(Routing="latency", MinInService="2")),
                         ["TwoRegionsKeepMinInServiceAtOne"])
        self.assertEqual(self.rules_refusing(resolver(MinInService="2")),
                         ["FailoverRoutingKeepsMinInServiceAtOne", "TwoRegionsKeepMinInServiceAtOne"])

    def test_two_regions_resolve_to_the_demo_configuration(self):
        env = watcher_env(resolver())
        self.assertEqual(env["REGIONFLIP_REGION_1_NAME"], "us-east-1")
        self.assertEqual(env["REGIONFLIP_REGION_1_HEALTH_CHECK_ID"], "<EndpointHealthCheck>",
                         "region 1's stack must hand its own endpoint check to its watcher")
        self.assertEqual(env["REGIONFLIP_REGION_2_HEALTH_CHECK_ID"], "",
                         "another region's check comes from its parameter (filled by the deploy), never from this stack")
        self.assertEqual(env["REGIONFLIP_REGION_1_GUARDS"], "regionflip-demo-replication-lag-us-east-1")
        self.assertFalse([k for k in env if k.startswith(("REGIONFLIP_REGION_3_", "REGIONFLIP_REGION_4_"))],
                         "unused region slots must not appear in the environment (the watcher would count them)")
        self.assertFalse([k for k in env if k.endswith("ALIAS_HOSTED_ZONE_ID")],
                         "CNAME records: the watcher refuses ALIAS_HOSTED_ZONE_ID")
        west = watcher_env(resolver("us-west-2"))
        self.assertEqual(west["REGIONFLIP_REGION_2_HEALTH_CHECK_ID"], "<EndpointHealthCheck>")
        self.assertEqual(env["REGIONFLIP_REGION_1_HEALTH_URL"],
                         "https://<HealthApi>.execute-api.us-east-1.amazonaws.com/prod/health",
                         "region 1's stack must hand its own health endpoint to its watcher")
        self.assertNotIn("REGIONFLIP_REGION_2_HEALTH_URL", env,
                         "another region's URL comes from its parameter (filled by the deploy); empty is not configured")
        self.assertEqual(env["REGIONFLIP_FAILOVER_NO_DATA_ON_STANDBY"], "idle")

        def shared(e):
            # The own slot's check and URL come from each stack itself.
            return {k: v for k, v in e.items() if "HEALTH_CHECK_ID" not in k and "HEALTH_URL" not in k}

        self.assertEqual(shared(env), shared(west), "both regions' watchers must run on the same configuration")
        discovered = {"Region1HealthCheckId": "0f7c4c1e-1111-4a4a-8b8b-000000000001",
                      "Region2HealthCheckId": "0f7c4c1e-2222-4a4a-8b8b-000000000002",
                      "Region1HealthUrl": "https://e1.execute-api.us-east-1.amazonaws.com/prod/health",
                      "Region2HealthUrl": "https://w2.execute-api.us-west-2.amazonaws.com/prod/health"}
        east = watcher_env(resolver(**discovered))
        west = watcher_env(resolver("us-west-2", **discovered))
        self.assertEqual(east["REGIONFLIP_REGION_2_HEALTH_URL"], discovered["Region2HealthUrl"])
        self.assertEqual(west["REGIONFLIP_REGION_1_HEALTH_URL"], discovered["Region1HealthUrl"])
        self.assertEqual(shared(east), shared(west))

    def test_this_regions_health_url_is_what_its_endpoint_check_probes(self):
        """The watcher's own slot, the HealthUrl output and the URL the other regions'
        deploys read from this stack's endpoint check (scripts/deploy-region.py,
        probed_url) must be one URL, or the watchers would probe another endpoint than
        Route 53 checks."""
        deploy = deploy_region_module()
        for r in (resolver(), resolver(HealthDomainName="health-us-east-1.regionflip-demo.example"),
                  resolver("us-west-2", HealthStageName="live")):
            config = dict(r.resolve(TEMPLATE["Resources"]["EndpointHealthCheck"]["Properties"])["HealthCheckConfig"])
            if config["FullyQualifiedDomainName"] == "<HealthDomainRecord>":
                # Ref of an AWS::Route53::RecordSet is its name.
                record = r.resolve(TEMPLATE["Resources"]["HealthDomainRecord"]["Properties"])
                config["FullyQualifiedDomainName"] = record["Name"]
            config["Port"] = int(config["Port"])
            from_check = deploy.probed_url(config)
            output = r.resolve(TEMPLATE["Outputs"]["HealthUrl"]["Value"])
            env = watcher_env(r)
            own = next(k for k, v in env.items() if k.endswith("_NAME") and v == r.region).replace("_NAME", "")
            self.assertEqual(env[f"{own}_HEALTH_URL"], output, "the watcher's own URL and the HealthUrl output differ")
            self.assertEqual(from_check, output,
                             "the other regions' deploys would read another URL from the endpoint check")
            search = r.resolve(TEMPLATE["Outputs"]["HealthSearch"]["Value"])
            self.assertEqual(env[f"{own}_HEALTH_SEARCH"], config["SearchString"])
            self.assertEqual(search, config["SearchString"])

    def test_health_search_of_this_region_is_the_string_it_serves(self):
        health = resolver(HealthMatch="region-ok").resolve(
            TEMPLATE["Resources"]["HealthFunction"]["Properties"]["Environment"]["Variables"])
        self.assertEqual(health["REGIONFLIP_HEALTH_MATCH"], "region-ok")
        env = watcher_env(resolver(HealthMatch="region-ok", Region1HealthSearch="region-ok",
                                   Region2HealthSearch="west-ok"))
        self.assertEqual(env["REGIONFLIP_REGION_1_HEALTH_SEARCH"], "region-ok",
                         "one parameter (HealthMatch) drives the function, its check and the own probe")
        self.assertEqual(env["REGIONFLIP_REGION_2_HEALTH_SEARCH"], "west-ok")
        defaults = {key["toml"].removeprefix("regions[{n}]."): key["default"] for key in config_schema()["keys"]}
        self.assertEqual(TEMPLATE["Parameters"]["HealthMatch"]["Default"], defaults["health_search"])
        for i in range(1, 5):
            self.assertEqual(TEMPLATE["Parameters"][f"Region{i}HealthSearch"]["Default"], defaults["health_search"])
        self.assertEqual(TEMPLATE["Parameters"]["FailoverNoDataOnStandby"]["Default"],
                         defaults["failover.no_data_on_standby"])
        self.assertEqual(deploy_region_module().DEFAULT_HEALTH_MATCH, defaults["health_search"])

    def rules_refusing(self, r: Resolver) -> list[str]:
        refused = []
        for name, rule in TEMPLATE["Rules"].items():
            if "RuleCondition" in rule and not r.evaluate(rule["RuleCondition"]):
                continue
            for assertion in rule["Assertions"]:
                if not r.evaluate(assertion["Assert"]):
                    refused.append(name)
        return refused

    def test_a_stack_refuses_a_search_string_it_does_not_serve(self):
        self.assertEqual(self.rules_refusing(resolver()), [])
        self.assertEqual(self.rules_refusing(resolver("us-west-2")), [])
        self.assertEqual(self.rules_refusing(resolver(HealthMatch="ok-east", Region1HealthSearch="ok-east")), [])
        self.assertEqual(self.rules_refusing(resolver(HealthMatch="ok-east")), ["Region1HealthSearchIsServed"],
                         "every watcher would search region 1 for a string it does not serve")
        self.assertEqual(self.rules_refusing(resolver("us-west-2", Region1HealthSearch="ok-east")), [],
                         "another region's search string is that region's stack's to check")
        self.assertEqual(self.rules_refusing(resolver("us-west-2", HealthMatch="ok-west")),
                         ["Region2HealthSearchIsServed"])

    def test_health_url_parameters_accept_https_only(self):
        pattern = re.compile(TEMPLATE["Parameters"]["Region2HealthUrl"]["AllowedPattern"])
        for good in ("", "https://abc123.execute-api.us-west-2.amazonaws.com/prod/health",
                     "https://health-us-west-2.example.com/health", "https://h.example.com:8443/health"):
            self.assertTrue(pattern.fullmatch(good), good)
        for bad in ("http://abc.example.com/health", "abc.example.com/health", "https://", "https://a b/health"):
            self.assertFalse(pattern.fullmatch(bad), bad)
        for i in range(1, 5):
            self.assertEqual(TEMPLATE["Parameters"][f"Region{i}HealthUrl"]["AllowedPattern"], pattern.pattern)

    def test_a_third_region_and_alias_records(self):
        r = resolver(RecordType="A", Region1AliasHostedZoneId="Z1UJRXOUMOOFQ8",
                     Region2AliasHostedZoneId="Z2OJLYMUO9EFXC", Region3Name="eu-west-1",
                     Region3Target="x1.execute-api.eu-west-1.amazonaws.com",
                     Region3AliasHostedZoneId="ZLY8HYME6SFDD", Region3Alarms="api-errors-eu")
        env = watcher_env(r)
        self.assertEqual(env["REGIONFLIP_REGION_3_NAME"], "eu-west-1")
        self.assertEqual(env["REGIONFLIP_REGION_3_ALIAS_HOSTED_ZONE_ID"], "ZLY8HYME6SFDD")
        self.assertEqual(env["REGIONFLIP_REGION_3_HEALTH_CHECK_ID"], "")
        self.assertFalse([k for k in env if k.startswith("REGIONFLIP_REGION_4_")])

    def test_function_settings(self):
        props = TEMPLATE["Resources"]["WatcherFunction"]["Properties"]
        self.assertEqual(resolver().resolve(props)["ReservedConcurrentExecutions"], "1",
                         "one pass at a time per region, by default")
        for wait in TEMPLATE["Parameters"]["WatcherWaitInSyncSecs"]["AllowedValues"]:
            timeout = int(resolver(WatcherWaitInSyncSecs=wait).resolve(props["Timeout"]))
            self.assertGreaterEqual(timeout, 30 + int(wait),
                                    f"timeout {timeout}s does not cover the SDK budget (30 s) plus a {wait}s INSYNC wait")
        self.assertEqual(props["EventInvokeConfig"]["DestinationConfig"]["OnFailure"]["Type"], "SQS")
        tick = resolver().resolve(props["Events"]["Tick"])
        self.assertEqual(tick["Properties"]["Schedule"], "rate(1 minute)")


    def test_reserved_concurrency_is_a_parameter_and_zero_reserves_none(self):
        # Lambda keeps at least 100 executions unreserved ("you can reserve up to the
        # unreserved account concurrency minus 100"): on an account with a low quota a
        # reservation of 1 fails the deploy, so 0 must mean no reservation at all.
        spec = TEMPLATE["Parameters"]["WatcherReservedConcurrency"]
        self.assertEqual((spec["Type"], str(spec["Default"]), str(spec["MinValue"])), ("Number", "1", "0"))
        props = TEMPLATE["Resources"]["WatcherFunction"]["Properties"]
        self.assertNotIn("ReservedConcurrentExecutions",
                         resolver(WatcherReservedConcurrency="0").resolve(props),
                         "0 must leave ReservedConcurrentExecutions out (AWS::NoValue), not reserve 0: "
                         "a reservation of 0 stops the function")
        self.assertEqual(resolver(WatcherReservedConcurrency="3").resolve(props)["ReservedConcurrentExecutions"], "3")


class HealthEndpoint(unittest.TestCase):
    def test_every_variable_is_one_the_health_binary_reads(self):
        text = (ROOT / "crates/health/src/config.rs").read_text()
        known = set(re.findall(r'pub const \w+_VAR: &str = "(REGIONFLIP_\w+)"', text))
        self.assertTrue(known, "crates/health/src/config.rs declares no REGIONFLIP_* variables; update this test")
        declared = TEMPLATE["Resources"]["HealthFunction"]["Properties"]["Environment"]["Variables"]
        unknown = {v for v in declared if v.startswith("REGIONFLIP_")} - known
        self.assertEqual(unknown, set(), "the health binary rejects unknown REGIONFLIP_HEALTH_* variables")

    def check(self, r: Resolver, host: str, path: str):
        env = r.resolve(TEMPLATE["Resources"]["HealthFunction"]["Properties"]["Environment"]["Variables"])
        event = r.resolve(TEMPLATE["Resources"]["HealthFunction"]["Properties"]["Events"]["Health"])
        check = r.resolve(TEMPLATE["Resources"]["EndpointHealthCheck"]["Properties"])
        config = check["HealthCheckConfig"]
        self.assertEqual(config["Type"], "HTTPS_STR_MATCH", "the endpoint check must match the body over HTTPS")
        self.assertIs(config["EnableSNI"], True, "API Gateway needs SNI; without it the handshake fails")
        self.assertEqual(config["FullyQualifiedDomainName"], host, "the check asks another host than the health API's")
        self.assertEqual(config["ResourcePath"], path,
                         "the check's path must carry the stage on the execute-api host and not on a custom domain")
        self.assertTrue(path.endswith(env["REGIONFLIP_HEALTH_PATH"]),
                        f"the check asks for {path} but the function answers {env['REGIONFLIP_HEALTH_PATH']}")
        self.assertEqual(event["Properties"]["Path"], env["REGIONFLIP_HEALTH_PATH"],
                         "the API route and REGIONFLIP_HEALTH_PATH differ")
        self.assertEqual(config["SearchString"], env["REGIONFLIP_HEALTH_MATCH"],
                         "the check searches for another string than the function writes")
        tags = {t["Key"]: t["Value"] for t in check["HealthCheckTags"]}
        discovery = "regionflip init and scripts/deploy-region.py find the endpoint check by this tag"
        self.assertEqual(tags.get("regionflip:record"), overrides()["RecordName"], discovery)
        self.assertEqual(tags.get("regionflip:region"), r.region, discovery)
        self.assertEqual(tags.get("regionflip:role"), "endpoint", discovery)

    def test_check_on_the_execute_api_host(self):
        r = resolver()
        self.check(r, "<HealthApi>.execute-api.us-east-1.amazonaws.com", "/prod/health")
        self.assertFalse(r.resource_exists("HealthDomain"))

    def test_check_on_a_custom_domain(self):
        r = resolver(HealthDomainName="health-us-east-1.regionflip-demo.example")
        self.check(r, "<HealthDomainRecord>", "/health")
        for name in ("HealthDomain", "HealthBasePathMapping", "HealthDomainRecord", "HealthCertificate"):
            self.assertTrue(r.resource_exists(name), f"{name} missing with a custom domain")
        arn = "arn:aws:acm:us-east-1:123456789012:certificate/abc"
        self.assertFalse(resolver(HealthDomainName="h.regionflip-demo.example",
                                  HealthCertificateArn=arn).resource_exists("HealthCertificate"),
                         "a given certificate must not be requested again")

    def test_stage_throttling_caps_the_cost_of_a_flood(self):
        api = resolver().resolve(TEMPLATE["Resources"]["HealthApi"]["Properties"])
        self.assertEqual(api["EndpointConfiguration"]["Type"], "REGIONAL")
        (setting,) = api["MethodSettings"]
        self.assertEqual((setting["ResourcePath"], setting["HttpMethod"]), ("/*", "*"))
        self.assertGreater(int(setting["ThrottlingRateLimit"]), 0)
        self.assertGreater(int(setting["ThrottlingBurstLimit"]), 0)


class EndpointCheckReplacement(unittest.TestCase):
    def test_the_endpoint_check_is_retained_when_replaced_or_deleted(self):
        # RequestInterval and Type are create-only: a change replaces the check, and
        # CloudFormation deletes the old one, which Route 53 does not refuse while init's
        # CALCULATED check or the failover records still use it. Retained, it keeps
        # probing until `regionflip init` has moved them onto the new check.
        check = TEMPLATE["Resources"]["EndpointHealthCheck"]
        self.assertEqual(check.get("UpdateReplacePolicy"), "Retain")
        self.assertEqual(check.get("DeletionPolicy"), "Retain")


class AwsLimits(unittest.TestCase):
    """Limits AWS enforces, checked where the user sets the values (field facts)."""

    #: EventBridge: an event pattern is at most 2,048 characters by default (the quota
    #: "Event pattern size" can be raised to 4,096, the API's maximum); a stack must
    #: deploy without a quota request.
    EVENT_PATTERN_LIMIT = 2048
    #: Route 53's checker regions; a custom selection needs at least 3.
    CHECKER_REGIONS = ["us-east-1", "us-west-1", "us-west-2", "eu-west-1", "ap-southeast-1",
                       "ap-southeast-2", "ap-northeast-1", "sa-east-1"]

    #: CloudWatch: one DescribeAlarms takes at most 100 alarm names, and a pass reads a
    #: region's alarms, guards and its state holder in one call, so alarms + guards are at
    #: most 99 (crates/core/src/config.rs, MAX_ALARMS_PER_REGION). The template splits
    #: them as the most names each list's AllowedPattern takes.
    DESCRIBE_ALARMS_NAMES = 100
    MAX_NAMES = {"Alarms": 50, "Guards": 49}

    def names(self, count: int, prefix: str = "a") -> str:
        return ",".join(f"{prefix}{i}" for i in range(count))

    def longest_list(self, name: str) -> str:
        """The value of alarm list `name` that costs the pattern most: as many names as its
        AllowedPattern takes (each costs its quotes and a separator besides its characters),
        their characters filling the parameter's MaxLength."""
        spec = TEMPLATE["Parameters"][name]
        self.assertIn("MaxLength", spec, f"{name} needs a MaxLength: the alarm rule's pattern lists it")
        count = self.MAX_NAMES[name[len("RegionN"):]]
        characters = int(spec["MaxLength"]) - (count - 1)
        value = ",".join("x" * (characters // count + (i < characters % count)) for i in range(count))
        self.assertEqual(len(value), int(spec["MaxLength"]))
        self.assertTrue(re.fullmatch(spec["AllowedPattern"], value), f"{name} refuses {value[:20]}…")
        return value

    def test_alarms_and_guards_fit_one_describe_alarms_call_with_the_state_holder(self):
        config = (ROOT / "crates" / "core" / "src" / "config.rs").read_text()
        limit = re.search(r"const MAX_ALARMS_PER_REGION: usize = (\d+);", config)
        self.assertIsNotNone(limit, "crates/core/src/config.rs no longer defines MAX_ALARMS_PER_REGION")
        self.assertEqual(int(limit.group(1)), self.DESCRIBE_ALARMS_NAMES - 1)
        self.assertEqual(sum(self.MAX_NAMES.values()), int(limit.group(1)),
                         "the template's lists must together take what the watcher's validator takes")
        for slot in range(1, 5):
            for kind, most in self.MAX_NAMES.items():
                name = f"Region{slot}{kind}"
                spec = TEMPLATE["Parameters"][name]
                allowed = spec["AllowedPattern"]
                self.assertTrue(re.fullmatch(allowed, self.names(most)), f"{name} refuses {most} names")
                self.assertTrue(re.fullmatch(allowed, self.names(1)), f"{name} refuses one name")
                too_many = self.names(most + 1)
                self.assertLessEqual(len(too_many), int(spec["MaxLength"]),
                                     "the refusal must come from the count, not MaxLength")
                self.assertIsNone(re.fullmatch(allowed, too_many), f"{name} accepts {most + 1} names")
                self.assertIn(f"at most {most} names", " ".join(spec["ConstraintDescription"].split()))

    def test_alarm_lists_refuse_what_would_grow_the_pattern_unseen(self):
        for slot in range(1, 5):
            for kind in ("Alarms", "Guards"):
                allowed = TEMPLATE["Parameters"][f"Region{slot}{kind}"]["AllowedPattern"]
                for bad in ("a,,b", ",a", "a,", 'a"b', "a\\b", "caf\u00e9", "a\tb"):
                    self.assertIsNone(re.fullmatch(allowed, bad),
                                      f"Region{slot}{kind} accepts {bad!r}, which JSON escapes or "
                                      "which adds an empty name to the pattern")
                for good in ("", "api-5xx", "api-5xx,api latency p99 (eu),Team/Alarm:1"):
                    self.assertTrue(re.fullmatch(allowed, good), f"Region{slot}{kind} refuses {good!r}")

    def test_the_alarm_rule_fits_eventbridge_s_limit_with_the_longest_lists(self):
        regions = {1: "us-east-1", 2: "us-west-2", 3: "eu-west-1", 4: "ap-southeast-1"}
        values = overrides(Region3Name="eu-west-1", Region3Target="x3.example.com",
                           Region4Name="ap-southeast-1", Region4Target="x4.example.com")
        for slot in range(1, 5):
            for kind in ("Alarms", "Guards"):
                values[f"Region{slot}{kind}"] = self.longest_list(f"Region{slot}{kind}")
        for slot, region in regions.items():
            r = Resolver(TEMPLATE, values, region=region)
            events = r.resolve(TEMPLATE["Resources"]["WatcherFunction"]["Properties"]["Events"])
            (rule,) = [e for e in events.values() if e["Type"] == "EventBridgeRule"]
            # json.dumps's ", " and ": " count more than CloudFormation may send: the
            # worst case of the worst case.
            text = json.dumps(rule["Properties"]["Pattern"])
            self.assertLessEqual(len(text), self.EVENT_PATTERN_LIMIT,
                                 f"region {slot}'s alarm rule pattern can reach {len(text)} characters")

    def test_the_namespace_refuses_what_cloudwatch_refuses(self):
        # CloudWatch: `AWS/` is reserved for AWS's namespaces; the API's pattern for
        # Namespace is `[^:].*`.
        allowed = TEMPLATE["Parameters"]["MetricsNamespace"]["AllowedPattern"]
        for good in ("RegionFlip", "Shop/RegionFlip", "Shop:RegionFlip", "a" * 255):
            self.assertTrue(re.fullmatch(allowed, good), f"MetricsNamespace refuses {good!r}")
        for bad in ("AWS/Route53", ":RegionFlip", "", "a" * 256, "caf\u00e9"):
            self.assertIsNone(re.fullmatch(allowed, bad), f"MetricsNamespace accepts {bad!r}")

    def test_checker_regions_are_empty_or_at_least_three_of_route53_s(self):
        spec = TEMPLATE["Parameters"]["HealthCheckRegions"]
        allowed = spec["AllowedPattern"]
        for good in ("", "us-east-1,eu-west-1,ap-southeast-1", ",".join(self.CHECKER_REGIONS)):
            self.assertTrue(re.fullmatch(allowed, good), f"HealthCheckRegions refuses {good!r}")
        for bad in ("us-east-1", "us-east-1,eu-west-1", "us-east-1,eu-west-1,eu-central-1",
                    "us-east-1, eu-west-1, sa-east-1", "us-east-1,eu-west-1,sa-east-1,"):
            self.assertIsNone(re.fullmatch(allowed, bad), f"HealthCheckRegions accepts {bad!r}")
        check = TEMPLATE["Resources"]["EndpointHealthCheck"]["Properties"]
        chosen = resolver(HealthCheckRegions="us-east-1,eu-west-1,sa-east-1").resolve(check)
        self.assertEqual(chosen["HealthCheckConfig"]["Regions"], ["us-east-1", "eu-west-1", "sa-east-1"])
        self.assertNotIn("Regions", resolver().resolve(check)["HealthCheckConfig"],
                         "empty must mean Route 53's default (every checker region)")

    def test_no_arn_names_the_aws_partition_literally(self):
        # China (aws-cn) and GovCloud (aws-us-gov) ARNs differ: every ARN the template
        # builds takes the partition from AWS::Partition.
        text = (ROOT / "template.yaml").read_text()
        self.assertNotIn("arn:aws:", text)
        for partition in ("aws-cn", "aws-us-gov"):
            r = Resolver(TEMPLATE, overrides(), region=ENVS[HOME]["region"], partition=partition)
            for role in resources("AWS::IAM::Role"):
                for statement in role_statements(role, r):
                    for arn in as_list(statement.get("Resource", [])):
                        if arn.startswith("arn:"):
                            self.assertTrue(arn.startswith(f"arn:{partition}:"), f"{role}: {arn}")


class Ownership(unittest.TestCase):
    """The stack never creates what `regionflip init` or the watcher own."""

    def every_variant(self):
        yield resolver()
        yield resolver(HealthDomainName="health-us-east-1.regionflip-demo.example", Mode="records")

    def test_no_failover_record_and_no_state_record(self):
        record = overrides()["RecordName"]
        owned = {record, record + ".", f"_regionflip.{record}", f"_regionflip.{record}."}
        self.assertFalse(resources("AWS::Route53::RecordSetGroup"), "record set groups: keep records out of the stack")
        self.assertFalse(resources("AWS::Route53::HostedZone"))
        for r in self.every_variant():
            for name, res in resources("AWS::Route53::RecordSet").items():
                if r.resource_exists(name):
                    value = r.resolve(res["Properties"]["Name"])
                    self.assertNotIn(value, owned, f"{name} would own {value}, which regionflip init owns")

    def test_no_gate_or_calculated_health_checks(self):
        for name, res in resources("AWS::Route53::HealthCheck").items():
            kind = res["Properties"]["HealthCheckConfig"]["Type"]
            self.assertNotIn(kind, ("CALCULATED", "CLOUDWATCH_METRIC"),
                             f"{name}: {kind} checks are created by regionflip init")

    def test_no_gate_or_state_alarms(self):
        for r in self.every_variant():
            for name, res in resources("AWS::CloudWatch::Alarm").items():
                props = r.resolve(res["Properties"])
                self.assertFalse(props.get("AlarmName", "").startswith(("regionflip-gate-", "regionflip-state-")),
                                 f"{name}: gate and state alarms belong to regionflip init and the watcher")
                self.assertNotIn(props.get("MetricName"), ("GateOpen", "StateHolder"), f"{name}")

    def test_log_groups_have_retention_and_functions_log_json(self):
        groups = resources("AWS::Logs::LogGroup")
        used = set()
        for name, function in resources("AWS::Serverless::Function").items():
            logging = function["Properties"].get("LoggingConfig", {})
            self.assertEqual(logging.get("LogFormat"), "JSON", f"{name}: LogFormat")
            used.add(logging.get("LogGroup", {}).get("Ref"))
        self.assertEqual(used, set(groups), "every function logs to its own explicit log group, and only those exist")
        for name, group in groups.items():
            self.assertIn("RetentionInDays", group["Properties"], f"{name} keeps logs forever")


class Dashboard(unittest.TestCase):
    def body(self) -> dict:
        text = resolver().resolve(TEMPLATE["Resources"]["Dashboard"]["Properties"]["DashboardBody"])
        try:
            return json.loads(text)
        except json.JSONDecodeError as e:
            raise AssertionError(f"DashboardBody is not valid JSON once substituted: {e}") from None

    def test_shows_every_metric_the_watcher_publishes(self):
        table = (ROOT / "crates/watcher/src/metrics.rs").read_text()
        published = set(re.findall(r"^//! \| `(\w+)`", table, re.M))
        self.assertIn("ActiveRegion", published, "metrics.rs no longer has its metric table; update this test")
        shown = json.dumps(self.body())
        missing = {m for m in published if f'"{m}"' not in shown and f"MetricName=\\\"{m}\\\"" not in shown}
        self.assertEqual(missing, set(), "metrics the watcher publishes but the dashboard does not show")

    def test_shows_the_health_api_and_the_watcher_alarm(self):
        shown = json.dumps(self.body())
        for needle in ('"AWS/ApiGateway", "Latency"', '"AWS/ApiGateway", "5XXError"', "<WatcherErrorsAlarm.Arn>",
                       '"AWS/Lambda", "Errors"'):
            self.assertIn(needle, shown, f"the dashboard lacks {needle}")
        self.assertIn("${PROP('Dim.Region')}", shown, "a ${!...} escape leaked into the dashboard")

    def per_region_search(self, metric: str) -> list[dict]:
        """The widgets plotting `metric` per region (a SEARCH over the Region dimension of
        this record's metrics), as ActiveRegion is plotted."""
        record = overrides()["RecordName"]
        namespace = overrides().get("MetricsNamespace", "RegionFlip")
        needle = f'{{"{namespace}",Record,Region}} MetricName="{metric}" Record="{record}"'
        found = []
        for widget in self.body()["widgets"]:
            for line in widget.get("properties", {}).get("metrics", []):
                options = line[-1] if line and isinstance(line[-1], dict) else {}
                if needle in options.get("expression", ""):
                    self.assertEqual(options.get("label"), "${PROP('Dim.Region')}", f"{metric}: one line per region")
                    found.append(widget)
        return found

    def test_plots_regions_in_service_and_the_active_region_per_region(self):
        """Active-active routing publishes InService per region instead of ActiveRegion
        (crates/watcher/src/metrics.rs); failover routing still publishes ActiveRegion."""
        for metric, title in (("InService", "Regions in service"), ("ActiveRegion", "Active region")):
            widgets = self.per_region_search(metric)
            self.assertEqual(len(widgets), 1, f"one widget must plot {metric} per region, found {len(widgets)}")
            self.assertIn(title, widgets[0]["properties"]["title"])
            self.assertEqual(widgets[0]["properties"]["yAxis"]["left"], {"min": 0, "max": 1}, metric)

    def test_evacuations_and_restorations_are_counted_beside_failovers(self):
        record = overrides()["RecordName"]
        counted = 0
        for widget in self.body()["widgets"]:
            lines = widget.get("properties", {}).get("metrics", [])
            metrics = {line[1] for line in lines if len(line) > 3 and line[2:4] == ["Record", record]}
            if {"Failover", "Failback"} & metrics:
                self.assertLessEqual({"Failover", "Failback", "Evacuation", "Restoration"}, metrics,
                                     f"{widget['properties'].get('title')}: every automatic transition kind")
                counted += 1
        self.assertGreaterEqual(counted, 1, "no widget counts transitions")

    def test_widgets_do_not_overlap(self):
        cells = {}
        for widget in self.body()["widgets"]:
            x, y, w, h = (widget[k] for k in ("x", "y", "width", "height"))
            self.assertLessEqual(x + w, 24, f"{widget['properties'].get('title')}: wider than the grid")
            for cell in ((i, j) for i in range(x, x + w) for j in range(y, y + h)):
                self.assertNotIn(cell, cells, f"{widget['properties'].get('title')} overlaps {cells.get(cell)}")
                cells[cell] = widget["properties"].get("title")


class JournalWidget(unittest.TestCase):
    """The dashboard reads the journal as its readers must: the watchers' transitions and
    the CLI's operator lines (crates/cli/src/journal.rs), one line per record and sequence,
    the one whose state won (two health-gate writers of one sequence: the state's own
    order, `journal_key`, as journal::one_per_sequence keeps it), newest sequence first;
    lines that wrote no state (refusals) have no key and are left to `regionflip history`."""

    def test_shows_transitions_and_operator_commands_once_per_sequence(self):
        widgets = Dashboard().body()["widgets"]
        queries = [w["properties"]["query"] for w in widgets if w["type"] == "log"]
        self.assertEqual(len(queries), 1, queries)
        query = queries[0]
        for needle in ('message = "regionflip transition"', 'message = "regionflip operator"',
                       "actor", "reason",
                       "filter ispresent(journal_key) | sort journal_key desc | dedup record, sequence"):
            self.assertIn(needle, query)


class Readiness(unittest.TestCase):
    """`FailoverTargetReady` (crates/watcher/src/metrics.rs) pages before an outage finds
    that a failover has nowhere to go."""

    def test_the_readiness_alarm_watches_the_watcher_s_metric_and_pages_like_the_others(self):
        alarm = TEMPLATE["Resources"]["FailoverTargetNotReadyAlarm"]["Properties"]
        self.assertEqual(alarm["MetricName"], "FailoverTargetReady")
        self.assertEqual(alarm["Namespace"], {"Ref": "MetricsNamespace"})
        self.assertEqual(alarm["Dimensions"], [{"Name": "Record", "Value": {"Ref": "RecordName"}}])
        self.assertEqual((alarm["ComparisonOperator"], alarm["Threshold"]), ("LessThanThreshold", 1))
        # A watcher that stops is the silent alarm's: no data must not page twice.
        self.assertEqual(alarm["TreatMissingData"], "missing")
        silent = TEMPLATE["Resources"]["WatcherSilentAlarm"]["Properties"]
        for key in ("ActionsEnabled", "AlarmActions", "OKActions"):
            self.assertEqual(alarm[key], silent[key], key)
        shown = json.dumps(Dashboard().body())
        self.assertIn("<FailoverTargetNotReadyAlarm.Arn>", shown)


def published_metrics() -> set[str]:
    """The metric table of crates/watcher/src/metrics.rs: what the watcher publishes."""
    table = (ROOT / "crates/watcher/src/metrics.rs").read_text()
    return set(re.findall(r"^//! \| `(\w+)`", table, re.M))


def alarm(name: str, r: Resolver | None = None) -> dict:
    return (r or resolver()).resolve(TEMPLATE["Resources"][name]["Properties"])


def state_after(props: dict, minutes: list[float | None]) -> str:
    """CloudWatch's verdict on the last EvaluationPeriods periods of `minutes` (one value
    per period, None = no datapoint) for an alarm whose TreatMissingData is notBreaching
    or breaching: a missing period counts as within, or beyond, the threshold; ALARM when
    at least DatapointsToAlarm of them breach (CloudWatch User Guide, "Evaluating an
    alarm" and "Configuring how CloudWatch alarms treat missing data"). `missing`, which
    widens the range to find datapoints, is not modelled: tests assert its settings."""
    treat = props["TreatMissingData"]
    assert treat in ("notBreaching", "breaching"), f"state_after does not model {treat}"
    n = int(props["EvaluationPeriods"])
    m = int(props.get("DatapointsToAlarm", n))
    threshold = float(props["Threshold"])
    beyond = {
        "GreaterThanOrEqualToThreshold": lambda v: v >= threshold,
        "GreaterThanThreshold": lambda v: v > threshold,
        "LessThanThreshold": lambda v: v < threshold,
        "LessThanOrEqualToThreshold": lambda v: v <= threshold,
    }[props["ComparisonOperator"]]
    window = minutes[-n:]
    window = [None] * (n - len(window)) + window
    breaching = sum(1 for v in window if (treat == "breaching" if v is None else beyond(v)))
    return "ALARM" if breaching >= m else "OK"


class Paging(unittest.TestCase):
    """Paging by default: every alarm of the stack notifies an SNS topic, the one given in
    AlarmTopicArn or one the stack creates, and is silent while the watcher is off."""

    ALARMS = {"WatcherErrorsAlarm", "WatcherSilentAlarm", "FailoverTargetNotReadyAlarm", "FailoverAlarm",
              "FailbackAlarm", "EvacuationAlarm", "RestorationAlarm", "ManualTransitionAlarm",
              "NoHealthyTargetAlarm", "PausedAlarm", "FailureQueueAlarm"}
    #: Event alarms: their OK a minute after the event says nothing, so they notify on ALARM only.
    EVENTS = {"FailoverAlarm", "FailbackAlarm", "EvacuationAlarm", "RestorationAlarm", "ManualTransitionAlarm"}
    GIVEN = "arn:aws:sns:us-east-1:123456789012:oncall"

    def test_the_alarms_are_the_ones_this_test_knows(self):
        self.assertEqual(set(resources("AWS::CloudWatch::Alarm")), self.ALARMS,
                         "a new alarm: add it here, with its own test of what it pages on")

    def test_without_a_topic_the_stack_creates_one_and_every_alarm_notifies_it(self):
        r = resolver()
        self.assertTrue(r.resource_exists("AlarmTopic"), "empty AlarmTopicArn must mean: create a topic")
        for name in self.ALARMS:
            props = alarm(name, r)
            self.assertEqual(props["AlarmActions"], ["<AlarmTopic>"], f"{name} pages nobody")
            if name in self.EVENTS:
                self.assertNotIn("OKActions", props, f"{name}: the OK a minute after an event is noise")
            else:
                self.assertEqual(props["OKActions"], ["<AlarmTopic>"], f"{name}: recovery must be told too")
        self.assertEqual(r.resolve(TEMPLATE["Outputs"]["PagingTopicArn"]["Value"]), "<AlarmTopic>")

    def test_a_given_topic_is_used_and_none_is_created(self):
        r = resolver(AlarmTopicArn=self.GIVEN)
        self.assertFalse(r.resource_exists("AlarmTopic"))
        for name in self.ALARMS:
            self.assertEqual(alarm(name, r)["AlarmActions"], [self.GIVEN], name)
        self.assertEqual(r.resolve(TEMPLATE["Outputs"]["PagingTopicArn"]["Value"]), self.GIVEN)

    def test_an_e_mail_address_is_subscribed_to_the_topic_alarms_use(self):
        self.assertFalse(resolver().resource_exists("AlarmEmailSubscription"), "no address, no subscription")
        r = resolver(AlarmEmail="oncall@example.com")
        sub = r.resolve(TEMPLATE["Resources"]["AlarmEmailSubscription"]["Properties"])
        self.assertEqual((sub["Protocol"], sub["Endpoint"], sub["TopicArn"]),
                         ("email", "oncall@example.com", "<AlarmTopic>"))
        self.assertNotIn("Region", sub, "the created topic is in the stack's region")
        west_topic = "arn:aws:sns:us-west-2:123456789012:oncall"
        sub = resolver(AlarmEmail="oncall@example.com", AlarmTopicArn=west_topic).resolve(
            TEMPLATE["Resources"]["AlarmEmailSubscription"]["Properties"])
        self.assertEqual((sub["TopicArn"], sub["Region"]), (west_topic, "us-west-2"),
                         "a subscription to a topic in another region must be made in that region")
        pattern = TEMPLATE["Parameters"]["AlarmEmail"]["AllowedPattern"]
        for good in ("", "oncall@example.com", "a.b+team@sub.example.co.uk"):
            self.assertTrue(re.fullmatch(pattern, good), good)
        for bad in ("oncall", "oncall@example", "a b@example.com", "a@example.com,b@example.com"):
            self.assertIsNone(re.fullmatch(pattern, bad), bad)

    def test_every_alarm_is_silent_while_the_watcher_is_disabled(self):
        # The first pass of a rollout deploys the watchers DISABLED: nothing runs, so the
        # silent alarm would page at once and the others have nothing to say.
        for name in self.ALARMS:
            self.assertIs(alarm(name, resolver(WatcherState="DISABLED"))["ActionsEnabled"], False, name)
            self.assertIs(alarm(name, resolver(WatcherState="ENABLED"))["ActionsEnabled"], True, name)

    def test_alarms_on_regionflip_metrics_watch_what_the_watcher_publishes(self):
        published = published_metrics()
        for name in self.ALARMS:
            props = alarm(name)
            if props["Namespace"] != overrides().get("MetricsNamespace", "RegionFlip"):
                continue
            self.assertIn(props["MetricName"], published,
                          f"{name} watches {props['MetricName']}, which metrics.rs does not publish")
            self.assertEqual(props["Dimensions"], [{"Name": "Record", "Value": overrides()["RecordName"]}],
                             f"{name}: the watcher's metrics carry the Record dimension only")
            self.assertEqual(int(props["Period"]), 60, f"{name}: the watcher publishes once a pass, a minute apart")

    def test_every_transition_pages_once_in_its_minute(self):
        """Failover, Failback, ManualTransition and (active-active routing) Evacuation and
        Restoration are Count 1 in the minute a pass applied the move, and absent otherwise: no data must read as "no move" (notBreaching), the
        move must page at once (1 of 1 minute) and the alarm be OK the minute after."""
        kinds = {"FailoverAlarm": "Failover", "FailbackAlarm": "Failback",
                 "EvacuationAlarm": "Evacuation", "RestorationAlarm": "Restoration",
                 "ManualTransitionAlarm": "ManualTransition"}
        self.assertLessEqual(set(kinds.values()), published_metrics())
        for name, metric in kinds.items():
            props = alarm(name)
            self.assertEqual((props["MetricName"], props["Statistic"]), (metric, "Sum"), name)
            self.assertEqual((props["ComparisonOperator"], float(props["Threshold"])),
                             ("GreaterThanOrEqualToThreshold", 1.0), name)
            self.assertEqual(props["TreatMissingData"], "notBreaching", name)
            self.assertEqual(state_after(props, [None] * 10), "OK", f"{name}: no move, no page")
            self.assertEqual(state_after(props, [None] * 9 + [1]), "ALARM", f"{name}: a move pages at once")
            self.assertEqual(state_after(props, [None] * 8 + [1, None]), "OK", f"{name}: and clears after")

    def test_no_healthy_target_pages_when_it_lasts_a_few_minutes(self):
        """NoHealthyTarget is Count 1 on each pass that needed a failover and had nowhere
        to go, absent otherwise (notBreaching). One pass must not page; three minutes out
        of five must, even with a minute whose tick fell into the next one."""
        props = alarm("NoHealthyTargetAlarm")
        self.assertEqual((props["MetricName"], props["Statistic"], props["TreatMissingData"]),
                         ("NoHealthyTarget", "Sum", "notBreaching"))
        self.assertEqual((props["ComparisonOperator"], float(props["Threshold"])),
                         ("GreaterThanOrEqualToThreshold", 1.0))
        self.assertEqual(state_after(props, [None] * 9 + [1]), "OK", "one pass is not a condition")
        self.assertEqual(state_after(props, [None] * 7 + [1, 1, 1]), "ALARM", "three minutes page")
        self.assertEqual(state_after(props, [None] * 5 + [1, None, 1, 2, None]), "ALARM",
                         "a minute without a tick does not hide it")
        self.assertEqual(state_after(props, [1, 1, 1] + [None] * 5), "OK", "it clears once passes stop needing it")

    def test_a_pause_pages_after_the_configured_minutes(self):
        """Paused is 1 on every pass while automation is paused, 0 otherwise. The alarm
        needs every one-minute period of PausedAlarmMinutes at 1, so a shorter pause never
        pages. No data is neither paused nor resumed (missing): a stopped watcher is the
        silent alarm's page, not a second one here."""
        self.assertIn("Paused", published_metrics(), "the watcher publishes Paused (metrics.rs)")
        spec = TEMPLATE["Parameters"]["PausedAlarmMinutes"]
        self.assertEqual((spec["Type"], str(spec["Default"])), ("Number", "60"))
        for minutes in ("60", "90"):
            props = alarm("PausedAlarm", resolver(PausedAlarmMinutes=minutes))
            self.assertEqual((props["MetricName"], props["Statistic"], int(props["Period"])), ("Paused", "Maximum", 60))
            self.assertEqual((props["EvaluationPeriods"], props["DatapointsToAlarm"]), (minutes, minutes),
                             "every minute of the configured time must be paused")
            self.assertEqual((props["ComparisonOperator"], float(props["Threshold"])),
                             ("GreaterThanOrEqualToThreshold", 1.0))
            self.assertEqual(props["TreatMissingData"], "missing")
            self.assertIn(f"paused for {minutes}", " ".join(props["AlarmDescription"].split()))
        # CloudWatch: EvaluationPeriods x Period may not exceed one day (PutMetricAlarm).
        self.assertLessEqual(int(spec["MaxValue"]) * 60, 86400)
        self.assertGreaterEqual(int(spec["MinValue"]), 1)

    def test_a_message_in_the_failure_queue_pages(self):
        """The failure queue is empty and idle normally, and SQS publishes a queue's
        metrics only while it is active: no data is an empty queue (notBreaching). One
        visible message pages; the alarm stays in ALARM while messages are there."""
        props = alarm("FailureQueueAlarm")
        self.assertEqual((props["Namespace"], props["MetricName"], props["Statistic"]),
                         ("AWS/SQS", "ApproximateNumberOfMessagesVisible", "Maximum"))
        self.assertEqual(props["Dimensions"], [{"Name": "QueueName", "Value": "<WatcherFailureQueue.QueueName>"}])
        self.assertEqual(props["TreatMissingData"], "notBreaching")
        self.assertEqual(state_after(props, [None] * 5), "OK", "an idle queue sends no data")
        self.assertEqual(state_after(props, [0, 0, 1]), "ALARM", "one message pages")
        self.assertEqual(state_after(props, [1, 1, 0]), "OK", "deleted messages re-arm it")
        # Both the function's on-failure destination and the rules' dead-letter queues
        # are the queue this alarm watches.
        function = TEMPLATE["Resources"]["WatcherFunction"]["Properties"]
        self.assertEqual(function["EventInvokeConfig"]["DestinationConfig"]["OnFailure"]["Destination"],
                         {"Fn::GetAtt": ["WatcherFailureQueue", "Arn"]})
        for event in function["Events"].values():
            self.assertEqual(event["Properties"]["DeadLetterConfig"]["Arn"], {"Fn::GetAtt": ["WatcherFailureQueue", "Arn"]})

    def test_the_existing_operational_alarms_keep_their_rules(self):
        errors = alarm("WatcherErrorsAlarm")
        self.assertEqual((errors["MetricName"], errors["TreatMissingData"]), ("Errors", "notBreaching"))
        self.assertEqual(state_after(errors, [1, None, 1, None, None]), "OK", "two failed minutes of five: no page")
        self.assertEqual(state_after(errors, [1, None, 1, None, 2]), "ALARM")
        silent = alarm("WatcherSilentAlarm")
        self.assertEqual((silent["MetricName"], silent["TreatMissingData"]), ("Invocations", "breaching"))
        self.assertEqual(state_after(silent, [None]), "ALARM", "no invocation at all is silence")
        self.assertEqual(state_after(silent, [5]), "OK")

    def test_the_dashboard_shows_every_alarm(self):
        shown = json.dumps(Dashboard().body())
        for name in self.ALARMS:
            self.assertIn(f"<{name}.Arn>", shown, f"the dashboard's alarm widget lacks {name}")


class Journal(unittest.TestCase):
    """The watcher's log group holds the journal of transitions: the audit trail must
    outlive the stack (sam delete) and a replacement of the group."""

    def test_the_journal_s_log_group_is_retained_and_kept_long(self):
        group = TEMPLATE["Resources"]["WatcherLogGroup"]
        self.assertEqual(group.get("DeletionPolicy"), "Retain", "sam delete would erase every transition's record")
        self.assertEqual(group.get("UpdateReplacePolicy"), "Retain")
        self.assertEqual(group["Properties"]["RetentionInDays"], {"Ref": "JournalRetentionDays"})
        watcher = TEMPLATE["Resources"]["WatcherFunction"]["Properties"]["LoggingConfig"]["LogGroup"]
        self.assertEqual(watcher, {"Ref": "WatcherLogGroup"}, "the journal is written to the retained group")
        spec = TEMPLATE["Parameters"]["JournalRetentionDays"]
        # The values CloudWatch Logs accepts for RetentionInDays (PutRetentionPolicy).
        allowed = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827,
                   2192, 2557, 2922, 3288, 3653]
        self.assertEqual([int(v) for v in spec["AllowedValues"]], allowed)
        self.assertGreater(int(spec["Default"]), 365, "a year's audit must still find the year's first move")
        self.assertEqual(resolver(JournalRetentionDays="731").resolve(group["Properties"])["RetentionInDays"], "731")

    def test_the_health_log_group_goes_with_the_stack(self):
        # Request-level lines, no record of routing: nothing to keep after a teardown.
        group = TEMPLATE["Resources"]["HealthLogGroup"]
        self.assertNotIn("DeletionPolicy", group)
        self.assertEqual(group["Properties"]["RetentionInDays"], {"Ref": "LogRetentionDays"})


class ParameterDocumentation(unittest.TestCase):
    def test_every_parameter_says_what_it_is(self):
        # The console, sam deploy --guided and deploy-region.py's messages show it.
        missing = [name for name, spec in TEMPLATE["Parameters"].items()
                   if not " ".join(str(spec.get("Description", "")).split())]
        self.assertEqual(missing, [], "parameters without a Description")
        for name, spec in TEMPLATE["Parameters"].items():
            self.assertLessEqual(len(str(spec["Description"])), 4000, f"{name}: CloudFormation's limit")

    def test_every_parameter_is_in_a_console_group(self):
        grouped = [p for g in TEMPLATE["Metadata"]["AWS::CloudFormation::Interface"]["ParameterGroups"]
                   for p in g["Parameters"]]
        self.assertEqual(sorted(grouped), sorted(TEMPLATE["Parameters"]))

    def test_the_health_function_s_name_is_an_output(self):
        # crates/health/README.md's drain command reads it from the stack.
        self.assertEqual(TEMPLATE["Outputs"]["HealthFunctionName"]["Value"], {"Ref": "HealthFunction"})
        readme = (ROOT / "crates/health/README.md").read_text()
        self.assertTrue("HealthFunctionName" in readme, "the README must name the function through the output")
        self.assertFalse("--function-name regionflip-health " in readme, "no function has that name")


class SamconfigExample(unittest.TestCase):
    def test_environments_are_regions_that_agree_on_routing(self):
        deploy = deploy_region_module()
        with (ROOT / "samconfig.example.toml").open("rb") as f:
            self.assertEqual(deploy.routing_disagreements(tomllib.load(f)), [])
        self.assertEqual(sorted(ENVS), ["us-east-1", "us-west-2"])
        for name, env in ENVS.items():
            self.assertEqual(env["region"], name, f"environment {name} deploys to {env['region']}")
            regions = [v for k, v in env["overrides"].items() if re.fullmatch(r"Region\dName", k)]
            self.assertIn(name, regions, f"environment {name} is not one of its own regions")
            Resolver(TEMPLATE, env["overrides"], region=name)  # raises on unknown or missing parameters

    def test_matches_the_sample_watcher_configuration(self):
        with (EVENTS / "watcher-config.toml").open("rb") as f:
            sample = tomllib.load(f)
        env = overrides()
        self.assertEqual(env["HostedZoneId"], sample["hosted_zone_id"])
        self.assertEqual(env["RecordName"], sample["record_name"])
        for i, region in enumerate(sample["regions"], start=1):
            self.assertEqual(env[f"Region{i}Name"], region["name"])
            self.assertEqual(env[f"Region{i}Alarms"], ",".join(region["alarms"]))
            self.assertEqual(env.get(f"Region{i}Guards", ""), ",".join(region["guards"]))


if __name__ == "__main__":
    unittest.main()
