"""Start moto's server with dpf's patches for moto bugs that would crash on valid templates.

Templates are written for AWS (never bent to the emulator); where moto crashes on a valid
property, the bug is patched here, in the test tool, and listed in docs/emulator.md.

Usage: python tools/moto_server.py -H 127.0.0.1 -p PORT [--time-scale N [--ssm-seconds [DOC=]S]]
(--time-scale: stacks and SSM commands take their typical AWS time / N; see tools/timescale.py)
"""
import json
import os
import sys


def _patch_kms_key_tags() -> None:
    # moto 5.2.x: AWS::KMS::Key Tags arrive as [{Key, Value}] (the CloudFormation shape) but
    # moto's KMS tagger expects [{TagKey, TagValue}] (the KMS API shape) -> KeyError 'TagKey'.
    from moto.kms import models as kms_models

    original = kms_models.KmsBackend.create_key

    def create_key(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        tags = kwargs.get("tags")
        if tags:
            kwargs["tags"] = [
                {"TagKey": t.get("TagKey", t.get("Key")), "TagValue": t.get("TagValue", t.get("Value", ""))}
                for t in tags
            ]
        return original(self, *args, **kwargs)

    kms_models.KmsBackend.create_key = create_key  # type: ignore[method-assign]


def _patch_instance_from_launch_template() -> None:
    # moto 5.2.x: AWS::EC2::Instance requires ImageId in its own properties; a valid instance
    # that takes ImageId/InstanceType/SecurityGroupIds/IamInstanceProfile from its
    # LaunchTemplate crashes with KeyError 'ImageId'. Fill them in from the template version.
    from moto.ec2.models import ec2_backends
    from moto.ec2.models.instances import Instance

    original = Instance.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]

    def create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):  # type: ignore[no-untyped-def]
        props = cloudformation_json.setdefault("Properties", {})
        lt = props.get("LaunchTemplate")
        if lt and "ImageId" not in props:
            backend = ec2_backends[account_id][region_name]
            template = backend.get_launch_template(lt.get("LaunchTemplateId")) if lt.get("LaunchTemplateId") else None
            if template is not None:
                version = lt.get("Version")
                data = (template.get_version(version) if version else template.default_version()).data
                props.setdefault("ImageId", data.get("ImageId"))
                props.setdefault("InstanceType", data.get("InstanceType"))
                if "SecurityGroupIds" in data and "SecurityGroups" not in props:
                    props["SecurityGroups"] = data["SecurityGroupIds"]
                ip = data.get("IamInstanceProfile") or {}
                # AWS accepts the profile by Name or by Arn (the templates use the Arn).
                profile = ip.get("Name") or (ip.get("Arn") or "").rsplit("/", 1)[-1] or None
                if profile and "IamInstanceProfile" not in props:
                    props["IamInstanceProfile"] = profile
        # moto reads only SecurityGroups (as ids); the AWS property for VPC instances is SecurityGroupIds.
        if "SecurityGroupIds" in props and "SecurityGroups" not in props:
            props["SecurityGroups"] = props["SecurityGroupIds"]
        return original(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)

    Instance.create_from_cloudformation_json = classmethod(create)  # type: ignore[method-assign,assignment]


def _patch_rds_parameter_group_ref() -> None:
    # moto 5.2.x: a Ref to an AWS::RDS::DBParameterGroup resolves to moto's object instead of
    # its name, and DBInstance creation crashes ('DBParameterGroup' has no 'startswith').
    from moto.rds.models import DBInstance

    original = DBInstance.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]

    def create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):  # type: ignore[no-untyped-def]
        props = cloudformation_json.setdefault("Properties", {})
        for key in ("DBParameterGroupName",):  # (moto itself expects the subnet group as its object)
            value = props.get(key)
            if value is not None and not isinstance(value, str):
                props[key] = getattr(value, "name", None) or getattr(value, "subnet_name", None) or str(value)
        # moto reads VpcSecurityGroupIds; the CloudFormation property is VPCSecurityGroups.
        if "VPCSecurityGroups" in props and "VpcSecurityGroupIds" not in props:
            props["VpcSecurityGroupIds"] = props["VPCSecurityGroups"]
        return original(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)

    DBInstance.create_from_cloudformation_json = classmethod(create)  # type: ignore[method-assign,assignment]


def _patch_ssm_parameter_tags() -> None:
    # moto 5.2.x: AWS::SSM::Parameter Tags is a JSON map in CloudFormation ({"k": "v"}) but
    # moto's put_parameter expects the API's list of {Key, Value} -> TypeError.
    from moto.ssm.models import Parameter

    original = Parameter.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]

    def create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):  # type: ignore[no-untyped-def]
        props = cloudformation_json.setdefault("Properties", {})
        if isinstance(props.get("Tags"), dict):
            props["Tags"] = [{"Key": k, "Value": v} for k, v in props["Tags"].items()]
        return original(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)

    Parameter.create_from_cloudformation_json = classmethod(create)  # type: ignore[method-assign,assignment]


def _patch_rds_master_user_secret() -> None:
    # moto 5.2.x: DBInstance supports only Endpoint.* in Fn::GetAtt; ManageMasterUserPassword's
    # MasterUserSecret.SecretArn (how the platform learns where its password lives, without ever
    # seeing it) fails the whole template. Answer with the ARN AWS would use for that secret.
    from moto.rds.models import DBInstance

    has_attr = DBInstance.has_cfn_attr.__func__  # type: ignore[attr-defined]
    get_attr = DBInstance.get_cfn_attribute

    def has_cfn_attr(cls, attr):  # type: ignore[no-untyped-def]
        return attr == "MasterUserSecret.SecretArn" or attr == "DBInstanceArn" or has_attr(cls, attr)

    def get_cfn_attribute(self, attribute_name):  # type: ignore[no-untyped-def]
        if attribute_name == "MasterUserSecret.SecretArn":
            return f"arn:aws:secretsmanager:{self.region}:{self.account_id}:secret:rds!db-{self.db_instance_identifier}"
        if attribute_name == "DBInstanceArn":
            return self.db_instance_arn
        return get_attr(self, attribute_name)

    DBInstance.has_cfn_attr = classmethod(has_cfn_attr)  # type: ignore[method-assign,assignment]
    DBInstance.get_cfn_attribute = get_cfn_attribute  # type: ignore[method-assign]


