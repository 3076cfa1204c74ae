"""The emulator's time-scaled mode: CloudFormation and SSM Run Command take time, as on AWS.

moto does everything at once: a stack is complete before CreateStack/ExecuteChangeSet returns,
a Run Command invocation is `Success` before SendCommand returns. Whatever dpf does while it
waits (DescribeStacks, DescribeStackEvents since the last event it saw, ListCommandInvocations,
GetCommandInvocation, backing off while nothing moves, noticing completion) is never exercised
and cannot be measured. With `--time-scale N` (N AWS seconds pass per real second):

- A stack operation (CreateStack, ExecuteChangeSet, UpdateStack, DeleteStack) still does its
  work at once in moto's backends, but CloudFormation's *view* of it takes time: the stack reads
  CREATE_IN_PROGRESS / UPDATE_IN_PROGRESS (then UPDATE_COMPLETE_CLEANUP_IN_PROGRESS while removed
  resources are deleted) / DELETE_IN_PROGRESS until its resources' typical times along the
  template's longest dependency chain have passed, divided by N. DescribeStackEvents shows one
  X_IN_PROGRESS and one X_COMPLETE event per logical resource, in dependency order, each only
  once its (scaled) instant has passed, like the event stream AWS documents in "Monitor the
  progress of a stack update" (AWS CloudFormation User Guide, using-cfn-updating-stacks-monitor-
  stack). While in progress a stack cannot be updated (ValidationError "Stack:<id> is in <status>
  state and can not be updated.", AWS's message) and a stack being created shows no Outputs.
- A Run Command invocation (and its command) is Pending for the agent's pickup (2 s), then
  InProgress, then Success after the configured time (default 300 s; per document with
  DOC=SECONDS), divided by N: the statuses of "Understanding command statuses" (AWS Systems
  Manager User Guide, monitor-commands). ListCommandInvocations, which moto lacks, is answered
  from the same timeline, so dpf polls through the call it uses on AWS.

Typical times: rain's forecast table (historical averages, seconds to create / update / delete
per resource type), https://github.com/aws-cloudformation/rain/blob/
d085ec5b12eea4cebd9a4e6faa49062d6b609f1b/internal/cmd/forecast/estimate.go, for the types the
platform's templates use. rain's delete column is 1 s for nearly every type (it has no delete
data), so modelled deletes are short; real RDS and NAT gateway deletes take minutes.

The chain is computed here, from the template CloudFormation received, independently of dpf's
own ETA model (src/steps/eta.ts), so that a benchmark can hold one against the other.

Every modelled operation, and every API call (S3 excepted: moto dispatches it apart), is written
to stdout as one line `dpf-timescale {json}` (epoch seconds): what a benchmark reads to know when
the emulator marked a stack complete and how often it was polled.

Usage (through tools/moto_server.py):
  python tools/moto_server.py -H 127.0.0.1 -p PORT --time-scale 60 [--ssm-seconds 300]
         [--ssm-seconds AWS-RunShellScript=20]
  python tools/timescale.py chain TEMPLATE.json [create|update|delete]   # the model, offline
"""
from __future__ import annotations

import datetime
import json
import re
import sys
import threading
import time
import uuid
from typing import Any

