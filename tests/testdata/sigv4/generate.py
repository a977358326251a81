#!/usr/bin/env python3
"""Signs fixed requests with fixed credentials at a fixed time with botocore's SigV4Auth and writes what it produced
(canonical request, string to sign, headers) to botocore-vectors.json.

Both sides of the repository are checked against this file: the operator's signer (operator/Aws/SigV4Signer.cs) must
produce botocore's Authorization header, and the sandbox's verifier (tests/Sandbox/Aws/SigV4Verifier.cs, an independent
implementation) must accept botocore's signed requests and compute its canonical requests. Regenerate with
`python3 tests/testdata/sigv4/generate.py` (needs botocore; the output is deterministic).
"""
import datetime
import json
import os
from unittest import mock

import botocore
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

NOW = datetime.datetime(2026, 3, 14, 15, 9, 26, tzinfo=datetime.timezone.utc)
STATIC = Credentials("AKIDEXAMPLE00000001", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
TEMPORARY = Credentials("ASIAEXAMPLE00000002", "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY", "IQoJb3JpZ2luX2VjEXAMPLE//////////session+token=")

CASES = [
    ("guardduty-list-coverage", STATIC, "us-east-1", "guardduty", "POST",
     "https://guardduty.us-east-1.amazonaws.com/detector/12abc34d567e8fa901bc2d34e56789f0/coverage",
     {"Content-Type": "application/json"}, '{"maxResults":50,"filterCriteria":{"filterCriterion":[{"criterionKey":"RESOURCE_TYPE","filterCondition":{"equals":["EKS"]}}]}}'),
    ("guardduty-get-detector-session-token", TEMPORARY, "eu-west-1", "guardduty", "GET",
     "https://guardduty.eu-west-1.amazonaws.com/detector/12abc34d567e8fa901bc2d34e56789f0", {}, ""),
    ("guardduty-list-detectors-query", STATIC, "us-east-1", "guardduty", "GET",
     "https://guardduty.us-east-1.amazonaws.com/detector?nextToken=abc%2Fdef%3D%3D&maxResults=5", {}, ""),
    ("eks-describe-addon", STATIC, "us-west-2", "eks", "GET",
     "https://eks.us-west-2.amazonaws.com/clusters/prod-cluster/addons/aws-guardduty-agent", {}, ""),
    ("eks-addon-versions-repeated-keys", TEMPORARY, "us-west-2", "eks", "GET",
     "https://eks.us-west-2.amazonaws.com/addons/supported-versions?types=b&addonName=aws-guardduty-agent&types=a&kubernetesVersion=1.31", {}, ""),
    ("eks-encoded-path", STATIC, "ap-southeast-2", "eks", "GET",
     "https://eks.ap-southeast-2.amazonaws.com/clusters/team%3Aa%20b/addons", {}, ""),
    ("local-endpoint-port", STATIC, "us-east-1", "eks", "GET",
     "http://127.0.0.1:45123/clusters/demo", {}, ""),
    ("json-protocol-target", TEMPORARY, "us-east-1", "events", "POST",
     "https://events.us-east-1.amazonaws.com/",
     {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "AWSEvents.PutEvents"}, '{"Entries":[{"Source":"gdc","DetailType":"t","Detail":"{}"}]}'),
    ("utf8-body-spaces-in-header", STATIC, "us-east-1", "guardduty", "POST",
     "https://guardduty.us-east-1.amazonaws.com/detector/d1/coverage/statistics",
     {"Content-Type": "application/json;  charset=utf-8"}, '{"note":"caf\u00e9 \u2713"}'),
]


class RecordingSigV4Auth(SigV4Auth):
    """botocore's SigV4Auth, keeping the canonical request and string to sign it computed."""

    def canonical_request(self, request):
        self.recorded_canonical_request = super().canonical_request(request)
        return self.recorded_canonical_request

    def string_to_sign(self, request, canonical_request):
        self.recorded_string_to_sign = super().string_to_sign(request, canonical_request)
        return self.recorded_string_to_sign


def sign(name, credentials, region, service, method, url, headers, body):
    request = AWSRequest(method=method, url=url, headers=dict(headers), data=body.encode("utf-8"))
    auth = RecordingSigV4Auth(credentials, service, region)
    with mock.patch("botocore.auth.get_current_datetime", return_value=NOW):
        auth.add_auth(request)
    return {
        "name": name,
        "credentials": {"accessKeyId": credentials.access_key, "secretAccessKey": credentials.secret_key, "sessionToken": credentials.token},
        "region": region,
        "service": service,
        "method": method,
        "url": url,
        "headers": headers,
        "body": body,
        "signed": {
            "headers": {k: v for k, v in request.headers.items()},
            "canonicalRequest": auth.recorded_canonical_request,
            "stringToSign": auth.recorded_string_to_sign,
        },
    }


def main():
    vectors = {
        "generator": f"botocore {botocore.__version__} SigV4Auth (tests/testdata/sigv4/generate.py)",
        "now": NOW.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "vectors": [sign(*case) for case in CASES],
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "botocore-vectors.json")
    with open(path, "w", encoding="utf-8") as out:
        json.dump(vectors, out, indent=2, ensure_ascii=False)
        out.write("\n")


if __name__ == "__main__":
    main()