def _object_outputs_as_ids(stack) -> None:  # type: ignore[no-untyped-def]
    """A Ref to an EFS access point, a DB subnet group or a DB parameter group is its id or name on
    AWS ("Return values" of each resource type); moto's models of them have no
    physical_resource_id, so an output that is such a Ref held the Python object itself (its repr
    in DescribeStacks). moto's own resources need the object (an RDS instance reads its subnet
    group's Ref), so only the outputs are turned into the id."""
    for key in list(stack.output_map):
        try:
            out = stack.output_map[key]
        except Exception:  # noqa: BLE001 - an output moto cannot evaluate stays missing, as before
            continue
        if out is None or isinstance(out.value, (str, int, float, bool, list)):
            continue
        for attr in ("physical_resource_id", "access_point_id", "name", "id"):
            if isinstance(getattr(out.value, attr, None), str):
                out.value = getattr(out.value, attr)
                break


def _patch_change_set_parameter_diff() -> None:
    # moto 5.2.x: a change set's listed Changes ignore parameter changes (ChangeSet.diff
    # diffs the template only), although execution applies them. AWS lists the resources a
    # changed parameter modifies; use moto's own parameter-aware diff for the listing.
    from moto.cloudformation.models import Change, ChangeSet

    def diff(self):  # type: ignore[no-untyped-def]
        by_action = self.stack.resource_map.build_resource_diff(self.template_dict, self.parameters)
        changes = []
        for action in ("Add", "Modify", "Remove"):
            for name in by_action[action]:
                source = self.template_dict["Resources"] if action != "Remove" else self.stack.resource_map._resource_json_map
                changes.append(Change(action=action, logical_resource_id=name, resource_type=source[name]["Type"]))
        return changes

    ChangeSet.diff = diff  # type: ignore[method-assign]


def _patch_create_image_snapshot_tags() -> None:
    # moto 5.2.x: CreateImage with TagSpecifications for ResourceType 'snapshot' raises
    # NotImplementedError (HTTP 500). AWS tags the image's snapshots; drop that part here.
    from moto.ec2.models.amis import AmiBackend

    original = AmiBackend.create_image

    def create_image(self, instance_id, name, description, tag_specifications):  # type: ignore[no-untyped-def]
        specs = [t for t in (tag_specifications or []) if t.get("ResourceType") != "snapshot"]
        return original(self, instance_id, name, description, specs)

    AmiBackend.create_image = create_image  # type: ignore[method-assign]


def _patch_launch_template_instance_profile() -> None:
    # moto 5.2.x: instances launched from a launch template (an Auto Scaling group's workers)
    # do not get the template's IamInstanceProfile; AWS attaches it. Without it a worker has no
    # credentials, so its SSM agent could never register (DescribeInstanceInformation below).
    from moto.ec2.models.instances import InstanceBackend

    original = InstanceBackend.run_instances

    def run_instances(self, image_id, count, user_data, security_group_names, **kwargs):  # type: ignore[no-untyped-def]
        reservation = original(self, image_id, count, user_data, security_group_names, **kwargs)
        lt = kwargs.get("launch_template") or {}
        if lt and not kwargs.get("iam_instance_profile"):
            template = self.get_launch_template(lt["LaunchTemplateId"]) if lt.get("LaunchTemplateId") else self.get_launch_template_by_name(lt.get("LaunchTemplateName"))
            version = lt.get("Version")
            data = (template.get_version(version) if version and version not in ("$Latest", "$Default") else template.latest_version()).data
            profile = data.get("IamInstanceProfile") or {}
            name = profile.get("Name") or (profile.get("Arn") or "").rsplit("/", 1)[-1]
            if name:
                for instance in reservation.instances:
                    if instance.id not in self.iam_instance_profile_associations:
                        self.associate_iam_instance_profile(instance_id=instance.id, iam_instance_profile_name=name)
        return reservation

    InstanceBackend.run_instances = run_instances  # type: ignore[method-assign]


def _add_cloudwatch_alarm_resource() -> None:
    # moto 5.2.x has no CloudFormation model for AWS::CloudWatch::Alarm: alarms are skipped
    # and any Fn::GetAtt on one fails the whole template. Register a model that creates the
    # alarm through moto's own CloudWatch backend (so DescribeAlarms sees it). Metric-math
    # alarms (Metrics) are created without their queries.
    import random
    import string

    from moto.core.common_models import CloudFormationModel
    from moto.cloudwatch.models import cloudwatch_backends

    class CfnAlarm(CloudFormationModel):  # type: ignore[misc]
        # moto's model metaclass derives the service from the module path.
        __module__ = "moto.cloudwatch.dpf_cfn_alarm"

        def __init__(self, alarm):  # type: ignore[no-untyped-def]
            self.alarm = alarm

        @staticmethod
        def cloudformation_type() -> str:
            return "AWS::CloudWatch::Alarm"

        @staticmethod
        def cloudformation_name_type() -> str:
            return "AlarmName"

        @property
        def physical_resource_id(self) -> str:
            return self.alarm.name

        @classmethod
        def has_cfn_attr(cls, attr: str) -> bool:
            return attr == "Arn"

        def get_cfn_attribute(self, attribute_name: str):  # type: ignore[no-untyped-def]
            return self.alarm.alarm_arn

        @classmethod
        def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):  # type: ignore[no-untyped-def]
            p = cloudformation_json.get("Properties", {})
            name = p.get("AlarmName") or f"{resource_name}-{''.join(random.choices(string.ascii_uppercase + string.digits, k=12))}"
            backend = cloudwatch_backends[account_id][region_name]
            alarm = backend.put_metric_alarm(
                name=name,
                namespace=p.get("Namespace"),
                metric_name=p.get("MetricName"),
                comparison_operator=p.get("ComparisonOperator"),
                evaluation_periods=int(p.get("EvaluationPeriods", 1)),
                period=int(p.get("Period", 60)) if p.get("Period") is not None else None,
                threshold=float(p.get("Threshold", 0)) if p.get("Threshold") is not None else None,
                statistic=p.get("Statistic"),
                description=p.get("AlarmDescription"),
                dimensions=p.get("Dimensions", []),
                alarm_actions=p.get("AlarmActions", []),
                ok_actions=p.get("OKActions", []),
                insufficient_data_actions=p.get("InsufficientDataActions", []),
                datapoints_to_alarm=p.get("DatapointsToAlarm"),
                treat_missing_data=p.get("TreatMissingData"),
                unit=p.get("Unit"),
                actions_enabled=p.get("ActionsEnabled", True),
            )
            return cls(alarm)

        @classmethod
        def update_from_cloudformation_json(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name):  # type: ignore[no-untyped-def]
            cloudwatch_backends[account_id][region_name].delete_alarms([original_resource.alarm.name])
            return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)

        @classmethod
        def delete_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name):  # type: ignore[no-untyped-def]
            pass

        def delete(self, account_id: str, region_name: str) -> None:
            cloudwatch_backends[account_id][region_name].delete_alarms([self.alarm.name])

    _ = CfnAlarm


