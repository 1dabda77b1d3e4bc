"""`python3 -m moto.server`, with one fix to behave like AWS where the deploy tests depend on it.

moto 5's publish_version makes a shallow copy of the function, so every published version shares
$LATEST's `code` dict: after update-function-code, `get-function --qualifier 1` reports the new
image. On AWS a version is immutable and keeps the image it was published with; rollback by
moving the `live` alias back (scripts/deploy/promote.ts) is only observable with that.
"""
import sys

from moto.awslambda.models import LambdaFunction
from moto.server import main

_set_version = LambdaFunction.set_version


def set_version(self, version):
    self.code = dict(self.code)  # a published version owns its code
    return _set_version(self, version)


LambdaFunction.set_version = set_version

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