# rain forecast (create, update, delete) in seconds; see the module docstring for the source.
ESTIMATES: dict[str, tuple[int, int, int]] = {
    "AWS::AutoScaling::AutoScalingGroup": (3, 3, 1),
    "AWS::AutoScaling::ScalingPolicy": (7, 0, 1),
    "AWS::Backup::BackupPlan": (4, 1, 1),
    "AWS::Backup::BackupSelection": (2, 2, 1),
    "AWS::Backup::BackupVault": (2, 1, 1),
    "AWS::CloudWatch::Alarm": (2, 0, 1),
    "AWS::CloudWatch::Dashboard": (2, 1, 1),
    "AWS::DynamoDB::Table": (15, 10, 1),
    "AWS::EC2::EIP": (17, 2, 1),
    "AWS::EC2::FlowLog": (2, 2, 1),
    "AWS::EC2::Instance": (16, 16, 1),
    "AWS::EC2::InternetGateway": (17, 16, 1),
    "AWS::EC2::LaunchTemplate": (6, 5, 1),
    "AWS::EC2::NatGateway": (106, 5, 1),
    "AWS::EC2::NetworkAcl": (17, 16, 1),
    "AWS::EC2::NetworkAclEntry": (3, 1, 1),
    "AWS::EC2::Route": (2, 0, 1),
    "AWS::EC2::RouteTable": (12, 11, 1),
    "AWS::EC2::SecurityGroup": (6, 2, 1),
    "AWS::EC2::SecurityGroupEgress": (3, 1, 1),
    "AWS::EC2::SecurityGroupIngress": (2, 1, 1),
    "AWS::EC2::Subnet": (4, 10, 1),
    "AWS::EC2::SubnetNetworkAclAssociation": (13, 1, 1),
    "AWS::EC2::SubnetRouteTableAssociation": (2, 0, 1),
    "AWS::EC2::VPC": (12, 2, 1),
    "AWS::EC2::VPCEndpoint": (47, 11, 1),
    "AWS::EC2::VPCGatewayAttachment": (12, 11, 1),
    "AWS::EFS::AccessPoint": (5, 2, 1),
    "AWS::EFS::FileSystem": (5, 5, 1),
    "AWS::EFS::MountTarget": (93, 0, 1),
    "AWS::Events::Rule": (62, 1, 1),
    "AWS::IAM::Group": (12, 2, 1),
    "AWS::IAM::InstanceProfile": (126, 0, 1),
    "AWS::IAM::ManagedPolicy": (16, 1, 1),
    "AWS::IAM::Role": (12, 17, 1),
    "AWS::KMS::Alias": (62, 13, 1),
    "AWS::KMS::Key": (122, 71, 1),
    "AWS::Logs::LogGroup": (1, 1, 1),
    "AWS::Logs::MetricFilter": (2, 2, 1),
    "AWS::RDS::DBInstance": (595, 171, 1),
    "AWS::RDS::DBParameterGroup": (2, 2, 1),
    "AWS::RDS::DBSubnetGroup": (2, 2, 1),
    "AWS::Route53::HostedZone": (71, 16, 1),
    "AWS::Route53::RecordSet": (20, 2, 1),
    "AWS::S3::Bucket": (30, 31, 1),
    "AWS::S3::BucketPolicy": (12, 12, 1),
    "AWS::SNS::Subscription": (2, 2, 1),
    "AWS::SNS::Topic": (4, 7, 1),
    "AWS::SNS::TopicPolicy": (1, 1, 1),
    "AWS::SSM::Parameter": (1, 1, 1),
    "AWS::SecretsManager::Secret": (1, 2, 1),
}
# A type outside the table still takes a moment, so its events keep their order.
UNKNOWN_TYPE_SECONDS = 1
ACTION_COLUMN = {"create": 0, "update": 1, "delete": 2}
# How long an invocation stays Pending before the SSM agent picks it up (an assumption: AWS
# documents the status, not its length).
SSM_PENDING_SECONDS = 2.0
DEFAULT_SSM_SECONDS = 300.0

LOG_PREFIX = "dpf-timescale "
_log_lock = threading.Lock()


def log(record: dict[str, Any]) -> None:
    with _log_lock:
        sys.stdout.write(LOG_PREFIX + json.dumps(record, separators=(",", ":"), default=str) + "\n")
        sys.stdout.flush()


# ---------------------------------------------------------------- the model (pure functions)

def seconds_for(resource_type: str, action: str) -> int:
    est = ESTIMATES.get(resource_type)
    return est[ACTION_COLUMN[action]] if est else UNKNOWN_TYPE_SECONDS


def _references(node: Any, into: set[str]) -> None:
    if isinstance(node, list):
        for n in node:
            _references(n, into)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and isinstance(value, str):
                into.add(value)
            elif key == "Fn::GetAtt":
                into.add(str(value[0]) if isinstance(value, list) else str(value).split(".")[0])
            elif key == "Fn::Sub":
                text = value[0] if isinstance(value, list) else value
                if isinstance(text, str):
                    into.update(m.group(1) for m in re.finditer(r"\$\{([A-Za-z0-9]+)(?:\.[^}]*)?\}", text))
                if isinstance(value, list) and len(value) > 1:
                    _references(value[1], into)
            else:
                _references(value, into)