def _add_iam_group_resource() -> None:
    # moto 5.2.x has no CloudFormation model for AWS::IAM::Group (the iam identity provider's
    # operators group); register one over moto's IAM backend, inline policies included.
    import json

    from moto.core.common_models import CloudFormationModel
    from moto.iam.models import iam_backends

    class CfnGroup(CloudFormationModel):  # type: ignore[misc]
        __module__ = "moto.iam.dpf_cfn_group"

        def __init__(self, group, account_id):  # type: ignore[no-untyped-def]
            self.group = group
            self.account_id = account_id

        @staticmethod
        def cloudformation_type() -> str:
            return "AWS::IAM::Group"

        @staticmethod
        def cloudformation_name_type() -> str:
            return "GroupName"

        @property
        def physical_resource_id(self) -> str:
            return self.group.name

        @classmethod
        def has_cfn_attr(cls, attr: str) -> bool:
            return attr == "Arn"

        def get_cfn_attribute(self, attribute_name: str):  # type: ignore[no-untyped-def]
            return self.group.arn

        @classmethod
        def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):  # type: ignore[no-untyped-def]
            p = cloudformation_json.get("Properties", {})
            backend = iam_backends[account_id]["global"]
            group = backend.create_group(p.get("GroupName") or resource_name, p.get("Path", "/"))
            for pol in p.get("Policies", []):
                doc = pol["PolicyDocument"]
                backend.put_group_policy(group.name, pol["PolicyName"], doc if isinstance(doc, str) else json.dumps(doc))
            return cls(group, account_id)

        @classmethod
        def delete_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name):  # type: ignore[no-untyped-def]
            pass

    _ = CfnGroup


def _add_rocky_linux_image() -> None:
    # moto's built-in public images include no Rocky/Alma Linux 9 (the FreeIPA servers' OS),
    # so `dpf init --defaults` + `dpf deploy` (identity.imageId: resolve:rocky-9) could not find
    # one. Publish one image as the Rocky Enterprise Software Foundation account would.
    from moto.ec2.models import amis

    amis.AMIS.append({
        "ami_id": "ami-0f9e1d2c3b4a59687",
        "state": "available",
        "public": True,
        "owner_id": "792107900819",
        "image_location": "792107900819/Rocky-9-EC2-Base-9.4-20240523.0.x86_64",
        "sriov": "simple",
        "root_device_type": "ebs",
        "root_device_name": "/dev/sda1",
        "description": "Rocky Linux 9 (emulator stand-in)",
        "image_type": "machine",
        "platform": None,
        "architecture": "x86_64",
        "name": "Rocky-9-EC2-Base-9.4-20240523.0.x86_64",
        "virtualization_type": "hvm",
        "hypervisor": "xen",
        "creation_date": "2024-05-23T00:00:00.000Z",
    })


# ---------------------------------------------------------------- SSM: managed instances,
# documents as AWS checks them, State Manager associations
#
# moto 5.2.x answers DescribeInstanceInformation and the association APIs with HTTP 500,
# accepts SendCommand for a document that does not exist (AWS: InvalidDocument) or with
# parameters the document does not declare (AWS: InvalidParameters), and has no
# CloudFormation model for AWS::SSM::Association. dpf waits for its targets to be Online and
# creates a State Manager association for its workers, so both are modelled here, over moto's
# own EC2 and SSM backends. Nothing runs on the instances: an association "succeeds" on every
# instance its targets match, as moto's Run Command does.

# The agent of a running instance with an instance profile is Online (AWS: the agent registers
# with the profile's credentials - AmazonSSMManagedInstanceCore - a little after boot).
AGENT_VERSION = "3.3.1142.0"


def _ec2_backend(account_id, region):  # type: ignore[no-untyped-def]
    from moto.ec2.models import ec2_backends

    return ec2_backends[account_id][region]


def _instance_tags(instance):  # type: ignore[no-untyped-def]
    return {t["key"]: t["value"] for t in instance.get_tags()}


def _managed_instances(account_id, region):  # type: ignore[no-untyped-def]
    ec2 = _ec2_backend(account_id, region)
    out = []
    for reservation in ec2.all_reservations():
        for instance in reservation.instances:
            if instance.state != "running" or instance.id not in ec2.iam_instance_profile_associations:
                continue
            out.append(instance)
    return out


def _platform(account_id, region, instance):  # type: ignore[no-untyped-def]
    ec2 = _ec2_backend(account_id, region)
    image = ec2.amis.get(instance.image_id)
    name = (getattr(image, "name", "") or "").lower()
    if "rocky" in name:
        return "Rocky Linux", "9.4"
    if "alma" in name:
        return "AlmaLinux", "9.4"
    return "Amazon Linux", "2023"


def _targets_match(targets, instance):  # type: ignore[no-untyped-def]
    tags = _instance_tags(instance)
    for t in targets or []:
        key, values = t.get("Key", ""), t.get("Values", [])
        if key == "InstanceIds":
            if instance.id not in values:
                return False
        elif key.startswith("tag:"):
            if tags.get(key[4:]) not in values:
                return False
        elif key == "tag-key":
            if not any(v in tags for v in values):
                return False
        else:
            return False
    return bool(targets)


