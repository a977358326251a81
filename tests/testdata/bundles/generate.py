#!/usr/bin/env python3
"""Writes the support-bundle fixtures under tests/testdata/bundles/<scenario>/.

Kubernetes files are formatted the way `kubectl get -o yaml|json` prints them (keys sorted, `kind: List` wrappers,
4-space JSON). AWS files are printed by the real AWS CLI: each scenario's wire responses (camelCase, epoch seconds)
are served from a loopback HTTP server and `aws ... --endpoint-url` prints them (PascalCase for GuardDuty/EC2, ISO
timestamps). Run it from anywhere: python3 tests/testdata/bundles/generate.py. CI only reads the output.
"""
import http.server, json, os, re, shutil, subprocess, tempfile, threading
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
CLUSTER, REGION, ACCOUNT = "prod-eks-1", "us-east-1", "111122223333"
IMAGE = "602401143452.dkr.ecr.us-east-1.amazonaws.com/aws-guardduty-agent:v1.17.1"
T0 = 1795708800  # 2026-11-26T16:00:00Z


def kubectl_yaml(obj):
    # sigs.k8s.io/yaml quotes with double quotes where PyYAML uses single ones ("2", "2026-11-20T09:00:05Z").
    text = yaml.safe_dump(obj, default_flow_style=False, sort_keys=True, width=1 << 20)
    return re.sub(r"(: |- )'([^'\\\"]*)'$", r'\1"\2"', text, flags=re.MULTILINE)


def k_list(items):
    return {"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}}


def namespace(labels=None):
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"creationTimestamp": "2026-11-20T09:00:00Z", "labels": {"kubernetes.io/metadata.name": "amazon-guardduty", **(labels or {})}, "name": "amazon-guardduty", "resourceVersion": "1201", "uid": "c8f7d3e8-66f2-4924-b8f9-c22c76b26c79"}, "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}}