def dependencies(resources: dict[str, dict[str, Any]]) -> dict[str, set[str]]:
    """Each resource's dependencies among `resources`: Ref, Fn::GetAtt, Fn::Sub and DependsOn."""
    out: dict[str, set[str]] = {}
    for lid, res in resources.items():
        refs: set[str] = set()
        _references(res.get("Properties"), refs)
        depends_on = res.get("DependsOn") or []
        refs.update([depends_on] if isinstance(depends_on, str) else depends_on)
        out[lid] = {r for r in refs if r != lid and r in resources}
    return out


def schedule(deps: dict[str, set[str]], seconds: dict[str, float]) -> dict[str, tuple[float, float]]:
    """(start, end) of every resource: it starts when all it depends on have ended (AWS creates
    independent resources in parallel). A cycle (a template error) is cut where it closes."""
    out: dict[str, tuple[float, float]] = {}
    visiting: set[str] = set()

    def finish(lid: str) -> float:
        if lid in out:
            return out[lid][1]
        if lid in visiting:
            return 0.0
        visiting.add(lid)
        start = max((finish(d) for d in sorted(deps.get(lid, ()))), default=0.0)
        visiting.discard(lid)
        out[lid] = (start, start + seconds.get(lid, 0.0))
        return out[lid][1]

    for lid in sorted(deps):
        finish(lid)
    return out


def reverse(deps: dict[str, set[str]]) -> dict[str, set[str]]:
    """Deletion order: a resource goes once everything that depends on it is gone."""
    out: dict[str, set[str]] = {lid: set() for lid in deps}
    for lid, ds in deps.items():
        for d in ds:
            out[d].add(lid)
    return out


def critical_chain(times: dict[str, tuple[float, float]], deps: dict[str, set[str]]) -> list[str]:
    """The resources along the longest chain, first to last."""
    if not times:
        return []
    lid = max(sorted(times), key=lambda k: times[k][1])
    chain = [lid]
    while True:
        start = times[lid][0]
        before = [d for d in sorted(deps.get(lid, ())) if d in times and abs(times[d][1] - start) < 1e-9]
        if not before or start <= 0:
            break
        lid = before[0]
        chain.append(lid)
    return chain[::-1]


def chain_of_template(template: dict[str, Any], action: str = "create") -> dict[str, Any]:
    """The whole template under one action (every resource, conditions not evaluated)."""
    resources = template.get("Resources") or {}
    deps = dependencies(resources)
    if action == "delete":
        deps = reverse(deps)
    times = schedule(deps, {lid: float(seconds_for(r.get("Type", ""), action)) for lid, r in resources.items()})
    return {
        "seconds": max((e for _, e in times.values()), default=0.0),
        "path": critical_chain(times, deps),
        "resources": {lid: {"type": resources[lid].get("Type"), "start": s, "end": e} for lid, (s, e) in sorted(times.items())},
    }


# ---------------------------------------------------------------- settings

class Settings:
    def __init__(self, scale: float, ssm_seconds: float = DEFAULT_SSM_SECONDS, ssm_by_document: dict[str, float] | None = None):
        self.scale = scale
        self.ssm_seconds = ssm_seconds
        self.ssm_by_document = ssm_by_document or {}

    def ssm_seconds_for(self, document: str | None) -> float:
        return self.ssm_by_document.get(document or "", self.ssm_seconds)


EXAMPLES = {"--time-scale": "a factor of AWS seconds per real second, e.g. --time-scale 60",
            "--ssm-seconds": "AWS seconds, e.g. --ssm-seconds 300 or --ssm-seconds AWS-RunShellScript=20"}


