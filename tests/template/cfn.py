"""Just enough CloudFormation to test template.yaml offline.

* `load_template` reads it with cfn-lint's loader, so `!Ref`/`!Sub`/... arrive as
  {"Ref": ...}/{"Fn::Sub": ...} nodes.
* `Resolver` evaluates the intrinsic functions the template uses (Ref, Fn::If, Fn::Sub,
  Fn::Join, Fn::Split, Fn::Select, Fn::GetAtt, Fn::FindInMap, and the condition
  functions, with the rule function Fn::Contains) for given parameter values. Resources resolve to placeholders: `<Name>` for
  a Ref, `<Name.Attr>` for a GetAtt. Anything else raises, so a template that starts
  using a new function fails loudly here instead of being half-checked.
* `event_pattern_matches` is an EventBridge pattern matcher for the subset the template
  uses: nested objects, and lists of exact values. Content filters (prefix, anything-but,
  numeric, exists...) raise.
"""

from __future__ import annotations

import importlib.util
import re
import sys
import tomllib
from pathlib import Path

from cfnlint.decode.cfn_yaml import load

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
SAMCONFIG_EXAMPLE = ROOT / "samconfig.example.toml"
EVENTS = ROOT / "events"

#: The account of the sample events in events/.
ACCOUNT = "123456789012"


class _NoValue:
    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE = _NoValue()


def load_template() -> dict:
    return load(str(TEMPLATE))


def deploy_region_module():
    """scripts/deploy-region.py as a module (its name has a dash)."""
    name = "deploy_region"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / "deploy-region.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def samconfig_environments(path: Path = SAMCONFIG_EXAMPLE) -> dict[str, dict]:
    """{env name: {"region": ..., "stack_name": ..., "overrides": {Key: Value}}}."""
    with path.open("rb") as f:
        config = tomllib.load(f)
    parse = deploy_region_module().parse_overrides
    envs = {}
    for name, table in config.items():
        if not isinstance(table, dict) or "deploy" not in table:
            continue
        params = table["deploy"]["parameters"]
        envs[name] = {
            "region": params.get("region"),
            "stack_name": params.get("stack_name"),
            "overrides": parse(params.get("parameter_overrides")),
        }
    return envs


def workspace_binaries() -> dict[str, Path]:
    """[[bin]] name -> the Cargo.toml that declares it, for every crate in crates/."""
    bins = {}
    for manifest in sorted((ROOT / "crates").glob("*/Cargo.toml")):
        with manifest.open("rb") as f:
            for entry in tomllib.load(f).get("bin", []):
                bins[entry["name"]] = manifest
    return bins


class ResolveError(Exception):
    pass