def _check_document(backend, name, parameters):  # type: ignore[no-untyped-def]
    from moto.ssm.exceptions import InvalidDocument
    from moto.core.exceptions import JsonRESTError

    if name.startswith("AWS-") or name.startswith("arn:"):
        return  # AWS-owned documents are not in the emulator; AWS checks them itself
    docs = backend._documents.get(name)
    if not docs:
        raise InvalidDocument("The specified document does not exist.")
    declared = (docs.get_default_version().content_json or {}).get("parameters") or {}
    import re

    for key, values in (parameters or {}).items():
        if key not in declared:
            raise JsonRESTError("InvalidParameters", f"Parameter \"{key}\" is not defined in document {name}.")
        spec = declared[key]
        for v in values if isinstance(values, list) else [values]:
            allowed = spec.get("allowedValues")
            if allowed is not None and v not in allowed:
                raise JsonRESTError("InvalidParameters", f"Parameter \"{key}\" value \"{v}\" is not one of {allowed}.")
            pattern = spec.get("allowedPattern")
            if pattern and isinstance(v, str) and not re.search(pattern, v):
                raise JsonRESTError("InvalidParameters", f"Parameter \"{key}\" \"{v}\" failed to satisfy constraint: {pattern}")


class _Association:
    def __init__(self, account_id, region, props):  # type: ignore[no-untyped-def]
        import uuid
        from moto.core.utils import utcnow

        self.account_id = account_id
        self.region = region
        self.association_id = str(uuid.uuid4())
        self.created = utcnow()
        self.version = 1
        self.apply(props)

    def apply(self, props):  # type: ignore[no-untyped-def]
        from moto.core.utils import utcnow

        self.name = props["Name"]
        self.association_name = props.get("AssociationName")
        self.parameters = {k: (v if isinstance(v, list) else [v]) for k, v in (props.get("Parameters") or {}).items()}
        self.targets = props.get("Targets") or []
        self.instance_id = props.get("InstanceId")
        if self.instance_id and not self.targets:
            self.targets = [{"Key": "InstanceIds", "Values": [self.instance_id]}]
        self.schedule = props.get("ScheduleExpression")
        self.output_location = props.get("OutputLocation")
        self.max_errors = props.get("MaxErrors")
        self.max_concurrency = props.get("MaxConcurrency")
        self.compliance_severity = props.get("ComplianceSeverity")
        self.apply_only_at_cron = bool(props.get("ApplyOnlyAtCronInterval", False))
        self.document_version = props.get("DocumentVersion") or "$DEFAULT"
        self.updated = utcnow()

    def matching(self):  # type: ignore[no-untyped-def]
        return [i for i in _managed_instances(self.account_id, self.region) if _targets_match(self.targets, i)]

    def overview(self):  # type: ignore[no-untyped-def]
        n = len(self.matching())
        return {"Status": "Success", "DetailedStatus": "Success", "AssociationStatusAggregatedCount": {"Success": n} if n else {}}

    def describe(self):  # type: ignore[no-untyped-def]
        d = {
            "Name": self.name,
            "AssociationVersion": str(self.version),
            "Date": self.created,
            "LastUpdateAssociationDate": self.updated,
            "Status": {"Date": self.updated, "Name": "Associated", "Message": "Associated with " + self.name},
            "Overview": self.overview(),
            "DocumentVersion": self.document_version,
            "Parameters": self.parameters,
            "AssociationId": self.association_id,
            "Targets": self.targets,
            "ApplyOnlyAtCronInterval": self.apply_only_at_cron,
        }
        for key, value in (
            ("AssociationName", self.association_name),
            ("InstanceId", self.instance_id),
            ("ScheduleExpression", self.schedule),
            ("OutputLocation", self.output_location),
            ("MaxErrors", self.max_errors),
            ("MaxConcurrency", self.max_concurrency),
            ("ComplianceSeverity", self.compliance_severity),
        ):
            if value:
                d[key] = value
        if self.matching():
            d["LastExecutionDate"] = self.updated
        return d

    def listed(self):  # type: ignore[no-untyped-def]
        d = self.describe()
        return {k: d[k] for k in ("Name", "AssociationId", "AssociationVersion", "DocumentVersion", "Targets", "Overview", "AssociationName", "ScheduleExpression", "LastExecutionDate", "InstanceId") if k in d}


def _associations(account_id, region):  # type: ignore[no-untyped-def]
    from moto.ssm.models import ssm_backends

    backend = ssm_backends[account_id][region]
    if not hasattr(backend, "dpf_associations"):
        backend.dpf_associations = {}
    return backend, backend.dpf_associations


def _create_association(account_id, region, props):  # type: ignore[no-untyped-def]
    from moto.core.exceptions import JsonRESTError

    backend, assocs = _associations(account_id, region)
    _check_document(backend, props["Name"], props.get("Parameters"))
    name = props.get("AssociationName")
    if name and any(a.association_name == name for a in assocs.values()):
        raise JsonRESTError("AssociationAlreadyExists", f"An association named {name} already exists.")
    a = _Association(account_id, region, props)
    assocs[a.association_id] = a
    return a


def _find_association(account_id, region, association_id=None, name=None, instance_id=None):  # type: ignore[no-untyped-def]
    from moto.core.exceptions import JsonRESTError

    _, assocs = _associations(account_id, region)
    if association_id:
        a = assocs.get(association_id)
    else:
        a = next((x for x in assocs.values() if x.name == name and x.instance_id == instance_id), None)
    if a is None:
        raise JsonRESTError("AssociationDoesNotExist", "The specified association does not exist.")
    return a


