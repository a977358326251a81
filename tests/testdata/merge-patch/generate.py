#!/usr/bin/env python3
"""Writes vectors.json: JSON merge patch (RFC 7386) cases that both sides of the repository are checked against, the
operator's MergePatch (operator/Runtime/MergePatch.cs) and the sandbox's independent implementation
(tests/KubeSandbox/Json/JsonMergePatch.cs).

- RFC 7386 Appendix A, the 15 examples, as the RFC prints them.
- Exchanges recorded from kube-apiserver v1.24 (tests/testdata/k8s-golden): the object before (the response of an
  earlier exchange), the merge patch the client sent, and the object the server answered. Server-managed metadata
  (resourceVersion, managedFields, generation, ...) is not the patch's doing, so `metadata` is left out of target and
  result; only exchanges where the server applied the patch as RFC 7386 says (the main resource, or a status patch
  that touches only status) are kept, checked here with the RFC's own pseudo-code.

Regenerate with `python3 tests/testdata/merge-patch/generate.py`; the output is deterministic.
"""
import copy
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.path.join(HERE, "..", "k8s-golden")

RFC7386_APPENDIX_A = [
    ({"a": "b"}, {"a": "c"}, {"a": "c"}),
    ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
    ({"a": "b"}, {"a": None}, {}),
    ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
    ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
    ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
    ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
    ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
    (["a", "b"], ["c", "d"], ["c", "d"]),
    ({"a": "b"}, ["c"], ["c"]),
    ({"a": "foo"}, None, None),
    ({"a": "foo"}, "bar", "bar"),
    ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
    ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
    ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
]

# (exchange whose response is the object before, exchange that sent the merge patch)
GOLDEN_PAIRS = [("19", "20"), ("23", "25"), ("25", "26"), ("44", "45")]


def merge_patch(target, patch):
    """RFC 7386 section 2, line for line."""
    if isinstance(patch, dict):
        if not isinstance(target, dict):
            target = {}
        target = dict(target)
        for name, value in patch.items():
            if value is None:
                target.pop(name, None)
            else:
                target[name] = merge_patch(target.get(name), value)
        return target
    return copy.deepcopy(patch)


def exchange(number):
    name = next(f for f in sorted(os.listdir(GOLDEN)) if f.startswith(number + "-"))
    with open(os.path.join(GOLDEN, name), encoding="utf-8") as f:
        return name, json.load(f)


def without_metadata(obj):
    return {k: v for k, v in obj.items() if k != "metadata"}


def main():
    vectors = []
    for i, (target, patch, result) in enumerate(RFC7386_APPENDIX_A, 1):
        assert merge_patch(target, patch) == result, i
        vectors.append({"name": f"rfc7386-appendix-a-{i:02d}", "target": target, "patch": patch, "result": result})

    for before, patched in GOLDEN_PAIRS:
        _, before_exchange = exchange(before)
        name, patch_exchange = exchange(patched)
        target = without_metadata(before_exchange["response"]["body"])
        patch = patch_exchange["request"]["body"]
        if isinstance(patch, str):
            patch = json.loads(patch)
        result = without_metadata(patch_exchange["response"]["body"])
        if merge_patch(target, without_metadata(patch)) != result:
            print(f"skipped {name}: the server did not apply it as a plain merge patch (a status or main-resource patch keeps the other half as stored)")
            continue
        vectors.append({"name": f"k8s-golden-{name[:-5]}", "target": target, "patch": without_metadata(patch), "result": result})

    with open(os.path.join(HERE, "vectors.json"), "w", encoding="utf-8") as out:
        json.dump({"generator": "tests/testdata/merge-patch/generate.py", "vectors": vectors}, out, indent=2)
        out.write("\n")
    print(f"{len(vectors)} vectors")


if __name__ == "__main__":
    main()
