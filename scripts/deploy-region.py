#!/usr/bin/env python3
"""Deploys one region's regionflip stack with `sam deploy`. Run by `make deploy REGION=...`.

    scripts/deploy-region.py --region us-west-2 [--stack NAME] [--config samconfig.toml]
                             [--env ENV] [--set Key=Value ...] [--dry-run]

What it adds to a plain `sam deploy --config-env REGION`:

* It ships the artifacts `make build` produced and checked (glibc), not a rebuild: the
  template is written to target/template-tools/deploy/<region>/template.json with each
  function's CodeUri pointing at its bootstrap.zip.
* It fills the other regions' RegionNHealthCheckId, RegionNHealthUrl and
  RegionNHealthSearch from their stacks' endpoint checks, found by tag (regionflip:record,
  regionflip:region, regionflip:role=endpoint), so nothing is copied by hand. The URL and
  search string are read from the check itself (https://<FullyQualifiedDomainName>
  <ResourcePath>, SearchString): what Route 53 probes is what every watcher probes, with
  no stack name, no CloudFormation call and no call beyond the listing. This region's own
  slot comes from the stack itself (its RegionNHealthSearch is set to its HealthMatch,
  which the template's rules require). While a region's check cannot be found (that
  region is not deployed yet) the watcher is deployed with WatcherState=DISABLED: a
  watcher that cannot see every region's endpoint could decide differently from the
  others. Deploy again once every region exists (docs/deploy.md, "Two regions").
* It refuses a samconfig whose environments disagree on a routing parameter: every
  watcher must decide on the same configuration.

`--write-cli-config regionflip.toml` deploys nothing: it writes the operator CLI's
configuration (crates/core/src/config.rs, TOML) from the same samconfig, with every
region's endpoint check, health URL and search string filled in from its tags.

`sam deploy --parameter-overrides` replaces the config file's overrides instead of adding
to them, so the full set (samconfig, then discovery, then --set) is passed explicitly.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"
MAX_REGIONS = 4
FUNCTION_BINARIES = {"HealthFunction": "health", "WatcherFunction": "watcher"}

# Parameters that describe one region's own deployment; every other parameter is routing
# configuration that must be the same in every region's stack.
REGIONAL_PARAMETERS = {
    "Architecture",
    "LogRetentionDays",
    "AlarmTopicArn",
    "WatcherState",
    "WatcherTickSchedule",
    "WatcherReservedConcurrency",
    "WatcherWaitInSyncSecs",
}
REGIONAL_PREFIXES = ("Health",)
# template.yaml's HealthMatch default: what the health function serves unless told
# otherwise (crates/core's DEFAULT_HEALTH_SEARCH, the default health_search).
DEFAULT_HEALTH_MATCH = "regionflip-healthy"


class DeployError(Exception):
    """A problem the operator must fix; the message says how."""


def is_routing_parameter(name: str) -> bool:
    if name in REGIONAL_PARAMETERS or name.startswith(REGIONAL_PREFIXES):
        return False
    # Health check ids differ per stack by design: each stack fills in its own.
    return not (name.startswith("Region") and name.endswith("HealthCheckId"))


def parse_overrides(value) -> dict[str, str]:
    """samconfig's parameter_overrides (a list of Key=Value strings, a table, or one
    space-separated string) as a dict."""
    if value is None:
        return {}
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items()}
    if isinstance(value, str):
        value = shlex.split(value)
    result: dict[str, str] = {}
    for item in value:
        if not isinstance(item, str) or "=" not in item:
            raise DeployError(f"parameter_overrides entry {item!r} is not Key=Value")
        key, _, val = item.partition("=")
        if len(val) >= 2 and val[0] == val[-1] == '"':
            val = val[1:-1]
        result[key.strip()] = val
    return result


def load_samconfig(path: Path) -> dict:
    if not path.is_file():
        raise DeployError(
            f"{path} does not exist: copy samconfig.example.toml to samconfig.toml and fill it in"
        )
    with path.open("rb") as f:
        return tomllib.load(f)


def environment(config: dict, env: str) -> dict:
    try:
        return config[env]["deploy"]["parameters"]
    except KeyError:
        envs = sorted(k for k, v in config.items() if isinstance(v, dict) and "deploy" in v)
        raise DeployError(
            f"samconfig has no [{env}.deploy.parameters]; environments: {', '.join(envs) or 'none'}"
        ) from None


def routing_disagreements(config: dict) -> list[str]:
    """Routing parameters whose value differs between the samconfig's environments."""
    envs = {
        name: parse_overrides(table["deploy"]["parameters"].get("parameter_overrides"))
        for name, table in config.items()
        if isinstance(table, dict) and "deploy" in table and "parameters" in table["deploy"]
    }
    problems = []
    keys = sorted({k for params in envs.values() for k in params if is_routing_parameter(k)})
    for key in keys:
        values = {name: params.get(key, "(unset)") for name, params in envs.items()}
        if len(set(values.values())) > 1:
            shown = ", ".join(f"{name}={value!r}" for name, value in sorted(values.items()))
            problems.append(f"{key} differs between environments ({shown})")
    return problems