def _add_ssm_models() -> None:
    from moto.core.common_models import CloudFormationModel
    from moto.core.responses import ActionResult, EmptyResult
    from moto.core.utils import utcnow
    from moto.ssm.models import Document, SimpleSystemManagerBackend, ssm_backends
    from moto.ssm.responses import SimpleSystemManagerResponse as R

    # ---- DescribeInstanceInformation
    def describe_instance_information(self):  # type: ignore[no-untyped-def]
        ids = None
        for f in self._get_param("Filters") or []:
            if f.get("Key") == "InstanceIds":
                ids = set(f.get("Values") or [])
        for f in self._get_param("InstanceInformationFilterList") or []:
            if f.get("key") == "InstanceIds":
                ids = set(f.get("valueSet") or [])
        out = []
        for i in _managed_instances(self.current_account, self.region):
            if ids is not None and i.id not in ids:
                continue
            name, version = _platform(self.current_account, self.region, i)
            out.append({
                "InstanceId": i.id,
                "PingStatus": "Online",
                "LastPingDateTime": utcnow(),
                "AgentVersion": AGENT_VERSION,
                "IsLatestVersion": True,
                "PlatformType": "Linux",
                "PlatformName": name,
                "PlatformVersion": version,
                "ResourceType": "EC2Instance",
                "IPAddress": i.private_ip,
                "ComputerName": f"ip-{(i.private_ip or '').replace('.', '-')}",
            })
        return ActionResult({"InstanceInformationList": out})

    R.describe_instance_information = describe_instance_information  # type: ignore[attr-defined]

    # ---- SendCommand: the document must exist and declare the parameters sent
    original_send = SimpleSystemManagerBackend.send_command

    def send_command(self, **kwargs):  # type: ignore[no-untyped-def]
        _check_document(self, kwargs.get("document_name") or "", kwargs.get("parameters"))
        return original_send(self, **kwargs)

    SimpleSystemManagerBackend.send_command = send_command  # type: ignore[method-assign]

    # ---- AWS::SSM::Document: Content arrives as an object; UpdateMethod NewVersion
    original_create = Document.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]

    def serialized(props):  # type: ignore[no-untyped-def]
        import json

        import yaml

        content = props.get("Content")
        if isinstance(content, dict):
            props["Content"] = yaml.safe_dump(content, sort_keys=False) if props.get("DocumentFormat") == "YAML" else json.dumps(content)
        return props

    def create_doc(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):  # type: ignore[no-untyped-def]
        serialized(cloudformation_json.setdefault("Properties", {}))
        return original_create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)

    original_update = Document.update_from_cloudformation_json.__func__  # type: ignore[attr-defined]

    def update_doc(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name):  # type: ignore[no-untyped-def]
        props = serialized(cloudformation_json.setdefault("Properties", {}))
        if props.get("UpdateMethod") != "NewVersion":
            return original_update(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name)
        backend = ssm_backends[account_id][region_name]
        described = backend.update_document(
            content=props["Content"], attachments=props.get("Attachments"), name=original_resource.name,
            version_name=props.get("VersionName"), document_version="$LATEST",
            document_format=props.get("DocumentFormat", "JSON"), target_type=props.get("TargetType"),
        )
        backend.update_document_default_version(original_resource.name, described["DocumentVersion"])
        return backend._documents[original_resource.name].get_default_version()

    Document.create_from_cloudformation_json = classmethod(create_doc)  # type: ignore[method-assign,assignment]
    Document.update_from_cloudformation_json = classmethod(update_doc)  # type: ignore[method-assign,assignment]

    # ---- State Manager associations (API)
    def create_association(self):  # type: ignore[no-untyped-def]
        props = {k: self._get_param(k) for k in ("Name", "AssociationName", "Parameters", "Targets", "InstanceId", "ScheduleExpression", "OutputLocation", "MaxErrors", "MaxConcurrency", "ComplianceSeverity", "ApplyOnlyAtCronInterval", "DocumentVersion")}
        a = _create_association(self.current_account, self.region, {k: v for k, v in props.items() if v is not None})
        return ActionResult({"AssociationDescription": a.describe()})

    def describe_association(self):  # type: ignore[no-untyped-def]
        a = _find_association(self.current_account, self.region, self._get_param("AssociationId"), self._get_param("Name"), self._get_param("InstanceId"))
        return ActionResult({"AssociationDescription": a.describe()})

    def list_associations(self):  # type: ignore[no-untyped-def]
        _, assocs = _associations(self.current_account, self.region)
        keys = {"AssociationName": "association_name", "Name": "name", "AssociationId": "association_id", "InstanceId": "instance_id"}
        out = []
        for a in assocs.values():
            ok = True
            for f in self._get_param("AssociationFilterList") or []:
                attr = keys.get(f.get("key"))
                if attr and getattr(a, attr) != f.get("value"):
                    ok = False
            if ok:
                out.append(a.listed())
        return ActionResult({"Associations": out})

    def delete_association(self):  # type: ignore[no-untyped-def]
        _, assocs = _associations(self.current_account, self.region)
        a = _find_association(self.current_account, self.region, self._get_param("AssociationId"), self._get_param("Name"), self._get_param("InstanceId"))
        del assocs[a.association_id]
        return EmptyResult()

    def update_association(self):  # type: ignore[no-untyped-def]
        a = _find_association(self.current_account, self.region, self._get_param("AssociationId"))
        props = {"Name": self._get_param("Name") or a.name, **{k: v for k, v in {k: self._get_param(k) for k in ("AssociationName", "Parameters", "Targets", "ScheduleExpression", "OutputLocation", "MaxErrors", "MaxConcurrency", "ComplianceSeverity", "ApplyOnlyAtCronInterval", "DocumentVersion")}.items() if v is not None}}
        backend, _ = _associations(self.current_account, self.region)
        _check_document(backend, props["Name"], props.get("Parameters", a.parameters))
        a.apply({**a.describe(), **props})
        a.version += 1
        return ActionResult({"AssociationDescription": a.describe()})

    def describe_instance_associations_status(self):  # type: ignore[no-untyped-def]
        instance_id = self._get_param("InstanceId")
        _, assocs = _associations(self.current_account, self.region)
        out = []
        for a in assocs.values():
            if not any(i.id == instance_id for i in a.matching()):
                continue
            info = {
                "AssociationId": a.association_id,
                "Name": a.name,
                "DocumentVersion": "1",
                "AssociationVersion": str(a.version),
                "InstanceId": instance_id,
                "ExecutionDate": a.updated,
                "Status": "Success",
                "DetailedStatus": "Success",
                "ExecutionSummary": "1 out of 1 plugin processed, 1 success, 0 failed, 0 timedout, 0 skipped.",
            }
            if a.association_name:
                info["AssociationName"] = a.association_name
            out.append(info)
        return ActionResult({"InstanceAssociationStatusInfos": out})

    R.create_association = create_association  # type: ignore[attr-defined]
    R.describe_association = describe_association  # type: ignore[attr-defined]
    R.list_associations = list_associations  # type: ignore[attr-defined]
    R.delete_association = delete_association  # type: ignore[attr-defined]
    R.update_association = update_association  # type: ignore[attr-defined]
    R.describe_instance_associations_status = describe_instance_associations_status  # type: ignore[attr-defined]

    # ---- AWS::SSM::Association (CloudFormation)
    class CfnAssociation(CloudFormationModel):  # type: ignore[misc]
        __module__ = "moto.ssm.dpf_cfn_association"

        def __init__(self, association):  # type: ignore[no-untyped-def]
            self.association = association

        @staticmethod
        def cloudformation_type() -> str:
            return "AWS::SSM::Association"

        @staticmethod
        def cloudformation_name_type() -> str:
            return "AssociationName"

        @property
        def physical_resource_id(self) -> str:
            return self.association.association_id

        @classmethod
        def has_cfn_attr(cls, attr: str) -> bool:
            return attr == "AssociationId"

        def get_cfn_attribute(self, attribute_name: str):  # type: ignore[no-untyped-def]
            return self.association.association_id

        @classmethod
        def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):  # type: ignore[no-untyped-def]
            props = dict(cloudformation_json.get("Properties", {}))
            return cls(_create_association(account_id, region_name, props))

        @classmethod
        def update_from_cloudformation_json(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name):  # type: ignore[no-untyped-def]
            a = original_resource.association
            props = dict(cloudformation_json.get("Properties", {}))
            backend, _ = _associations(account_id, region_name)
            _check_document(backend, props["Name"], props.get("Parameters"))
            a.apply(props)
            a.version += 1
            return original_resource

        @classmethod
        def delete_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name):  # type: ignore[no-untyped-def]
            pass

        def delete(self, account_id: str, region_name: str) -> None:
            _, assocs = _associations(account_id, region_name)
            assocs.pop(self.association.association_id, None)

    _ = CfnAssociation
