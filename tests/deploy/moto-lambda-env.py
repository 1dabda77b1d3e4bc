"""Seeds one moto server as a deployed pipeline environment for tests/deploy (boto3, one process,
because a python start per AWS CLI call would dominate the test's run time).

usage: python3 moto-lambda-env.py <endpoint> <json spec on stdin>
spec: {"prefix", "region", "apiKey", "images": {"api": "v1", ...}, "functions": {"name": {"image", "env"}},
       "deploy": {"api": "v1"}, "secrets": ["api-key", ...], "mode": "seed" | "reset",
       "deployUris": {"api": "<registry>/<repo>@sha256:…"} (optional: images pushed to a real registry;
       the functions run these, and no stand-in manifest is put into moto's ECR),
       "release": {"sha", "images"} (optional: written as the release record /<prefix>/release),
       "alias": false (optional, seed: no published version and no `live` alias, as before a first deploy)}
Prints {"digests": {image: {version: digest}}, "repositoryUris": {image: uri}, "secretArns": {name: arn}}.
"""
import hashlib
import json
import sys

import boto3

endpoint = sys.argv[1]
spec = json.load(sys.stdin)
kw = dict(endpoint_url=endpoint, region_name=spec["region"], aws_access_key_id="test", aws_secret_access_key="test")
ecr, lam, sm, iam, ssm = (boto3.client(s, **kw) for s in ("ecr", "lambda", "secretsmanager", "iam", "ssm"))
prefix = spec["prefix"]
out = {"digests": {}, "repositoryUris": {}, "secretArns": {}}


def fake_manifest(image, version):
    # A valid image manifest whose bytes (and so whose digest) differ per image and version.
    config = "sha256:" + hashlib.sha256(f"{prefix}-{image}-{version}".encode()).hexdigest()
    return json.dumps({
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 1234, "digest": config},
        "layers": [],
    }, separators=(",", ":"))


for image, versions in spec["images"].items():
    repo = f"{prefix}-{image}"
    if spec["mode"] == "seed":
        ecr.create_repository(repositoryName=repo)
    out["repositoryUris"][image] = ecr.describe_repositories(repositoryNames=[repo])["repositories"][0]["repositoryUri"]
    out["digests"][image] = {}
    for version in versions if "deployUris" not in spec else []:
        manifest = fake_manifest(image, version)
        digest = "sha256:" + hashlib.sha256(manifest.encode()).hexdigest()
        if spec["mode"] == "seed":
            ecr.put_image(repositoryName=repo, imageManifest=manifest, imageManifestMediaType="application/vnd.docker.distribution.manifest.v2+json", imageDigest=digest)
        out["digests"][image][version] = digest

# Values of the shape the code reads (scripts/preflight.mjs checks them); reset puts them back.
values = {
    "api-key": json.dumps({"keys": [spec["apiKey"]]}),
    "ebay-credentials": json.dumps({"clientId": "test-client", "clientSecret": "test-secret"}),
    "database": json.dumps({"username": "u", "password": "p"}),
}
for name in spec["secrets"]:
    sid = f"{prefix}/{name}"
    value = values.get(name, json.dumps({"placeholder": name}))
    if spec["mode"] == "seed":
        sm.create_secret(Name=sid, SecretString=value)
    else:
        sm.put_secret_value(SecretId=sid, SecretString=value)
    out["secretArns"][name] = sm.describe_secret(SecretId=sid)["ARN"]

if spec["mode"] == "seed":
    role = iam.create_role(RoleName=f"{prefix}-fn", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}))["Role"]["Arn"]
else:
    role = iam.get_role(RoleName=f"{prefix}-fn")["Role"]["Arn"]


def resolve(value):
    # "secret:<name>" in the spec stands for that secret's ARN.
    return out["secretArns"][value[7:]] if value.startswith("secret:") else value


for name, fn in spec["functions"].items():
    uri = spec["deployUris"][fn["image"]] if "deployUris" in spec else f"{out['repositoryUris'][fn['image']]}@{out['digests'][fn['image']][spec['deploy'][fn['image']]]}"
    env = {"Variables": {k: resolve(v) for k, v in fn["env"].items()}}
    # As Terraform deploys them: every change published as a version, the `live` alias on it.
    if spec["mode"] == "seed":
        lam.create_function(FunctionName=name, PackageType="Image", Code={"ImageUri": uri}, Role=role, Environment=env, Timeout=30)
        if spec.get("alias", True):
            lam.create_alias(FunctionName=name, Name="live", FunctionVersion=lam.publish_version(FunctionName=name)["Version"])
    else:
        lam.update_function_code(FunctionName=name, ImageUri=uri)
        lam.update_function_configuration(FunctionName=name, Environment=env)
        lam.delete_function_concurrency(FunctionName=name)
        lam.update_alias(FunctionName=name, Name="live", FunctionVersion=lam.publish_version(FunctionName=name)["Version"])

print(json.dumps(out))

# The environment's release record (scripts/release-record.mjs), as a green deploy writes it.
if "release" in spec:
    ssm.put_parameter(Name=f"/{prefix}/release", Type="String", Overwrite=True, Value=json.dumps(spec["release"]))