def configured_regions(params: dict[str, str]) -> list[tuple[int, str]]:
    """(slot, region) for every filled region slot, in preference order."""
    return [
        (i, params[f"Region{i}Name"])
        for i in range(1, MAX_REGIONS + 1)
        if params.get(f"Region{i}Name")
    ]


@dataclass(frozen=True)
class EndpointCheck:
    """One region's endpoint check: its id, and what it probes (the health URL and the
    search string), read from its HealthCheckConfig."""

    id: str
    url: str | None = None
    search: str | None = None
    # RequestInterval: what tells a check the stack uses now from one it retained when a
    # change of HealthCheckInterval replaced it (template.yaml: UpdateReplacePolicy Retain).
    interval: int | None = field(default=None, compare=False)


def probed_url(config: dict) -> str | None:
    """The URL a Route 53 HTTP(S) check requests, as the watcher's probe must request it:
    scheme from the type, the domain name (or address), a port other than the default,
    and the resource path. None for checks that request no URL (CALCULATED, ...)."""
    kind = config.get("Type", "")
    if kind.startswith("HTTPS"):
        scheme, default_port = "https", 443
    elif kind.startswith("HTTP"):
        scheme, default_port = "http", 80
    else:
        return None
    host = config.get("FullyQualifiedDomainName") or config.get("IPAddress")
    if not host:
        return None
    if ":" in host:  # an IPv6 address
        host = f"[{host}]"
    port = config.get("Port", default_port)
    authority = host if port == default_port else f"{host}:{port}"
    path = config.get("ResourcePath") or "/"
    return f"{scheme}://{authority}{path if path.startswith('/') else '/' + path}"


def discover_endpoint_checks(
    record: str, regions: list[str], route53=None
) -> dict[str, list[EndpointCheck]]:
    """Endpoint checks tagged for `record`, per region (normally one each), with the URL
    and search string each one probes (from the same ListHealthChecks pages)."""
    if route53 is None:
        import boto3  # comes with aws-sam-cli; imported here so --no-discover needs no boto3

        route53 = boto3.client("route53")
    configs = {
        check["Id"]: check.get("HealthCheckConfig", {})
        for page in route53.get_paginator("list_health_checks").paginate()
        for check in page["HealthChecks"]
    }
    ids = list(configs)
    found: dict[str, list[EndpointCheck]] = {region: [] for region in regions}
    for start in range(0, len(ids), 10):  # ListTagsForResources takes at most 10 ids
        response = route53.list_tags_for_resources(
            ResourceType="healthcheck", ResourceIds=ids[start : start + 10]
        )
        for tag_set in response["ResourceTagSets"]:
            tags = {t["Key"]: t["Value"] for t in tag_set.get("Tags", [])}
            region = tags.get("regionflip:region")
            if (
                tags.get("regionflip:record") == record
                and tags.get("regionflip:role") == "endpoint"
                and region in found
            ):
                check_id = tag_set["ResourceId"]
                config = configs.get(check_id, {})
                found[region].append(
                    EndpointCheck(check_id, probed_url(config), config.get("SearchString"),
                                  config.get("RequestInterval"))
                )
    return found