def _positive(flag: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value > 0 or value == float("inf"):
        raise SystemExit(f"moto_server.py: {flag} {text!r} is not a positive number: give {EXAMPLES[flag]}")
    return value


def parse_argv(argv: list[str]) -> tuple[Settings | None, list[str]]:
    """Take --time-scale N and --ssm-seconds [DOC=]S out of argv; the rest is moto's."""
    rest: list[str] = []
    scale: float | None = None
    ssm_seconds = DEFAULT_SSM_SECONDS
    by_doc: dict[str, float] = {}
    i = 0
    while i < len(argv):
        arg = argv[i]
        name, eq, inline = arg.partition("=")
        if name in ("--time-scale", "--ssm-seconds"):
            if eq:
                value = inline
            elif i + 1 < len(argv):
                i += 1
                value = argv[i]
            else:
                raise SystemExit(f"moto_server.py: {name} needs a value: give {EXAMPLES[name]}")
            if name == "--time-scale":
                scale = _positive(name, value)
            elif "=" in value:
                doc, _, secs = value.partition("=")
                if not doc:
                    raise SystemExit(f"moto_server.py: --ssm-seconds {value!r} names no document: give {EXAMPLES[name]}")
                by_doc[doc] = _positive(name, secs)
            else:
                ssm_seconds = _positive(name, value)
        else:
            rest.append(arg)
        i += 1
    if scale is None:
        if by_doc or ssm_seconds != DEFAULT_SSM_SECONDS:
            raise SystemExit("moto_server.py: --ssm-seconds only applies with --time-scale N")
        return None, rest
    return Settings(scale, ssm_seconds, by_doc), rest


def install_from_argv(argv: list[str]) -> list[str]:
    """The hook moto_server.py calls: installs the mode when asked, returns moto's arguments."""
    settings, rest = parse_argv(argv)
    if settings is not None:
        install(settings)
    return rest


# ---------------------------------------------------------------- the timeline in moto

def _now() -> float:
    return time.time()


def _utc(epoch: float) -> datetime.datetime:
    # moto stores naive UTC datetimes (moto.core.utils.utcnow).
    return datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).replace(tzinfo=None)


class _Operation:
    """One stack operation: the statuses it shows until when, then the stored final status."""

    def __init__(self, phases: list[tuple[float, str]], end: float):
        self.phases = phases  # (until epoch, status shown before it), in order
        self.end = end

    def status_at(self, now: float) -> str | None:
        for until, status in self.phases:
            if now < until:
                return status
        return None


def _active(stack: Any, now: float | None = None) -> _Operation | None:
    op = stack.__dict__.get("_ts_op")
    return op if op is not None and (now or _now()) < op.end else None