def _patch_retain_except_on_create() -> None:
    # moto 5.2.x keeps a resource on DeleteStack only for DeletionPolicy "Retain"; AWS's
    # "RetainExceptOnCreate" is retained too, except when the stack's FIRST create rolls back
    # (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-deletionpolicy.html).
    # moto never rolls back a create, so every delete it performs is a later one: treat the
    # policy as Retain. Without this, `dpf destroy` on the emulator would delete the data lake.
    from moto.cloudformation.parsing import ResourceMap

    original = ResourceMap.delete

    def delete(self):  # type: ignore[no-untyped-def]
        for value in self._resource_json_map.values():
            if isinstance(value, dict) and value.get("DeletionPolicy") == "RetainExceptOnCreate":
                value["DeletionPolicy"] = "Retain"
        return original(self)

    ResourceMap.delete = delete  # type: ignore[method-assign]

# ---------------------------------------------------------------------------------------------
# AWS behaviour moto lacks, where the gap hides bugs in dpf (docs/emulator.md, "Modelled AWS
# behaviour"). Each names the AWS documentation it follows.
# ---------------------------------------------------------------------------------------------

_AUDIT_FILE = os.environ.get("DPF_EMULATOR_AUDIT")


def _audit(**entry):  # type: ignore[no-untyped-def]
    # One JSON line per write the emulator really carried out (a retried call that AWS would not
    # repeat is not logged): the fault and crash tests count duplicates from this file.
    if not _AUDIT_FILE:
        return
    with open(_AUDIT_FILE, "a", encoding="utf-8") as f:
        f.write(json.dumps(entry) + "\n")