def fill_from_endpoint_checks(
    params: dict[str, str], own_region: str, found: dict[str, list[EndpointCheck]],
    intervals: dict[str, int] | None = None,
) -> list[str]:
    """Sets the other regions' RegionNHealthCheckId, RegionNHealthUrl and
    RegionNHealthSearch from `found`, and this region's RegionNHealthSearch to its own
    HealthMatch; returns the regions whose endpoint (check or URL) is still unknown.

    A value given explicitly (samconfig, --set) wins, as for the check id, except a search
    string that contradicts what the region's endpoint check searches for: every probe of
    that region would fail, so that is refused.

    Two checks tagged for one region are either two stacks serving one record there
    (refused) or the check a stack uses and the one it retained when a change of
    HealthCheckInterval replaced it: `intervals` (each region's HealthCheckInterval, from
    its samconfig environment) tells the one in use, and the retained one is named so
    that the operator deletes it once `regionflip init` has moved everything off it."""
    missing = []
    for slot, region in configured_regions(params):
        id_key, url_key, search_key = (
            f"Region{slot}HealthCheckId", f"Region{slot}HealthUrl", f"Region{slot}HealthSearch"
        )
        if region == own_region:
            # The stack hands its own check and URL to its watcher; the template's rules
            # require this slot's search string to be the HealthMatch it serves.
            params.setdefault(search_key, params.get("HealthMatch", DEFAULT_HEALTH_MATCH))
            continue
        checks = found.get(region, [])
        if params.get(id_key):
            checks = [c for c in checks if c.id == params[id_key]]
        elif len(checks) > 1 and intervals and region in intervals:
            current = [c for c in checks if c.interval == intervals[region]]
            if len(current) == 1:
                retained = [c.id for c in checks if c is not current[0]]
                print(
                    f"deploy-region: {region}'s endpoint check is {current[0].id} (interval "
                    f"{intervals[region]} s); {', '.join(retained)} was retained when it was "
                    f"replaced. Run regionflip init (it moves the CALCULATED check or the "
                    f"records onto {current[0].id}), redeploy every region, then delete "
                    f"{', '.join(retained)} (docs/deploy.md, \"Replacing an endpoint check\")",
                    file=sys.stderr,
                )
                checks = current
        if not params.get(id_key) and len(checks) > 1:
            raise DeployError(
                f"{len(checks)} endpoint checks are tagged regionflip:record={params['RecordName']} "
                f"regionflip:region={region} ({', '.join(c.id for c in checks)}): two stacks serve "
                f"one record in one region; delete the extra stack, or set {id_key} explicitly"
            )
        check = checks[0] if checks else None
        if check is None:
            if not params.get(id_key) or not params.get(url_key):
                missing.append(region)
            continue
        params.setdefault(id_key, check.id)
        if check.url:
            params.setdefault(url_key, check.url)
        if check.search:
            given = params.setdefault(search_key, check.search)
            if given != check.search:
                raise DeployError(
                    f"{search_key}={given!r}, but {region}'s endpoint check {check.id} searches "
                    f"for {check.search!r} (its HealthMatch): every probe of {region} would fail. "
                    f"Leave {search_key} out; the deploy reads it from the check"
                )
        if not params.get(url_key):
            missing.append(region)
    return missing


def package_template(out: Path, target_dir: Path) -> Path:
    """template.yaml as JSON, each function's CodeUri on its built zip."""
    from cfnlint.decode.cfn_yaml import load  # the intrinsic-tag-aware loader

    template = load(str(TEMPLATE))
    for logical_id, binary in FUNCTION_BINARIES.items():
        artifact = target_dir / "lambda" / binary / "bootstrap.zip"
        if not artifact.is_file():
            raise DeployError(f"{artifact} is missing: run make build first")
        template["Resources"][logical_id]["Properties"]["CodeUri"] = str(artifact)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(template, indent=1))
    return out


