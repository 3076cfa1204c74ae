"""Start moto's server with dpf's patches for moto bugs that would crash on valid templates.

Templates are written for AWS (never bent to the emulator); where moto crashes on a valid
property, the bug is patched here, in the test tool, and listed in docs/emulator.md.

Usage: python tools/moto_server.py -H 127.0.0.1 -p PORT
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


def main() -> None:
    _patch_kms_key_tags()
    from moto.server import main as moto_main

    moto_main(sys.argv[1:])


if __name__ == "__main__":
    main()