def _install_cloudformation(settings: Settings) -> None:
    from moto.cloudformation.exceptions import ValidationError
    from moto.cloudformation.models import CloudFormationBackend, Event, Stack

    scale = settings.scale

    # Stack.status and Stack.outputs become views of the timeline.
    def get_status(self):  # type: ignore[no-untyped-def]
        op = self.__dict__.get("_ts_op")
        shown = op.status_at(_now()) if op is not None else None
        return shown or self.__dict__.get("_ts_status")

    def set_status(self, value):  # type: ignore[no-untyped-def]
        self.__dict__["_ts_status"] = value

    Stack.status = property(get_status, set_status)  # type: ignore[assignment,method-assign]
    outputs = Stack.outputs

    def get_outputs(self):  # type: ignore[no-untyped-def]
        # AWS shows a stack's outputs once it is created.
        return None if self.status == "CREATE_IN_PROGRESS" else outputs.fget(self)

    Stack.outputs = property(get_outputs)  # type: ignore[assignment,method-assign]

    def active_resources(stack: Any, resources: dict[str, Any]) -> dict[str, Any]:
        conditions = getattr(stack.resource_map, "lazy_condition_map", {})
        out = {}
        for lid, res in resources.items():
            cond = res.get("Condition")
            try:
                if cond and not conditions[cond]:
                    continue
            except Exception:  # an unevaluable condition: count the resource
                pass
            out[lid] = res
        return out

    def physical_id(stack: Any, lid: str) -> str:
        parsed = stack.resource_map._parsed_resources.get(lid)
        pid = getattr(parsed, "physical_resource_id", None) if parsed is not None and not isinstance(parsed, (str, dict)) else None
        return str(pid) if pid else f"{stack.name}-{lid}-{uuid.uuid4().hex[:12].upper()}"

    def event(stack: Any, at: float, lid: str, rtype: str, status: str, reason: str | None = None, pid: str = "") -> Any:
        e = Event(stack_id=stack.stack_id, stack_name=stack.name, logical_resource_id=lid, physical_resource_id=pid,
                  resource_type=rtype, resource_status=status, resource_status_reason=reason, resource_properties=None)
        e.timestamp = _utc(at)
        return e

    def cancel_future(stack: Any, now: float) -> None:
        # A new operation replaces what the previous one had yet to show.
        cut = _utc(now)
        stack.events[:] = [e for e in stack.events if e.timestamp <= cut]
        stack.__dict__.pop("_ts_op", None)

    def begin(stack: Any, n_before: int, t0: float, kind: str, resources: dict[str, Any], work: dict[str, str], removed: dict[str, Any], pids: dict[str, str]) -> None:
        """Replace moto's instant events for this operation by a timeline starting at t0.
        kind: CREATE | UPDATE | DELETE; work: logical id → create | update | delete for the
        resources that do work; removed: resources an update deletes in its cleanup phase;
        pids: physical ids (taken before moto deleted anything)."""
        del stack.events[n_before:]
        deps = dependencies(resources)
        if kind == "DELETE":
            deps = reverse(deps)
        retained = {lid for lid in work if kind == "DELETE" and resources[lid].get("DeletionPolicy") == "Retain"}
        seconds = {lid: float(seconds_for(resources[lid].get("Type", ""), work[lid])) if lid in work and lid not in retained else 0.0 for lid in resources}
        times = schedule(deps, seconds)
        known = dict(pids)

        def pid(lid: str) -> str:
            # Once per resource: a made-up id (moto skipped the type) must not change between events.
            if not known.get(lid):
                known[lid] = physical_id(stack, lid)
            return known[lid]

        at = lambda offset: t0 + offset / scale  # noqa: E731
        stack_event = lambda offset, rank, status, reason=None: (offset, rank, event(stack, at(offset), stack.name, "AWS::CloudFormation::Stack", status, reason, stack.stack_id))  # noqa: E731
        new = [stack_event(0.0, 0, f"{kind}_IN_PROGRESS", "User Initiated")]
        for lid in work:
            start, end = times[lid]
            rtype = resources[lid].get("Type", "")
            if lid in retained:
                new.append((start, 1, event(stack, at(start), lid, rtype, "DELETE_SKIPPED", None, pid(lid))))
                continue
            verb = work[lid].upper()
            new.append((start, 2, event(stack, at(start), lid, rtype, f"{verb}_IN_PROGRESS", None, "" if verb == "CREATE" else pid(lid))))
            if verb == "CREATE":
                new.append((start, 2, event(stack, at(start), lid, rtype, "CREATE_IN_PROGRESS", "Resource creation Initiated", pid(lid))))
            new.append((end, 1, event(stack, at(end), lid, rtype, f"{verb}_COMPLETE", None, pid(lid))))
        main_end = max((times[lid][1] for lid in work), default=0.0)
        phases = [(at(main_end), f"{kind}_IN_PROGRESS")]
        end = main_end
        if removed:
            # AWS deletes removed (and replaced) resources after the update: UPDATE_COMPLETE_CLEANUP_IN_PROGRESS.
            new.append(stack_event(main_end, 1.5, "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"))
            rtimes = schedule(reverse(dependencies(removed)), {lid: float(seconds_for(r.get("Type", ""), "delete")) for lid, r in removed.items()})
            for lid, (s, e) in rtimes.items():
                rtype = removed[lid].get("Type", "")
                new.append((main_end + s, 2, event(stack, at(main_end + s), lid, rtype, "DELETE_IN_PROGRESS", None, pid(lid))))
                new.append((main_end + e, 1, event(stack, at(main_end + e), lid, rtype, "DELETE_COMPLETE", None, pid(lid))))
            end = main_end + max((e for _, e in rtimes.values()), default=0.0)
            phases.append((at(end), "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"))
        new.append(stack_event(end, 3, f"{kind}_COMPLETE"))
        # At one instant, causal order: the stack starts, resources complete, (cleanup begins,) the
        # resources they held back start, the stack completes. The sort is stable otherwise.
        stack.events.extend(e for _, _, e in sorted(new, key=lambda p: (p[0], p[1])))
        stack.__dict__["_ts_op"] = _Operation(phases, at(end))
        log({"kind": "stack", "stack": stack.name, "stackId": stack.stack_id, "operation": kind, "start": t0, "end": at(end),
             "awsSeconds": end, "resources": len(work), "path": critical_chain({k: v for k, v in times.items() if k in work}, deps), "scale": scale})

    def refuse_if_busy(stack: Any) -> None:
        if stack is not None and _active(stack) is not None:
            raise ValidationError(stack.stack_id, message=f"Stack:{stack.stack_id} is in {stack.status} state and can not be updated.")

    def find_live(backend: Any, name_or_id: str | None) -> Any:
        if not name_or_id:
            return None
        if name_or_id in backend.stacks:
            return backend.stacks[name_or_id]
        return next((s for s in backend.stacks.values() if s.name == name_or_id), None)

    original_create_stack = CloudFormationBackend.create_stack

    def create_stack(self, name, *args, **kwargs):  # type: ignore[no-untyped-def]
        t0 = _now()
        stack = original_create_stack(self, name, *args, **kwargs)
        resources = active_resources(stack, stack.template_dict.get("Resources") or {})
        begin(stack, 0, t0, "CREATE", resources, {lid: "create" for lid in resources}, {}, {})
        return stack

    original_create_change_set = CloudFormationBackend.create_change_set

    def create_change_set(self, stack_name, change_set_name, template, parameters, description, change_set_type, *args, **kwargs):  # type: ignore[no-untyped-def]
        if change_set_type == "UPDATE":
            refuse_if_busy(find_live(self, stack_name))
        return original_create_change_set(self, stack_name, change_set_name, template, parameters, description, change_set_type, *args, **kwargs)

    original_execute = CloudFormationBackend.execute_change_set

    def execute_change_set(self, change_set_name, stack_name=None, *args, **kwargs):  # type: ignore[no-untyped-def]
        cs = self.change_sets.get(change_set_name) or next(
            (c for c in self.change_sets.values() if c.change_set_name == change_set_name and (not stack_name or stack_name in (c.stack_name, c.stack_id))),
            None,
        )
        if cs is None:
            return original_execute(self, change_set_name, stack_name, *args, **kwargs)
        stack = self.stacks.get(cs.stack_id)
        refuse_if_busy(stack)
        before = dict(stack.resource_map._resource_json_map) if stack is not None and cs.change_set_type == "UPDATE" else {}
        pids = {lid: physical_id(stack, lid) for lid in before}
        n_before = len(stack.events) if stack is not None else 0
        t0 = _now()
        original_execute(self, change_set_name, stack_name, *args, **kwargs)
        stack = self.stacks.get(cs.stack_id) or stack
        if stack is None:  # a change set whose stack moto has lost: nothing to show
            return None
        resources = active_resources(stack, cs.template_dict.get("Resources") or {})
        if cs.change_set_type == "CREATE":
            begin(stack, n_before, t0, "CREATE", resources, {lid: "create" for lid in resources}, {}, {})
        else:
            changes = {c.logical_resource_id: ("create" if c.action == "Add" else "update") for c in cs.changes if c.action in ("Add", "Modify") and c.logical_resource_id in resources}
            removed = {c.logical_resource_id: before[c.logical_resource_id] for c in cs.changes if c.action == "Remove" and c.logical_resource_id in before}
            begin(stack, n_before, t0, "UPDATE", resources, changes, removed, pids)

    CloudFormationBackend.create_stack = create_stack  # type: ignore[method-assign]
    CloudFormationBackend.create_change_set = create_change_set  # type: ignore[method-assign]
    CloudFormationBackend.execute_change_set = execute_change_set  # type: ignore[method-assign]

    original_update_stack = CloudFormationBackend.update_stack

    def update_stack(self, name, template, *args, **kwargs):  # type: ignore[no-untyped-def]
        stack = find_live(self, name)
        refuse_if_busy(stack)
        if stack is None:
            return original_update_stack(self, name, template, *args, **kwargs)
        before = dict(stack.resource_map._resource_json_map)
        pids = {lid: physical_id(stack, lid) for lid in before}
        n_before = len(stack.events)
        t0 = _now()
        stack = original_update_stack(self, name, template, *args, **kwargs)
        after = stack.resource_map._resource_json_map
        changes = {lid: ("create" if lid not in before else "update") for lid, res in after.items() if before.get(lid) != res}
        removed = {lid: res for lid, res in before.items() if lid not in after}
        begin(stack, n_before, t0, "UPDATE", active_resources(stack, after), changes, removed, pids)
        return stack

    CloudFormationBackend.update_stack = update_stack  # type: ignore[method-assign]

    original_delete_stack = CloudFormationBackend.delete_stack

    def delete_stack(self, name_or_stack_id):  # type: ignore[no-untyped-def]
        stack = find_live(self, name_or_stack_id)
        if stack is None:
            return original_delete_stack(self, name_or_stack_id)
        t0 = _now()
        cancel_future(stack, t0)
        resources = active_resources(stack, dict(stack.resource_map._resource_json_map))
        pids = {lid: physical_id(stack, lid) for lid in resources}
        n_before = len(stack.events)
        # By id: moto's by-name path calls delete_stack again (this wrapper) for each match.
        original_delete_stack(self, stack.stack_id)
        begin(stack, n_before, t0, "DELETE", resources, {lid: "delete" for lid in resources}, {}, pids)

    CloudFormationBackend.delete_stack = delete_stack  # type: ignore[method-assign]

    # A stack being deleted is still found by name until its deletion completes (moto moves it
    # to deleted_stacks at once, where only its id finds it).
    def deleting(backend: Any, name: str) -> Any:
        now = _now()
        return next((s for s in backend.deleted_stacks.values() if s.name == name and _active(s, now) is not None), None)

    def found_while_deleting(original: Any, answer: Any) -> Any:
        def lookup(self, name_or_stack_id):  # type: ignore[no-untyped-def]
            try:
                return original(self, name_or_stack_id)
            except ValidationError:
                stack = deleting(self, name_or_stack_id)
                if stack is None:
                    raise
                return answer(stack)

        return lookup

    describe_stacks = found_while_deleting(CloudFormationBackend.describe_stacks, lambda stack: [stack])
    get_stack = found_while_deleting(CloudFormationBackend.get_stack, lambda stack: stack)

    def describe_stack_events(self, stack_name):  # type: ignore[no-untyped-def]
        cut = _utc(_now())
        return [e for e in self.get_stack(stack_name).events if e.timestamp <= cut]

    CloudFormationBackend.describe_stacks = describe_stacks  # type: ignore[method-assign]
    CloudFormationBackend.get_stack = get_stack  # type: ignore[method-assign]
    CloudFormationBackend.describe_stack_events = describe_stack_events  # type: ignore[method-assign]