def check_intervals(config: dict, default: int | None = None) -> dict[str, int]:
    """Each region's HealthCheckInterval (its endpoint check's RequestInterval), from the
    samconfig environment that deploys to it; the template's default where unset."""
    if default is None:
        try:
            default = int(template_defaults().get("HealthCheckInterval", "30"))
        except ImportError:  # cfn-lint reads the template; without it, the template's 30
            default = 30
    intervals = {}
    for name, table in config.items():
        if not isinstance(table, dict) or "parameters" not in table.get("deploy", {}):
            continue
        parameters = table["deploy"]["parameters"]
        region = parameters.get("region") or name
        overrides = parse_overrides(parameters.get("parameter_overrides"))
        try:
            intervals[region] = int(overrides.get("HealthCheckInterval", default))
        except ValueError:
            continue
    return intervals


def template_defaults() -> dict[str, str]:
    from cfnlint.decode.cfn_yaml import load

    return {
        name: str(spec["Default"])
        for name, spec in load(str(TEMPLATE))["Parameters"].items()
        if "Default" in spec
    }


def cli_config(params: dict[str, str]) -> str:
    """The CLI's TOML configuration equivalent to the stacks' REGIONFLIP_* environment."""
    p = {**template_defaults(), **params}

    def q(value: str) -> str:
        return json.dumps(value)  # a JSON string is a valid TOML basic string

    def names(value: str) -> str:
        return "[" + ", ".join(q(a) for a in value.split(",") if a) + "]"

    lines = [
        "# Generated by scripts/deploy-region.py --write-cli-config from the samconfig and the",
        "# endpoint checks the stacks created (found by tag: ids, health URLs, search strings).",
        "# Regenerate rather than edit.",
        f"hosted_zone_id = {q(p['HostedZoneId'])}",
        f"record_name = {q(p['RecordName'])}",
        f"record_type = {q(p['RecordType'])}",
        f"ttl = {int(p['RecordTtl'])}",
        f"mode = {q(p['Mode'])}",
        f"metrics_namespace = {q(p['MetricsNamespace'])}",
        "",
        "[failback]",
        f"mode = {q(p['FailbackMode'])}",
        f"stable_for_secs = {int(p['FailbackStableForSecs'])}",
        f"min_dwell_secs = {int(p['FailbackMinDwellSecs'])}",
        f"horizon_secs = {int(p.get('FailbackHorizonSecs', 0))}",
        f"max_flips_per_hour = {int(p['FailbackMaxFlipsPerHour'])}",
        "",
        "[failover]",
        f"respect_guards = {p['FailoverRespectGuards']}",
        f"no_data_on_standby = {q(p['FailoverNoDataOnStandby'])}",
    ]
    for slot, region in configured_regions(p):
        lines += ["", "[[regions]]", f"name = {q(region)}", f"target = {q(p[f'Region{slot}Target'])}"]
        if p.get(f"Region{slot}AliasHostedZoneId"):
            lines.append(f"alias_hosted_zone_id = {q(p[f'Region{slot}AliasHostedZoneId'])}")
        if p.get(f"Region{slot}HealthCheckId"):
            lines.append(f"health_check_id = {q(p[f'Region{slot}HealthCheckId'])}")
        if p.get(f"Region{slot}HealthUrl"):
            lines.append(f"health_url = {q(p[f'Region{slot}HealthUrl'])}")
        lines.append(f"health_search = {q(p[f'Region{slot}HealthSearch'])}")
        lines.append(f"alarms = {names(p.get(f'Region{slot}Alarms', ''))}")
        lines.append(f"guards = {names(p.get(f'Region{slot}Guards', ''))}")
    return "\n".join(lines) + "\n"