def daemonset(available=3, desired=3, image=IMAGE, image_owner="eks"):
    eks_container = {".": {}, "f:name": {}, "f:resources": {}}
    other = []
    if image_owner == "eks":
        eks_container["f:image"] = {}
    else:
        other.append({"apiVersion": "apps/v1", "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": {"f:template": {"f:spec": {"f:containers": {'k:{"name":"aws-guardduty-agent"}': {"f:image": {}}}}}}}, "manager": image_owner, "operation": "Update", "time": "2026-11-25T14:02:11Z"})
    return {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {
        "annotations": {"deprecated.daemonset.template.generation": "2"}, "creationTimestamp": "2026-11-20T09:00:05Z", "generation": 2,
        "labels": {"app.kubernetes.io/name": "aws-guardduty-agent"},
        "managedFields": [{"apiVersion": "apps/v1", "fieldsType": "FieldsV1", "fieldsV1": {"f:metadata": {"f:labels": {"f:app.kubernetes.io/name": {}}}, "f:spec": {"f:selector": {}, "f:template": {"f:metadata": {"f:labels": {"f:name": {}}}, "f:spec": {"f:containers": {'k:{"name":"aws-guardduty-agent"}': eks_container}, "f:priorityClassName": {}}}}}, "manager": "eks", "operation": "Apply", "time": "2026-11-20T09:00:05Z"},
                          {"apiVersion": "apps/v1", "fieldsType": "FieldsV1", "fieldsV1": {"f:status": {"f:currentNumberScheduled": {}, "f:desiredNumberScheduled": {}, "f:numberAvailable": {}, "f:numberReady": {}, "f:observedGeneration": {}, "f:updatedNumberScheduled": {}}}, "manager": "kube-controller-manager", "operation": "Update", "subresource": "status", "time": "2026-11-26T11:00:00Z"}] + other,
        "name": "aws-guardduty-agent", "namespace": "amazon-guardduty", "resourceVersion": "88120", "uid": "84a3839b-d49a-4136-a5bb-634eae9af530"},
        "spec": {"revisionHistoryLimit": 10, "selector": {"matchLabels": {"name": "aws-guardduty-agent"}}, "template": {"metadata": {"creationTimestamp": None, "labels": {"name": "aws-guardduty-agent"}}, "spec": {
            "containers": [{"image": image, "imagePullPolicy": "IfNotPresent", "name": "aws-guardduty-agent", "resources": {"limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"cpu": "200m", "memory": "256Mi"}}, "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File"}],
            "dnsPolicy": "ClusterFirst", "priorityClassName": "aws-guardduty-agent.priorityclass", "restartPolicy": "Always", "schedulerName": "default-scheduler", "securityContext": {}, "terminationGracePeriodSeconds": 30}},
            "updateStrategy": {"rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}, "type": "RollingUpdate"}},
        "status": {"currentNumberScheduled": desired, "desiredNumberScheduled": desired, "numberAvailable": available, "numberMisscheduled": 0, "numberReady": available, "observedGeneration": 2, "updatedNumberScheduled": desired}}


def pod(name, ready=True, pending_message=None, waiting=None, restarts=0):
    conditions = [{"lastProbeTime": None, "lastTransitionTime": "2026-11-26T10:00:00Z", "status": "True", "type": "PodScheduled"}]
    status = {"phase": "Running", "qosClass": "Burstable", "startTime": "2026-11-26T10:00:00Z"}
    if pending_message:
        conditions = [{"lastProbeTime": None, "lastTransitionTime": "2026-11-26T10:00:00Z", "message": pending_message, "reason": "Unschedulable", "status": "False", "type": "PodScheduled"}]
        status = {"phase": "Pending", "qosClass": "Burstable"}
    else:
        conditions.append({"lastProbeTime": None, "lastTransitionTime": "2026-11-26T10:01:00Z", "status": "True" if ready else "False", "type": "Ready"})
        state = {"running": {"startedAt": "2026-11-26T10:00:40Z"}} if ready else {"waiting": waiting}
        status["containerStatuses"] = [{"containerID": "containerd://" + "ab" * 32 if ready else "", "image": IMAGE, "imageID": "", "lastState": {}, "name": "aws-guardduty-agent", "ready": ready, "restartCount": restarts, "started": ready, "state": state}]
    status["conditions"] = conditions
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"creationTimestamp": "2026-11-26T10:00:00Z", "generateName": "aws-guardduty-agent-", "labels": {"controller-revision-hash": "7d9c6b5f4", "name": "aws-guardduty-agent", "pod-template-generation": "2"}, "name": name, "namespace": "amazon-guardduty",
            "ownerReferences": [{"apiVersion": "apps/v1", "blockOwnerDeletion": True, "controller": True, "kind": "DaemonSet", "name": "aws-guardduty-agent", "uid": "84a3839b-d49a-4136-a5bb-634eae9af530"}], "resourceVersion": "88001", "uid": "0f6f1b7e-0000-4000-8000-" + name[-12:].rjust(12, "0").replace("-", "0")},
            "spec": {"containers": [{"image": IMAGE, "name": "aws-guardduty-agent"}], "nodeName": None if pending_message else "ip-10-0-1-23.ec2.internal", "priority": 1000000, "priorityClassName": "aws-guardduty-agent.priorityclass", "preemptionPolicy": "Never"}, "status": status}


def priorityclass():
    return {"apiVersion": "scheduling.k8s.io/v1", "description": "GuardDuty agent priority", "kind": "PriorityClass", "metadata": {"creationTimestamp": "2026-11-20T09:00:04Z", "generation": 1, "name": "aws-guardduty-agent.priorityclass", "resourceVersion": "1190", "uid": "c3abe795-4099-4582-8676-dab574daf668"}, "preemptionPolicy": "Never", "value": 1000000}


def crb(name, role, user):
    return {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"creationTimestamp": "2026-11-20T08:55:00Z", "name": name, "resourceVersion": "300", "uid": "a4064ae3-e03d-4ec2-a65a-2edf5543fbb4"}, "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role}, "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": user}]}


def kyverno_webhook():
    return {"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingWebhookConfiguration", "metadata": {"creationTimestamp": "2026-11-21T08:00:00Z", "generation": 1, "labels": {"webhook.kyverno.io/managed-by": "kyverno"}, "name": "kyverno-resource-validating-webhook-cfg", "resourceVersion": "4410", "uid": "6d070d4d-452a-4a57-9ad9-30147dac39fe"},
            "webhooks": [{"admissionReviewVersions": ["v1"], "clientConfig": {"service": {"name": "kyverno-svc", "namespace": "kyverno", "path": "/validate/fail", "port": 443}}, "failurePolicy": "Fail", "matchPolicy": "Equivalent", "name": "validate.kyverno.svc-fail", "namespaceSelector": {"matchExpressions": [{"key": "kubernetes.io/metadata.name", "operator": "NotIn", "values": ["kyverno"]}]}, "objectSelector": {}, "rules": [{"apiGroups": ["apps"], "apiVersions": ["v1"], "operations": ["CREATE", "UPDATE"], "resources": ["daemonsets"], "scope": "*"}], "sideEffects": "NoneOnDryRun", "timeoutSeconds": 10}]}


VERSION = {"clientVersion": {"major": "1", "minor": "32", "gitVersion": "v1.32.4", "gitCommit": "59526cd4867447956156ae3a602fcbac10a2c335", "gitTreeState": "clean", "buildDate": "2025-04-22T16:03:54Z", "goVersion": "go1.23.8", "compiler": "gc", "platform": "linux/amd64"}, "kustomizeVersion": "v5.5.0",
           "serverVersion": {"major": "1", "minor": "33", "gitVersion": "v1.33.5-eks-3025e55", "gitCommit": "9d7f4a1b7b7e4d0f2c6a3b5e1d8c9f0a1b2c3d4e", "gitTreeState": "clean", "buildDate": "2026-10-01T00:00:00Z", "goVersion": "go1.24.6", "compiler": "gc", "platform": "linux/amd64"}}


def coverage(name, status="HEALTHY", issue=None, updated=T0 - 600, covered=3):
    r = {"resourceId": name, "detectorId": "12abc34d567e8fa901bc2d34e56789f0", "accountId": ACCOUNT, "resourceDetails": {"eksClusterDetails": {"clusterName": name, "coveredNodes": covered, "compatibleNodes": 3, "addonDetails": {"addonVersion": "v1.17.1-eksbuild.2", "addonStatus": "ACTIVE"}, "managementType": "AUTO_MANAGED"}, "resourceType": "EKS"}, "coverageStatus": status, "updatedAt": updated}
    if issue:
        r["issue"] = issue
    return r


def addon(status="ACTIVE", issues=()):
    return {"addon": {"addonName": "aws-guardduty-agent", "clusterName": CLUSTER, "status": status, "addonVersion": "v1.17.1-eksbuild.2", "health": {"issues": list(issues)}, "addonArn": f"arn:aws:eks:{REGION}:{ACCOUNT}:addon/{CLUSTER}/aws-guardduty-agent/9ec8f1a2-0000-4000-8000-000000000001", "createdAt": T0 - 86400 * 6, "modifiedAt": T0 - 3600, "tags": {}}}


CLUSTER_DESC = {"cluster": {"name": CLUSTER, "arn": f"arn:aws:eks:{REGION}:{ACCOUNT}:cluster/{CLUSTER}", "createdAt": T0 - 86400 * 30, "version": "1.33", "endpoint": "https://0123456789ABCDEF0123456789ABCDEF.gr7.us-east-1.eks.amazonaws.com", "roleArn": f"arn:aws:iam::{ACCOUNT}:role/eks-cluster", "resourcesVpcConfig": {"subnetIds": ["subnet-0a1b2c3d4e5f60001"], "securityGroupIds": [], "clusterSecurityGroupId": "sg-0a1b2c3d4e5f60002", "vpcId": "vpc-0a1b2c3d4e5f60718", "endpointPublicAccess": True, "endpointPrivateAccess": True}, "status": "ACTIVE", "platformVersion": "eks.9", "tags": {"GuardDutyManaged": "true"}}}
DETECTOR = {"createdAt": "2024-02-01T10:00:00.000Z", "findingPublishingFrequency": "SIX_HOURS", "serviceRole": f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/guardduty.amazonaws.com/AWSServiceRoleForAmazonGuardDuty", "status": "ENABLED", "updatedAt": "2026-11-01T10:00:00.000Z", "tags": {},
            "features": [{"name": "RUNTIME_MONITORING", "status": "ENABLED", "updatedAt": T0 - 86400, "additionalConfiguration": [{"name": "EKS_ADDON_MANAGEMENT", "status": "ENABLED", "updatedAt": T0 - 86400}]}]}

UNSCHEDULABLE = "The add-on is unhealthy because one or more pods is not scheduled 0/3 nodes are available: 3 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never."


class Handler(http.server.BaseHTTPRequestHandler):
    routes = {}

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        key = (self.command, self.path.split("?")[0])
        if "Action=" in body:
            key = ("POST", body.split("Action=")[1].split("&")[0])
        payload, content_type = Handler.routes[key]
        data = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = handle_any

    def log_message(self, *args):
        pass


def aws(args, routes, timestamps="iso8601"):
    """timestamps: iso8601 (AWS CLI v2's default) or none (CLI v1's default: as the service sent them)."""
    Handler.routes = routes
    config = tempfile.NamedTemporaryFile("w", suffix=".ini", delete=False)
    config.write(f"[default]\ncli_timestamp_format = {timestamps}\n")
    config.close()
    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        env = dict(os.environ, AWS_CONFIG_FILE=config.name, AWS_ACCESS_KEY_ID="AKIAEXAMPLE", AWS_SECRET_ACCESS_KEY="secret", AWS_DEFAULT_REGION=REGION, AWS_PAGER="")
        out = subprocess.run(["aws", *args, "--endpoint-url", f"http://127.0.0.1:{server.server_port}", "--output", "json"], env=env, check=True, capture_output=True, text=True)
        return out.stdout
    finally:
        server.shutdown()
        os.unlink(config.name)


def list_coverage(resources, timestamps="iso8601"):
    return aws(["guardduty", "list-coverage", "--detector-id", "12abc34d567e8fa901bc2d34e56789f0"], {("POST", "/detector/12abc34d567e8fa901bc2d34e56789f0/coverage"): ({"resources": resources}, "application/json")}, timestamps)


def get_detector():
    return aws(["guardduty", "get-detector", "--detector-id", "12abc34d567e8fa901bc2d34e56789f0"], {("GET", "/detector/12abc34d567e8fa901bc2d34e56789f0"): (DETECTOR, "application/json")})


def describe_addon(body):
    return aws(["eks", "describe-addon", "--cluster-name", CLUSTER, "--addon-name", "aws-guardduty-agent"], {("GET", f"/clusters/{CLUSTER}/addons/aws-guardduty-agent"): (body, "application/json")})


def describe_cluster():
    return aws(["eks", "describe-cluster", "--name", CLUSTER], {("GET", f"/clusters/{CLUSTER}"): (CLUSTER_DESC, "application/json")})


def describe_vpc_attribute(attribute, value):
    tag = "enableDnsSupport" if attribute == "enableDnsSupport" else "enableDnsHostnames"
    xml = f'<?xml version="1.0" encoding="UTF-8"?><DescribeVpcAttributeResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</requestId><vpcId>vpc-0a1b2c3d4e5f60718</vpcId><{tag}><value>{str(value).lower()}</value></{tag}></DescribeVpcAttributeResponse>'
    return aws(["ec2", "describe-vpc-attribute", "--vpc-id", "vpc-0a1b2c3d4e5f60718", "--attribute", attribute], {("POST", "DescribeVpcAttribute"): (xml, "text/xml")})


def write(scenario, name, text):
    path = os.path.join(HERE, scenario, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def healthy_cluster(scenario, pods=None, ds=None, bindings=None, extra=None):
    write(scenario, "kubectl/namespace.yaml", kubectl_yaml(namespace()))
    write(scenario, "kubectl/daemonset.yaml", kubectl_yaml(ds or daemonset()))
    write(scenario, "kubectl/pods.json", json.dumps(k_list(pods or [pod("aws-guardduty-agent-4xk2p"), pod("aws-guardduty-agent-9qzrt"), pod("aws-guardduty-agent-m7w8d")]), indent=4) + "\n")
    write(scenario, "kubectl/priorityclasses.yaml", kubectl_yaml(k_list([priorityclass(), {"apiVersion": "scheduling.k8s.io/v1", "description": "Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.", "kind": "PriorityClass", "metadata": {"creationTimestamp": "2026-11-01T00:00:00Z", "generation": 1, "name": "system-cluster-critical", "resourceVersion": "80", "uid": "5f9e8a1c-0000-4000-8000-000000000080"}, "preemptionPolicy": "PreemptLowerPriority", "value": 2000000000}])))
    write(scenario, "kubectl/clusterrolebindings.yaml", kubectl_yaml(k_list(bindings if bindings is not None else [crb("eks:addon-cluster-admin", "cluster-admin", "eks:addon-manager"), crb("eks:node-bootstrapper", "eks:node-bootstrapper", "eks:node")])))
    write(scenario, "kubectl/validatingwebhookconfigurations.yaml", kubectl_yaml(k_list(extra or [])))
    write(scenario, "kubectl/version.json", json.dumps(VERSION, indent=2) + "\n")


def main():
    for entry in os.listdir(HERE):
        if os.path.isdir(os.path.join(HERE, entry)):
            shutil.rmtree(os.path.join(HERE, entry))

    # healthy: everything agrees.
    healthy_cluster("healthy")
    write("healthy", "aws/list-coverage.json", list_coverage([coverage(CLUSTER)]))
    write("healthy", "aws/get-detector.json", get_detector())
    write("healthy", "aws/describe-addon.json", describe_addon(addon()))
    write("healthy", "aws/describe-cluster.json", describe_cluster())

    # unschedulable: one agent pod pending, seen by the cluster, GuardDuty and EKS.
    healthy_cluster("unschedulable", pods=[pod("aws-guardduty-agent-4xk2p"), pod("aws-guardduty-agent-9qzrt"), pod("aws-guardduty-agent-m7w8d", pending_message="0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't match pod anti-affinity rules. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.")], ds=daemonset(available=2))
    write("unschedulable", "aws/list-coverage.json", list_coverage([coverage(CLUSTER, "UNHEALTHY", "Addon Status Unhealthy: EKS Addon issue - InsufficientNumberOfReplicas: " + UNSCHEDULABLE, covered=2)]))
    write("unschedulable", "aws/describe-addon.json", describe_addon(addon("DEGRADED", [{"code": "InsufficientNumberOfReplicas", "message": UNSCHEDULABLE, "resourceIds": []}])))
    write("unschedulable", "aws/describe-cluster.json", describe_cluster())

    # addon-manager-forbidden: the binding was deleted; a SubjectAccessReview confirms; GuardDuty's AccessDenied. One multi-document file.
    docs = [namespace(), daemonset(), priorityclass(), crb("eks:node-bootstrapper", "eks:node-bootstrapper", "eks:node"),
            {"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview", "metadata": {"creationTimestamp": None}, "spec": {"resourceAttributes": {"group": "scheduling.k8s.io", "name": "aws-guardduty-agent.priorityclass", "resource": "priorityclasses", "verb": "patch"}, "user": "eks:addon-manager"}, "status": {"allowed": False}}]
    write("addon-manager-forbidden", "cluster.yaml", "---\n".join(kubectl_yaml(d) for d in docs))
    write("addon-manager-forbidden", "pods.yaml", kubectl_yaml(k_list([pod("aws-guardduty-agent-4xk2p"), pod("aws-guardduty-agent-9qzrt"), pod("aws-guardduty-agent-m7w8d")])))
    write("addon-manager-forbidden", "list-coverage.json", list_coverage([coverage(CLUSTER, "UNHEALTHY", 'Addon Update Failed: EKS Addon issue - AccessDenied: priorityclasses.scheduling.k8s.io "aws-guardduty-agent.priorityclass" is forbidden: User "eks:addon-manager" cannot patch resource "priorityclasses" in API group "scheduling.k8s.io" at the cluster scope')]))

    # field-conflict: someone edited the image with kubectl edit; Kyverno intercepts DaemonSets.
    healthy_cluster("field-conflict", ds=daemonset(image="602401143452.dkr.ecr.us-east-1.amazonaws.com/aws-guardduty-agent:v1.17.0", image_owner="kubectl-edit"), extra=[kyverno_webhook()])
    write("field-conflict", "aws/list-coverage.json", list_coverage([coverage(CLUSTER, "UNHEALTHY", 'Addon Update Failed: EKS Addon issue - ConfigurationConflict: Conflicts found when trying to apply. Will not continue due to resolve conflicts mode. Conflicts: DaemonSet.apps aws-guardduty-agent - .spec.template.spec.containers[name="aws-guardduty-agent"].image')]))
    write("field-conflict", "aws/describe-addon.json", describe_addon(addon("UPDATE_FAILED", [{"code": "ConfigurationConflict", "message": 'Conflicts found when trying to apply. Will not continue due to resolve conflicts mode. Conflicts: DaemonSet.apps aws-guardduty-agent - .spec.template.spec.containers[name="aws-guardduty-agent"].image', "resourceIds": []}])))

    # vpc-dns: the cluster is fine; GuardDuty cannot create its endpoint; EC2 shows why.
    healthy_cluster("vpc-dns")
    write("vpc-dns", "aws/list-coverage.json", list_coverage([coverage(CLUSTER, "UNHEALTHY", "VPC Endpoint Creation Failed: Enabling private DNS requires both `enableDnsSupport` and `enableDnsHostnames` VPC attributes set to `true` for vpc-0a1b2c3d4e5f60718 (Service: Ec2, Status Code:400, Request ID: a1b2c3d4-5678-90ab-cdef-EXAMPLE11111).")]))
    write("vpc-dns", "aws/describe-cluster.json", describe_cluster())
    write("vpc-dns", "aws/vpc-dns-support.json", describe_vpc_attribute("enableDnsSupport", True))
    write("vpc-dns", "aws/vpc-dns-hostnames.json", describe_vpc_attribute("enableDnsHostnames", False))

    # multi-cluster: only GuardDuty's account-wide coverage list; the cluster must be named.
    write("multi-cluster", "list-coverage.json", list_coverage([coverage("prod-eks-1"), coverage("staging-eks", "UNHEALTHY", "EKS Runtime Monitoring enablement resource provisioning in progress")], timestamps="none"))

    # not-installed: namespace absent, cluster not in ListCoverage.
    write("not-installed", "namespaces.yaml", kubectl_yaml(k_list([{"apiVersion": "v1", "kind": "Namespace", "metadata": {"labels": {"kubernetes.io/metadata.name": n}, "name": n}, "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}} for n in ["default", "kube-system"]])))
    write("not-installed", "daemonsets.yaml", kubectl_yaml({"apiVersion": "apps/v1", "items": [], "kind": "DaemonSetList", "metadata": {"resourceVersion": "90001"}}))
    write("not-installed", "list-coverage.json", list_coverage([coverage("other-cluster")]))
    write("not-installed", "get-detector.json", get_detector())

    # malformed: a healthy bundle with a broken YAML file, a truncated JSON file and an unknown document.
    healthy_cluster("malformed")
    write("malformed", "aws/list-coverage.json", list_coverage([coverage(CLUSTER)]))
    write("malformed", "broken.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n data: [unclosed\n")
    write("malformed", "aws/truncated.json", '{"Resources": [{"ResourceId": "prod-eks-1", "CoverageStatus": "HEAL')
    write("malformed", "notes.json", '{"ticket": "OPS-1234", "collectedBy": "alice"}\n')


if __name__ == "__main__":
    main()