class Resolver:
    """Evaluates intrinsic functions for one stack: parameter values and a region."""

    def __init__(self, template: dict, overrides: dict[str, str], region: str,
                 account: str = ACCOUNT, stack_name: str = "regionflip-api",
                 partition: str = "aws"):
        self.template = template
        self.region = region
        self.partition = partition
        self.account = account
        self.stack_name = stack_name
        self.params: dict[str, object] = {}
        for name, spec in template["Parameters"].items():
            if name in overrides:
                raw = overrides[name]
            elif "Default" in spec:
                raw = str(spec["Default"])
            else:
                raise ResolveError(f"parameter {name} has no default and no value was given")
            if spec["Type"] == "CommaDelimitedList":
                self.params[name] = [] if raw == "" else raw.split(",")
            else:
                self.params[name] = raw
        unknown = set(overrides) - set(template["Parameters"])
        if unknown:
            raise ResolveError(f"values given for parameters the template lacks: {sorted(unknown)}")
        self._conditions: dict[str, bool] = {}

    # -- conditions -------------------------------------------------------------------
    def condition(self, name: str) -> bool:
        if name not in self._conditions:
            self._conditions[name] = self.evaluate(self.template["Conditions"][name])
        return self._conditions[name]

    def evaluate(self, node) -> bool:
        if isinstance(node, dict) and len(node) == 1:
            (fn, arg), = node.items()
            if fn == "Fn::Equals":
                a, b = (self.resolve(x) for x in arg)
                return a == b
            if fn == "Fn::Not":
                return not self.evaluate(arg[0])
            if fn == "Fn::And":
                return all(self.evaluate(x) for x in arg)
            if fn == "Fn::Or":
                return any(self.evaluate(x) for x in arg)
            if fn == "Condition":
                return self.condition(arg)
            if fn == "Fn::Contains":  # Rules only: whether the list holds the value
                items, value = (self.resolve(x) for x in arg)
                return value in items
        raise ResolveError(f"not a condition: {node!r}")

    def resource_exists(self, logical_id: str) -> bool:
        resource = self.template["Resources"][logical_id]
        return "Condition" not in resource or self.condition(resource["Condition"])

    # -- values -------------------------------------------------------------------------
    def ref(self, name: str):
        pseudo = {
            "AWS::Region": self.region,
            "AWS::AccountId": self.account,
            "AWS::Partition": self.partition,
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": self.stack_name,
            "AWS::NoValue": NO_VALUE,
        }
        if name in pseudo:
            return pseudo[name]
        if name in self.params:
            return self.params[name]
        if name in self.template["Resources"]:
            return f"<{name}>"
        # SAM's generated references, like HealthApi.Stage.
        if name.split(".")[0] in self.template["Resources"]:
            return f"<{name}>"
        raise ResolveError(f"Ref to unknown name {name!r}")

    def sub(self, text: str, variables: dict) -> str:
        def replace(match: re.Match) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                value = variables[name]
            elif "." in name and name.split(".")[0] in self.template["Resources"]:
                value = f"<{name}>"
            else:
                value = self.ref(name)
            if not isinstance(value, str):
                raise ResolveError(f"Fn::Sub variable {name} is not a string: {value!r}")
            return value

        return re.sub(r"\$\{([^}]+)\}", replace, text)

    def resolve(self, node):
        if isinstance(node, dict):
            if len(node) == 1:
                (key, arg), = node.items()
                if key == "Ref":
                    return self.ref(arg)
                if key.startswith("Fn::") or key == "Condition":
                    return self.function(key, arg)
            result = {}
            for key, value in node.items():
                value = self.resolve(value)
                if value is not NO_VALUE:
                    result[str(key)] = value
            return result
        if isinstance(node, list):
            return [v for v in (self.resolve(x) for x in node) if v is not NO_VALUE]
        if isinstance(node, str):
            return str(node)
        return node

    def function(self, fn: str, arg):
        if fn == "Fn::If":
            name, when_true, when_false = arg
            return self.resolve(when_true if self.condition(name) else when_false)
        if fn == "Fn::Split":
            delimiter, text = arg
            text = self.resolve(text)
            return text.split(delimiter)
        if fn == "Fn::Join":
            delimiter, items = arg
            items = self.resolve(items)
            if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
                raise ResolveError(f"Fn::Join over {items!r}")
            return delimiter.join(items)
        if fn == "Fn::Sub":
            if isinstance(arg, str):
                return self.sub(arg, {})
            text, variables = arg
            return self.sub(text, {k: self.resolve(v) for k, v in variables.items()})
        if fn == "Fn::Select":
            index, items = arg
            return self.resolve(items)[int(self.resolve(index))]
        if fn == "Fn::GetAtt":
            target = arg if isinstance(arg, str) else ".".join(arg)
            if target.split(".")[0] not in self.template["Resources"]:
                raise ResolveError(f"Fn::GetAtt of unknown resource {target!r}")
            return f"<{target}>"
        if fn == "Fn::FindInMap":
            mapping, top, second = (self.resolve(x) for x in arg)
            return str(self.template["Mappings"][mapping][top][second])
        if fn == "Condition":
            return self.condition(arg)
        raise ResolveError(f"the test resolver does not know {fn}")


# -- EventBridge patterns ------------------------------------------------------------------
def event_pattern_matches(pattern: dict, event: dict) -> bool:
    """Whether `event` matches `pattern` (exact-value subset of EventBridge patterns)."""
    for key, expected in pattern.items():
        if key not in event:
            return False
        actual = event[key]
        if isinstance(expected, dict):
            if not isinstance(actual, dict) or not event_pattern_matches(expected, actual):
                return False
        elif isinstance(expected, list):
            for value in expected:
                if isinstance(value, (dict, list)):
                    raise ValueError(
                        f"pattern field {key!r} uses a content filter {value!r}; extend "
                        "event_pattern_matches before using it in the template"
                    )
            candidates = actual if isinstance(actual, list) else [actual]
            if not any(value == candidate for value in expected for candidate in candidates):
                return False
        else:
            raise ValueError(f"pattern field {key!r} must be a list or an object, not {expected!r}")
    return True