def _model_change_sets() -> None:
    """CloudFormation change sets as AWS keeps them.

    - CreateChangeSet with ChangeSetType CREATE on a stack name that is in REVIEW_IN_PROGRESS
      adds the change set to that stack (moto made a second, same-name stack); on a stack in any
      other live state it fails AlreadyExists. API_CreateChangeSet: "If you create a change set
      for a new stack, CloudFormation creates a stack with a unique stack ID, but no template or
      resources. The stack will be in the REVIEW_IN_PROGRESS state until you execute the change
      set"; aws-cdk#7731 relies on CREATE change sets for REVIEW_IN_PROGRESS stacks.
    - ClientToken: a CreateChangeSet repeated with the token of the call that created a change
      set returns that change set; a second change set of the same name on the stack without it
      fails AlreadyExists (API_CreateChangeSet, ClientToken: "Specify this token if you plan to
      retry requests so that CloudFormation knows that you're not attempting to create another
      change set with the same name").
    - ExecuteChangeSet: a repeat with the ClientRequestToken of the call that executed the change
      set does nothing; without it, InvalidChangeSetStatus (API_ExecuteChangeSet,
      ClientRequestToken). Executing deletes the stack's other change sets (API_ExecuteChangeSet:
      "When you execute a change set, CloudFormation deletes all other change sets associated
      with the stack because they aren't valid for the updated stack").
    - ListChangeSets lists the given stack's change sets only (moto listed every stack's).
    - DeleteChangeSet of a change set that does not exist fails ChangeSetNotFound (moto crashed).
    - DeleteStack deletes the stack's change sets with it.
    - CreateStack repeated with the ClientRequestToken of the call that created the stack returns
      that stack (moto failed it AlreadyExists). API_CreateStack, ClientRequestToken: "Specify this
      token if you plan to retry requests so that CloudFormation knows that you're not attempting
      to create a stack with the same name." Another CreateStack of a live name fails
      AlreadyExists, as moto already did.
    - CreateChangeSet of an UPDATE that changes nothing succeeds and makes a change set with
      Status FAILED, StatusReason "The submitted information didn't contain changes. Submit
      different information to create a change set." (moto raised ValidationError "No updates
      are to be performed." from the call itself, as UpdateStack does). AWS answers the call and
      fails the change set: DescribeChangeSet's StatusReason, aws-sdk-js#2331,
      ansible-collections/amazon.aws#507.
    """
    from moto.cloudformation import models as cfm
    from moto.cloudformation import responses as cfr
    from moto.cloudformation.exceptions import AlreadyExistsException, CloudFormationError
    from moto.cloudformation.utils import generate_changeset_id, generate_stack_id, validate_create_change_set
    from moto.core.responses import ActionResult, EmptyResult

    class InvalidChangeSetStatus(CloudFormationError):
        code = "InvalidChangeSetStatus"

    class ChangeSetNotFound(CloudFormationError):
        code = "ChangeSetNotFound"

        def __init__(self, name: str):
            super().__init__(f"ChangeSet [{name}] does not exist")

    backend_cls = cfm.CloudFormationBackend

    def stack_by_name(self, name):  # type: ignore[no-untyped-def]
        for stack in self.stacks.values():
            if stack.name == name or stack.stack_id == name:
                return stack
        return None

    def find_change_set(self, name_or_id, stack_name=None):  # type: ignore[no-untyped-def]
        if name_or_id in self.change_sets:
            return self.change_sets[name_or_id]
        stack = stack_by_name(self, stack_name) if stack_name else None
        for cs in self.change_sets.values():
            if cs.change_set_name == name_or_id and (stack is None or cs.stack_id == stack.stack_id):
                return cs
        return None

    def create_change_set(self, stack_name, change_set_name, template, parameters, description, change_set_type, notification_arns=None, tags=None, role_arn=None):  # type: ignore[no-untyped-def]
        validate_create_change_set(change_set_name)
        existing = stack_by_name(self, stack_name)
        if change_set_type == "UPDATE":
            if existing is None:
                raise cfm.ValidationError(stack_name)
            stack = existing
        elif existing is not None and existing.status == "REVIEW_IN_PROGRESS":
            stack = existing
        elif existing is not None:
            raise AlreadyExistsException(f"Stack [{stack_name}] already exists and cannot be created again with the changeSet [{change_set_name}].")
        else:
            stack = cfm.Stack(
                stack_id=generate_stack_id(stack_name, self.region_name, self.account_id), name=stack_name, template={}, parameters=parameters,
                account_id=self.account_id, region_name=self.region_name, notification_arns=notification_arns, tags=tags, role_arn=role_arn,
            )
            self.stacks[stack.stack_id] = stack
            stack.status = "REVIEW_IN_PROGRESS"
            stack._add_stack_event("REVIEW_IN_PROGRESS", resource_status_reason="User Initiated")
            _audit(op="CreateStack", stack=stack_name, stackId=stack.stack_id, via="CreateChangeSet")
        change_set_id = generate_changeset_id(change_set_name, self.region_name, self.account_id)
        cs = cfm.ChangeSet(
            change_set_type=change_set_type, change_set_id=change_set_id, change_set_name=change_set_name, stack=stack, template=template,
            parameters=parameters, description=description, notification_arns=notification_arns, tags=tags, role_arn=role_arn,
        )
        if change_set_type == "UPDATE" and stack.has_template(template) and stack.has_parameters(parameters):
            cs.status = "FAILED"
            cs.execution_status = "UNAVAILABLE"
            cs.status_reason = "The submitted information didn't contain changes. Submit different information to create a change set."
        else:
            cs.status = "CREATE_COMPLETE"
            cs.execution_status = "AVAILABLE"
        self.change_sets[change_set_id] = cs
        _audit(op="CreateChangeSet", stack=stack_name, changeSet=change_set_name, id=change_set_id, type=change_set_type, status=cs.status)
        return change_set_id, stack.stack_id

    original_execute = backend_cls.execute_change_set

    def execute_change_set(self, change_set_name, stack_name=None):  # type: ignore[no-untyped-def]
        cs = find_change_set(self, change_set_name, stack_name)
        if cs is None:
            raise cfm.ValidationError(stack_name)
        if cs.status != "CREATE_COMPLETE" or cs.execution_status != "AVAILABLE":
            raise InvalidChangeSetStatus(f"ChangeSet [{cs.change_set_id}] cannot be executed in its current status of [{cs.status}] and execution status of [{cs.execution_status}]")
        for other_id, other in list(self.change_sets.items()):
            if other is not cs and other.stack_id == cs.stack_id:
                del self.change_sets[other_id]
        original_execute(self, cs.change_set_id, stack_name)
        stack = self.stacks.get(cs.stack_id)
        if stack is not None:
            # AWS lists a stack's outputs once its change set has run (DescribeStacks, Outputs);
            # moto keeps the output map it built when the change set was made, before any
            # resource existed, so every output of a stack made through a change set was missing.
            stack._parse_template()
            stack.output_map = stack._create_output_map()
            _object_outputs_as_ids(stack)
        _audit(op="ExecuteChangeSet", stack=cs.stack_name, changeSet=cs.change_set_name, id=cs.change_set_id)

    def delete_change_set(self, change_set_name, stack_name=None):  # type: ignore[no-untyped-def]
        cs = find_change_set(self, change_set_name, stack_name)
        if cs is None:
            raise ChangeSetNotFound(change_set_name)
        del self.change_sets[cs.change_set_id]

    original_delete_stack = backend_cls.delete_stack

    def delete_stack(self, name_or_stack_id):  # type: ignore[no-untyped-def]
        stack = stack_by_name(self, name_or_stack_id)
        if stack is not None:
            for cs_id, cs in list(self.change_sets.items()):
                if cs.stack_id == stack.stack_id:
                    del self.change_sets[cs_id]
            _audit(op="DeleteStack", stack=stack.name, stackId=stack.stack_id)
        return original_delete_stack(self, name_or_stack_id)

    backend_cls.create_change_set = create_change_set  # type: ignore[method-assign]
    backend_cls.execute_change_set = execute_change_set  # type: ignore[method-assign]
    backend_cls.delete_change_set = delete_change_set  # type: ignore[method-assign]
    backend_cls.delete_stack = delete_stack  # type: ignore[method-assign]

    resp_cls = cfr.CloudFormationResponse
    original_create_resp = resp_cls.create_change_set

    def create_change_set_resp(self):  # type: ignore[no-untyped-def]
        token = self._get_param("ClientToken")
        stack_name = self._get_param("StackName")
        name = self._get_param("ChangeSetName")
        existing = find_change_set(self.cloudformation_backend, name, stack_name) if stack_by_name(self.cloudformation_backend, stack_name) else None
        if existing is not None:
            if token and getattr(existing, "dpf_client_token", None) == token:
                return ActionResult({"Id": existing.change_set_id, "StackId": existing.stack_id})
            raise AlreadyExistsException(f"ChangeSet [{name}] already exists")
        # The backend (create_change_set above) marks a change set without changes FAILED, as AWS does.
        self._validate_different_update = lambda *args, **kwargs: None
        result = original_create_resp(self)
        created = find_change_set(self.cloudformation_backend, name, stack_name)
        if created is not None:
            created.dpf_client_token = token
        return result

    def execute_change_set_resp(self):  # type: ignore[no-untyped-def]
        token = self._get_param("ClientRequestToken")
        stack_name = self._get_param("StackName")
        name = self._get_param("ChangeSetName")
        cs = find_change_set(self.cloudformation_backend, name, stack_name)
        if cs is not None and token and getattr(cs, "dpf_execute_token", None) == token:
            return EmptyResult()
        self.cloudformation_backend.execute_change_set(change_set_name=name, stack_name=stack_name)
        if cs is not None:
            cs.dpf_execute_token = token
        return EmptyResult()

    def delete_change_set_resp(self):  # type: ignore[no-untyped-def]
        self.cloudformation_backend.delete_change_set(self._get_param("ChangeSetName"), self._get_param("StackName"))
        return EmptyResult()

    def list_change_sets_resp(self):  # type: ignore[no-untyped-def]
        stack = stack_by_name(self.cloudformation_backend, self._get_param("StackName"))
        if stack is None:
            raise cfm.ValidationError(self._get_param("StackName"))
        return ActionResult({"Summaries": [cs for cs in self.cloudformation_backend.change_sets.values() if cs.stack_id == stack.stack_id]})

    original_create_stack_resp = resp_cls.create_stack

    def create_stack_resp(self):  # type: ignore[no-untyped-def]
        token = self._get_param("ClientRequestToken")
        name = self._get_param("StackName")
        existing = stack_by_name(self.cloudformation_backend, name)
        if existing is not None and token and getattr(existing, "dpf_create_token", None) == token:
            return ActionResult({"StackId": existing.stack_id})
        result = original_create_stack_resp(self)
        created = stack_by_name(self.cloudformation_backend, name)
        if created is not None:
            created.dpf_create_token = token
            # The same output fix as a change set's execution (above): a Ref output is an id.
            _object_outputs_as_ids(created)
            _audit(op="CreateStack", stack=name, stackId=created.stack_id, via="CreateStack")
        return result

    resp_cls.create_stack = create_stack_resp  # type: ignore[method-assign]
    resp_cls.create_change_set = create_change_set_resp  # type: ignore[method-assign]
    resp_cls.execute_change_set = execute_change_set_resp  # type: ignore[method-assign]
    resp_cls.delete_change_set = delete_change_set_resp  # type: ignore[method-assign]
    resp_cls.list_change_sets = list_change_sets_resp  # type: ignore[method-assign]