def sam_command(args, template: Path, params: dict[str, str]) -> list[str]:
    for key, value in params.items():
        if '"' in value:
            raise DeployError(f"{key} contains a double quote, which sam's override syntax cannot carry")
    command = [
        os.environ.get("SAM", "sam"),
        "deploy",
        "--config-file", str(Path(args.config).resolve()),
        "--config-env", args.env,
        "--template-file", str(template),
        "--region", args.region,
        "--parameter-overrides",
        *[f'{k}="{v}"' for k, v in sorted(params.items())],
    ]
    if args.stack:
        command += ["--stack-name", args.stack]
    return command


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--region", help="the region to deploy (required unless --write-cli-config)")
    parser.add_argument("--stack", help="stack name (default: the environment's stack_name)")
    parser.add_argument("--config", default=str(ROOT / "samconfig.toml"))
    parser.add_argument("--env", help="samconfig environment (default: the region)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override one parameter for this deploy (HealthDrain=true, ...)")
    parser.add_argument("--no-discover", action="store_true",
                        help="do not look up the other regions' endpoint checks")
    parser.add_argument("--dry-run", action="store_true",
                        help="print the sam command instead of running it")
    parser.add_argument("--write-cli-config", metavar="PATH",
                        help="write the CLI's regionflip.toml instead of deploying")
    parser.add_argument("--force", action="store_true", help="with --write-cli-config: overwrite PATH")
    args = parser.parse_args(argv)

    try:
        config = load_samconfig(Path(args.config))
        if args.write_cli_config:
            return write_cli_config(args, config)
        if not args.region:
            raise DeployError("--region is required")
        args.env = args.env or args.region
        env = environment(config, args.env)
        if env.get("region") and env["region"] != args.region:
            raise DeployError(
                f"environment {args.env} deploys to {env['region']}, not {args.region}"
            )
        problems = routing_disagreements(config)
        if problems:
            raise DeployError(
                "every region's stack must carry the same routing configuration:\n  "
                + "\n  ".join(problems)
            )
        params = parse_overrides(env.get("parameter_overrides"))
        params.update(parse_overrides(args.set))
        regions = [region for _, region in configured_regions(params)]
        if args.region not in regions:
            raise DeployError(f"{args.region} is not one of Region1Name..Region4Name ({', '.join(regions)})")
        if params.get("Architecture", "x86_64") != "x86_64":
            raise DeployError("make build builds x86_64 only; deploy arm64 with sam build instead")

        others = [r for r in regions if r != args.region]
        found = {} if args.no_discover else discover_endpoint_checks(params["RecordName"], others)
        missing = fill_from_endpoint_checks(params, args.region, found, check_intervals(config))
        if missing and params.get("WatcherState", "ENABLED") == "ENABLED":
            print(
                f"deploy-region: no endpoint check (health check id, health URL) found for "
                f"{', '.join(missing)} yet: the watcher in {args.region} is deployed DISABLED. "
                f"Deploy {', '.join(missing)}, then deploy {args.region} again.",
                file=sys.stderr,
            )
            params["WatcherState"] = "DISABLED"

        target_dir = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target")).resolve()
        template = package_template(
            ROOT / "target" / "template-tools" / "deploy" / args.region / "template.json",
            target_dir,
        )
        command = sam_command(args, template, params)
    except DeployError as e:
        print(f"deploy-region: {e}", file=sys.stderr)
        return 2

    print("+ " + shlex.join(command), file=sys.stderr)
    if args.dry_run:
        return 0
    return subprocess.call(command, cwd=ROOT)


def write_cli_config(args, config: dict) -> int:
    problems = routing_disagreements(config)
    if problems:
        raise DeployError("the samconfig's environments disagree:\n  " + "\n  ".join(problems))
    env_name = args.env or next(
        (k for k, v in config.items() if isinstance(v, dict) and "deploy" in v), None
    )
    if env_name is None:
        raise DeployError("the samconfig has no deploy environment")
    params = parse_overrides(environment(config, env_name).get("parameter_overrides"))
    params.update(parse_overrides(args.set))
    regions = [region for _, region in configured_regions(params)]
    found = {} if args.no_discover else discover_endpoint_checks(params["RecordName"], regions)
    missing = fill_from_endpoint_checks(params, own_region="", found=found,
                                        intervals=check_intervals(config))
    if missing:
        print(f"deploy-region: no endpoint check found for {', '.join(missing)}; deploy it first "
              "(the CLI then sees that region without its endpoint check and health URL)",
              file=sys.stderr)
    out = Path(args.write_cli_config)
    if out.exists() and not args.force:
        raise DeployError(f"{out} exists; pass --force to overwrite it")
    out.write_text(cli_config(params))
    print(f"deploy-region: wrote {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