def _install_ssm(settings: Settings) -> None:
    from moto.core.responses import ActionResult
    from moto.ssm.models import Command
    from moto.ssm.responses import SimpleSystemManagerResponse

    scale = settings.scale
    original_init = Command.__init__

    def init(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        t0 = _now()
        original_init(self, *args, **kwargs)
        seconds = settings.ssm_seconds_for(self.document_name)
        self.__dict__["_ts_window"] = (t0, t0 + min(SSM_PENDING_SECONDS, seconds) / scale, t0 + seconds / scale)
        log({"kind": "command", "commandId": self.command_id, "document": self.document_name, "instances": sorted(self.instance_ids),
             "start": t0, "end": t0 + seconds / scale, "awsSeconds": seconds, "scale": scale})

    def phase(cmd: Any) -> str | None:
        window = cmd.__dict__.get("_ts_window")
        if window is None:
            return None
        now = _now()
        return "Pending" if now < window[1] else "InProgress" if now < window[2] else None

    def stored(name: str) -> property:
        def get(self):  # type: ignore[no-untyped-def]
            shown = phase(self)
            if shown is None:
                return self.__dict__.get(f"_ts_{name}")
            return {"status": shown, "status_details": "In Progress" if shown == "InProgress" else shown, "completed_count": 0}[name]

        def set_(self, value):  # type: ignore[no-untyped-def]
            self.__dict__[f"_ts_{name}"] = value

        return property(get, set_)

    Command.__init__ = init  # type: ignore[method-assign]
    Command.status = stored("status")  # type: ignore[assignment]
    Command.status_details = stored("status_details")  # type: ignore[assignment]
    Command.completed_count = stored("completed_count")  # type: ignore[assignment]

    def view(cmd: Any, invocation: dict[str, Any]) -> dict[str, Any]:
        shown = phase(cmd)
        if shown is None:
            return invocation
        return {**invocation, "Status": shown, "StatusDetails": "In Progress" if shown == "InProgress" else shown, "ResponseCode": -1,
                "ExecutionStartDateTime": "" if shown == "Pending" else invocation.get("ExecutionStartDateTime", ""),
                "ExecutionElapsedTime": "", "ExecutionEndDateTime": "", "StandardOutputContent": "", "StandardErrorContent": ""}

    original_get_invocation = Command.get_invocation

    def get_invocation(self, instance_id, plugin_name):  # type: ignore[no-untyped-def]
        return view(self, original_get_invocation(self, instance_id, plugin_name))

    Command.get_invocation = get_invocation  # type: ignore[method-assign]

    def list_command_invocations(self):  # type: ignore[no-untyped-def]
        command_id = self._get_param("CommandId")
        instance_id = self._get_param("InstanceId")
        details = self._get_bool_param("Details", False)
        commands = [self.ssm_backend.get_command_by_id(command_id)] if command_id else self.ssm_backend._commands
        out = []
        for cmd in commands:
            for raw in cmd.invocations:
                if instance_id and raw["InstanceId"] != instance_id:
                    continue
                inv = view(cmd, raw)
                entry = {
                    "CommandId": cmd.command_id, "InstanceId": inv["InstanceId"], "Comment": cmd.comment, "DocumentName": cmd.document_name,
                    "DocumentVersion": "$DEFAULT", "RequestedDateTime": cmd.requested_date_time, "Status": inv["Status"],
                    "StatusDetails": inv["StatusDetails"], "StandardOutputUrl": inv.get("StandardOutputUrl", ""),
                    "StandardErrorUrl": inv.get("StandardErrorUrl", ""), "ServiceRole": cmd.service_role_arn,
                }
                if details:
                    entry["CommandPlugins"] = [{
                        "Name": inv.get("PluginName", "aws:runShellScript"), "Status": inv["Status"], "StatusDetails": inv["StatusDetails"],
                        "ResponseCode": inv["ResponseCode"], "Output": inv.get("StandardOutputContent", ""),
                        "StandardOutputUrl": inv.get("StandardOutputUrl", ""), "StandardErrorUrl": inv.get("StandardErrorUrl", ""),
                        "OutputS3BucketName": cmd.output_s3_bucket_name, "OutputS3KeyPrefix": cmd.output_s3_key_prefix,
                    }]
                out.append(entry)
        return ActionResult({"CommandInvocations": out})

    SimpleSystemManagerResponse.list_command_invocations = list_command_invocations  # type: ignore[attr-defined]


def _install_call_log() -> None:
    from moto.core.responses import BaseResponse

    original = BaseResponse.call_action

    def call_action(self):  # type: ignore[no-untyped-def]
        try:
            action = self._get_action()
        except Exception:
            action = "?"
        log({"kind": "call", "service": self.service_name, "action": action, "t": _now()})
        return original(self)

    BaseResponse.call_action = call_action  # type: ignore[method-assign]


def install(settings: Settings) -> None:
    _install_cloudformation(settings)
    _install_ssm(settings)
    _install_call_log()
    log({"kind": "mode", "scale": settings.scale, "ssmSeconds": settings.ssm_seconds, "ssmSecondsByDocument": settings.ssm_by_document,
         "ssmPendingSeconds": SSM_PENDING_SECONDS})


def _main(argv: list[str]) -> None:
    if len(argv) < 2 or argv[0] != "chain":
        raise SystemExit("usage: python tools/timescale.py chain TEMPLATE.json [create|update|delete]")
    action = argv[2] if len(argv) > 2 else "create"
    if action not in ACTION_COLUMN:
        raise SystemExit(f"timescale.py: action {action!r} is not one of create, update, delete")
    with open(argv[1], encoding="utf-8") as f:
        template = json.load(f)
    print(json.dumps(chain_of_template(template, action)))


if __name__ == "__main__":
    _main(sys.argv[1:])
