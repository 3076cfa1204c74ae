"""Start moto's server with dpf's patches for moto bugs that would crash on valid templates.

Templates are written for AWS (never bent to the emulator); where moto crashes on a valid
property, the bug is patched here, in the test tool, and listed in docs/emulator.md.

Usage: python tools/moto_server.py -H 127.0.0.1 -p PORT [--time-scale N [--ssm-seconds [DOC=]S]]
(--time-scale: stacks and SSM commands take their typical AWS time / N; see tools/timescale.py)
"""
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
                profile = (data.get("IamInstanceProfile") or {}).get("Name")
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


def main() -> None:
    _add_rocky_linux_image()
    _add_iam_group_resource()
    _add_cloudwatch_alarm_resource()
    _patch_create_image_snapshot_tags()
    _patch_change_set_parameter_diff()
    _patch_rds_master_user_secret()
    _patch_ssm_parameter_tags()
    _patch_kms_key_tags()
    _patch_instance_from_launch_template()
    _patch_rds_parameter_group_ref()
    from moto.server import main as moto_main

    from timescale import install_from_argv  # tools/timescale.py, beside this file

    moto_main(install_from_argv(sys.argv[1:]))


if __name__ == "__main__":
    main()