def _add_list_service_quotas() -> None:
    """Service Quotas ListServiceQuotas, which moto lacks (it has GetServiceQuota and
    ListAWSDefaultServiceQuotas): answered from the same data as moto's GetServiceQuota, so both
    calls agree: the vpc quotas moto knows, and for any other service an empty list. AWS
    (API_ListServiceQuotas): "Lists the applied quota values for the specified AWS service. For
    some quotas, only the default values are available. If the applied quota value is not
    available for a quota, the quota is not retrieved." dpf reads a service's quotas with one
    call per page (issue 14) and asks ListAWSDefaultServiceQuotas only for codes missing here.
    """
    from moto.servicequotas.resources.default_quotas.vpc import VPC_DEFAULT_QUOTAS
    from moto.servicequotas.responses import ServiceQuotasResponse

    def list_service_quotas(self):  # type: ignore[no-untyped-def]
        params = json.loads(self.body or "{}")
        quotas = VPC_DEFAULT_QUOTAS if params.get("ServiceCode") == "vpc" else []
        return json.dumps({"Quotas": quotas})

    ServiceQuotasResponse.list_service_quotas = list_service_quotas  # type: ignore[attr-defined]


def _audit_send_command() -> None:
    # Not AWS behaviour: a record of every SSM command the emulator created (SendCommand has no
    # idempotency token on AWS either), for the duplicate counts of the fault and crash tests.
    from moto.ssm.models import SimpleSystemManagerBackend

    original = SimpleSystemManagerBackend.send_command

    def send_command(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        # The ids the request named (moto's command then lists every instance it knows).
        requested = list(kwargs.get("instance_ids") or [])
        command = original(self, *args, **kwargs)
        _audit(op="SendCommand", commandId=command.command_id, comment=command.comment, document=command.document_name, env=_command_env(command, requested))
        return command

    def _command_env(command, requested):  # type: ignore[no-untyped-def]
        # Which dpf environment the command is for: its dpf:env tag target, else the tag of the instance it names.
        for t in command.targets or []:
            if t.get("Key") == "tag:dpf:env" and t.get("Values"):
                return t["Values"][0]
        from moto.ec2.models import ec2_backends

        for iid in requested:
            try:
                inst = ec2_backends[command.account_id][command.backend_region].get_instance(iid)
                for tag in inst.get_tags() if hasattr(inst, "get_tags") else []:
                    if tag.get("key") == "dpf:env":
                        return tag.get("value")
                tags = getattr(inst, "tags", None) or {}
                if isinstance(tags, dict) and "dpf:env" in tags:
                    return tags["dpf:env"]
            except Exception:  # noqa: BLE001 - the audit must never break the emulator
                pass
        return None

    SimpleSystemManagerBackend.send_command = send_command  # type: ignore[method-assign]


def _serialise_requests() -> None:
    """One request at a time. moto's in-memory backends are not thread-safe, and its server is
    threaded: dpf deploys compute and storage at once and polls while it creates, so two requests
    could meet inside one backend (a list of stack events read while another thread appends to it)
    and moto answered an HTML 500 page — which dpf rightly reads as "not offered by this
    endpoint", failing a deploy at random (seen about once in three full test runs, in storage.stack
    and in the day-2 suite's setup). AWS serves concurrent requests consistently; no handler here
    sleeps (the time-scaled mode works from timestamps), so a lock costs only queueing."""
    import threading

    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    lock = threading.Lock()
    call = DomainDispatcherApplication.__call__

    def serialised(self, environ, start_response):  # type: ignore[no-untyped-def]
        with lock:
            body = call(self, environ, start_response)
            # Read the whole answer inside the lock: werkzeug iterates it after __call__ returns.
            return list(body) if not isinstance(body, (list, tuple)) else body

    DomainDispatcherApplication.__call__ = serialised  # type: ignore[method-assign]


def main() -> None:
    _serialise_requests()
    _add_ssm_models()
    _patch_launch_template_instance_profile()
    _add_rocky_linux_image()
    _patch_retain_except_on_create()
    _add_iam_group_resource()
    _add_cloudwatch_alarm_resource()
    _patch_create_image_snapshot_tags()
    _patch_change_set_parameter_diff()
    _patch_rds_master_user_secret()
    _patch_ssm_parameter_tags()
    _patch_kms_key_tags()
    _patch_instance_from_launch_template()
    _patch_rds_parameter_group_ref()
    _model_change_sets()
    _add_list_service_quotas()
    _audit_send_command()
    from moto.server import main as moto_main

    from timescale import install_from_argv  # tools/timescale.py, beside this file

    moto_main(install_from_argv(sys.argv[1:]))


if __name__ == "__main__":
    main()
