"""What botocore puts on the wire, for parity tests of the C# clients. Nothing is sent anywhere.

stdin: {"mode": "serialize", "region": ..., "cases": [{"service": "guardduty", "operation": "ListCoverage", "params": {...}}]}
   or: {"mode": "sign", "cases": [{"method", "url", "headers": {...}, "body": "...", "service", "region",
         "accessKey", "secretKey", "token", "time": "YYYYMMDDTHHMMSSZ"}]}
   or: {"mode": "validate", "cases": [{"service", "operation", "body": "..."}]}: botocore reads a json-protocol body
       we sent as that operation's input and validates it against the model (its ParamValidator).
stdout: a JSON list, one result per case.
"""
import datetime
import json
import sys
from urllib.parse import urlsplit

import botocore.auth
import botocore.session
from botocore.awsrequest import AWSRequest, AWSResponse
from botocore.credentials import Credentials


class _Raw:
    def __init__(self, data):
        self._data = data

    def stream(self, **_):
        yield self._data

    def read(self, *_args, **_kwargs):
        data, self._data = self._data, b""
        return data


def _text(value):
    return value.decode("utf-8") if isinstance(value, bytes) else value


def serialize(doc):
    session = botocore.session.get_session()
    results = []
    for case in doc["cases"]:
        client = session.create_client(
            case["service"], region_name=doc["region"], endpoint_url="https://example.test",
            aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret")
        captured = {}

        def before_send(request, **_):
            parts = urlsplit(request.url)
            body = request.body
            if isinstance(body, bytes):
                body = body.decode("utf-8")
            captured.update(method=request.method, path=parts.path, query=parts.query,
                            body=body or "", contentType=_text(request.headers.get("Content-Type")),
                            target=_text(request.headers.get("X-Amz-Target")))
            raw = _Raw(json.dumps(case.get("response", {})).encode())
            return AWSResponse(request.url, 200, {"x-amzn-requestid": "r"}, raw)

        client.meta.events.register("before-send.*", before_send)
        operation = botocore.xform_name(case["operation"])
        getattr(client, operation)(**case["params"])
        results.append(captured)
    return results


def sign(doc):
    results = []
    for case in doc["cases"]:
        fixed = datetime.datetime.strptime(case["time"], "%Y%m%dT%H%M%SZ")
        botocore.auth.get_current_datetime = lambda fixed=fixed: fixed
        request = AWSRequest(method=case["method"], url=case["url"], headers=dict(case["headers"]),
                             data=case["body"].encode() if case["body"] else None)
        credentials = Credentials(case["accessKey"], case["secretKey"], case.get("token"))
        botocore.auth.SigV4Auth(credentials, case["service"], case["region"]).add_auth(request)
        results.append({"authorization": request.headers["Authorization"]})
    return results


def validate(doc):
    from botocore.validate import ParamValidator
    session = botocore.session.get_session()
    results = []
    for case in doc["cases"]:
        model = session.get_service_model(case["service"])
        operation = model.operation_model(case["operation"])
        params = json.loads(case["body"])
        report = ParamValidator().validate(params, operation.input_shape)
        results.append({"errors": report.generate_report() if report.has_errors() else ""})
    return results


def main():
    doc = json.load(sys.stdin)
    modes = {"serialize": serialize, "sign": sign, "validate": validate}
    result = modes[doc["mode"]](doc)
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
