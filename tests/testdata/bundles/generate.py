#!/usr/bin/env python3
"""Writes the support-bundle fixtures under tests/testdata/bundles/<scenario>/.

Kubernetes files are formatted the way `kubectl get -o yaml|json` prints them (keys sorted, `kind: List` wrappers,
4-space JSON). AWS files are printed by the real AWS CLI: each scenario's wire responses (camelCase, epoch seconds)
are served from a loopback HTTP server and `aws ... --endpoint-url` prints them (PascalCase for GuardDuty/EC2, ISO
timestamps). Run it from anywhere: python3 tests/testdata/bundles/generate.py. CI only reads the output.
"""
import datetime, http.server, json, os, re, shutil, subprocess, tempfile, threading
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


def daemonset(available=3, desired=3, image=IMAGE, image_owner="eks", current=None):
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
        "status": {"currentNumberScheduled": desired if current is None else current, "desiredNumberScheduled": desired, "numberAvailable": available, "numberMisscheduled": 0, "numberReady": available, "observedGeneration": 2, "updatedNumberScheduled": desired}}


def pod(name, ready=True, pending_message=None, waiting=None, restarts=0, node="ip-10-0-1-23.ec2.internal", last_state=None, spec_image=IMAGE, started="2026-11-26T10:00:00Z"):
    at = lambda seconds: (datetime.datetime.strptime(started, "%Y-%m-%dT%H:%M:%SZ") + datetime.timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")
    conditions = [{"lastProbeTime": None, "lastTransitionTime": at(0), "status": "True", "type": "PodScheduled"}]
    status = {"phase": "Running", "qosClass": "Burstable", "startTime": at(0)}
    if pending_message:
        conditions = [{"lastProbeTime": None, "lastTransitionTime": at(0), "message": pending_message, "reason": "Unschedulable", "status": "False", "type": "PodScheduled"}]
        status = {"phase": "Pending", "qosClass": "Burstable"}
    else:
        conditions.append({"lastProbeTime": None, "lastTransitionTime": at(60), "status": "True" if ready else "False", "type": "Ready"})
        state = {"running": {"startedAt": at(40)}} if ready else {"waiting": waiting}
        status["containerStatuses"] = [{"containerID": "containerd://" + "ab" * 32 if ready else "", "image": spec_image, "imageID": "", "lastState": last_state or {}, "name": "aws-guardduty-agent", "ready": ready, "restartCount": restarts, "started": ready, "state": state}]
    status["conditions"] = conditions
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"creationTimestamp": at(0), "generateName": "aws-guardduty-agent-", "labels": {"controller-revision-hash": "7d9c6b5f4", "name": "aws-guardduty-agent", "pod-template-generation": "2"}, "name": name, "namespace": "amazon-guardduty",
            "ownerReferences": [{"apiVersion": "apps/v1", "blockOwnerDeletion": True, "controller": True, "kind": "DaemonSet", "name": "aws-guardduty-agent", "uid": "84a3839b-d49a-4136-a5bb-634eae9af530"}], "resourceVersion": "88001", "uid": "0f6f1b7e-0000-4000-8000-" + name[-12:].rjust(12, "0").replace("-", "0")},
            "spec": {"containers": [{"image": spec_image, "name": "aws-guardduty-agent"}], "nodeName": None if pending_message else node, "priority": 1000000, "priorityClassName": "aws-guardduty-agent.priorityclass", "preemptionPolicy": "Never"}, "status": status}


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


def get_detector(detector=None):
    return aws(["guardduty", "get-detector", "--detector-id", "12abc34d567e8fa901bc2d34e56789f0"], {("GET", "/detector/12abc34d567e8fa901bc2d34e56789f0"): (detector or DETECTOR, "application/json")})


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


# --- catalog v2 (issue 9): one bundle per code, each with the files the collection commands of docs/cli.md write ---

NODES = ["ip-10-0-1-23.ec2.internal", "ip-10-0-2-45.ec2.internal", "ip-10-0-3-67.ec2.internal"]
INSTANCES = ["i-0a1b2c3d4e5f60123", "i-0a1b2c3d4e5f60245", "i-0a1b2c3d4e5f60367"]


def node(name, instance=None, created="2026-11-20T09:10:00Z", taints=None, labels=None, kernel="6.1.115-126.197.amzn2023.x86_64", os_image="Amazon Linux 2023.6.20241111", zone="us-east-1a", ready=True):
    base = {"beta.kubernetes.io/arch": "amd64", "beta.kubernetes.io/os": "linux", "eks.amazonaws.com/nodegroup": "general", "kubernetes.io/arch": "amd64", "kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "node.kubernetes.io/instance-type": "m6i.large", "topology.kubernetes.io/zone": zone}
    spec = {"providerID": f"aws:///{zone}/{instance}"} if instance else {}
    if taints:
        spec["taints"] = taints
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"annotations": {"alpha.kubernetes.io/provided-node-ip": "10.0.1.23", "node.alpha.kubernetes.io/ttl": "0"}, "creationTimestamp": created, "labels": {**base, **(labels or {})}, "name": name, "resourceVersion": "87990", "uid": "5b1f3c2a-0000-4000-8000-" + name.split(".")[0][-12:].rjust(12, "0").replace("-", "0")},
            "spec": spec,
            "status": {"addresses": [{"address": "10.0.1.23", "type": "InternalIP"}, {"address": name, "type": "Hostname"}], "allocatable": {"cpu": "1930m", "memory": "7220184Ki", "pods": "29"}, "capacity": {"cpu": "2", "memory": "7910360Ki", "pods": "29"},
                       "conditions": [{"lastHeartbeatTime": "2026-11-26T16:58:00Z", "lastTransitionTime": created, "message": "kubelet is posting ready status", "reason": "KubeletReady", "status": "True" if ready else "False", "type": "Ready"}],
                       "nodeInfo": {"architecture": "amd64", "bootID": "1f2e3d4c-0000-4000-8000-000000000001", "containerRuntimeVersion": "containerd://1.7.23", "kernelVersion": kernel, "kubeProxyVersion": "v1.33.5-eks-3025e55", "kubeletVersion": "v1.33.5-eks-3025e55", "machineID": "ec2a1b2c3d4e5f60000000000000000a", "operatingSystem": "linux", "osImage": os_image, "systemUUID": "ec2a1b2c-3d4e-5f60-0000-00000000000a"}}}


def fargate_node(name):
    n = node(name, labels={"eks.amazonaws.com/compute-type": "fargate", "eks.amazonaws.com/fargate-profile": "fp-default"}, kernel="5.10.228-219.884.amzn2.x86_64", os_image="Amazon Linux 2")
    n["metadata"]["labels"].pop("eks.amazonaws.com/nodegroup")
    n["spec"] = {"providerID": "aws:///us-east-1b/0123456789-abcdef0123456789abcdef01/" + name, "taints": [{"effect": "NoSchedule", "key": "eks.amazonaws.com/compute-type", "value": "fargate"}]}
    return n


def event(name, reason, message, count=1, last="2026-11-26T16:50:00Z", kind="DaemonSet", obj="aws-guardduty-agent", type_="Warning"):
    return {"apiVersion": "v1", "count": count, "eventTime": None, "firstTimestamp": "2026-11-26T16:30:00Z", "involvedObject": {"apiVersion": "apps/v1", "kind": kind, "name": obj, "namespace": "amazon-guardduty", "resourceVersion": "88120", "uid": "84a3839b-d49a-4136-a5bb-634eae9af530"},
            "kind": "Event", "lastTimestamp": last, "message": message, "metadata": {"creationTimestamp": "2026-11-26T16:30:00Z", "name": name, "namespace": "amazon-guardduty", "resourceVersion": "88200", "uid": "7e0c1a2b-0000-4000-8000-" + name[-12:].rjust(12, "0").replace(".", "0")},
            "reason": reason, "reportingComponent": "daemonset-controller", "reportingInstance": "", "source": {"component": "daemonset-controller"}, "type": type_}


def three_pods(**overrides):
    return [pod(name, node=n, **overrides.get(name, {})) for name, n in zip(["aws-guardduty-agent-4xk2p", "aws-guardduty-agent-9qzrt", "aws-guardduty-agent-m7w8d"], NODES)]


def write_json(scenario, name, obj):
    write(scenario, name, json.dumps(obj, indent=4) + "\n")


def describe_vpcs(vpc_id, owner):
    xml = f'<?xml version="1.0" encoding="UTF-8"?><DescribeVpcsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>0f9a3c6e-1d2b-4c5a-9e8f-7a6b5c4d3e2f</requestId><vpcSet><item><vpcId>{vpc_id}</vpcId><ownerId>{owner}</ownerId><state>available</state><cidrBlock>10.0.0.0/16</cidrBlock><cidrBlockAssociationSet><item><cidrBlock>10.0.0.0/16</cidrBlock><associationId>vpc-cidr-assoc-0a1b2c3d4e5f60001</associationId><cidrBlockState><state>associated</state></cidrBlockState></item></cidrBlockAssociationSet><dhcpOptionsId>dopt-0a1b2c3d4e5f60001</dhcpOptionsId><instanceTenancy>default</instanceTenancy><isDefault>false</isDefault></item></vpcSet></DescribeVpcsResponse>'
    return aws(["ec2", "describe-vpcs", "--vpc-ids", vpc_id], {("POST", "DescribeVpcs"): (xml, "text/xml")})


def ec2_coverage(instance, version="1.6.0"):
    return {"resourceId": instance, "detectorId": "12abc34d567e8fa901bc2d34e56789f0", "accountId": ACCOUNT, "resourceDetails": {"resourceType": "EC2", "ec2InstanceDetails": {"instanceId": instance, "instanceType": "m6i.large", "clusterArn": f"arn:aws:eks:{REGION}:{ACCOUNT}:cluster/{CLUSTER}", "agentDetails": {"version": version}, "managementType": "MANUAL"}}, "coverageStatus": "HEALTHY", "updatedAt": T0 - 900}


def catalog_v2():
    nodes = [node(n, i) for n, i in zip(NODES, INSTANCES)]

    # nodes-without-agent: a GPU node group whose taint the DaemonSet does not tolerate; three agents on the other three nodes.
    healthy_cluster("nodes-without-agent", pods=three_pods())
    write_json("nodes-without-agent", "kubectl/nodes.json", k_list(nodes + [node("ip-10-0-4-89.ec2.internal", "i-0a1b2c3d4e5f60489", labels={"eks.amazonaws.com/nodegroup": "gpu"}, taints=[{"effect": "NoSchedule", "key": "nvidia.com/gpu", "value": "present"}])]))

    # nodes-not-coverable: a Fargate pod's node next to three covered nodes: counted apart (Info), coverage stays Healthy.
    healthy_cluster("nodes-not-coverable", pods=three_pods())
    write_json("nodes-not-coverable", "kubectl/nodes.json", k_list(nodes + [fargate_node("fargate-ip-10-0-5-9.ec2.internal")]))

    # agent-kernel-unsupported: an Amazon Linux 2 node on kernel 4.14 without BTF; its agent crash-loops.
    kernel_message = 'level=fatal msg="failed to start agent" error="failed to find valid kernel BTF: kernel version 4.14.355-275.570.amzn2.x86_64 has no /sys/kernel/btf/vmlinux"'
    healthy_cluster("agent-kernel-unsupported", ds=daemonset(available=2), pods=three_pods(**{"aws-guardduty-agent-m7w8d": {"ready": False, "restarts": 14, "waiting": {"message": "back-off 5m0s restarting failed container=aws-guardduty-agent pod=aws-guardduty-agent-m7w8d_amazon-guardduty(0f6f1b7e-0000-4000-8000-0000000m7w8d)", "reason": "CrashLoopBackOff"},
                                                                                                                             "last_state": {"terminated": {"containerID": "containerd://" + "cd" * 32, "exitCode": 1, "finishedAt": "2026-11-26T16:55:10Z", "message": kernel_message, "reason": "Error", "startedAt": "2026-11-26T16:55:09Z"}}}}))
    write_json("agent-kernel-unsupported", "kubectl/nodes.json", k_list(nodes[:2] + [node(NODES[2], INSTANCES[2], kernel="4.14.355-275.570.amzn2.x86_64", os_image="Amazon Linux 2")]))

    # agent-oom-killed: the agent was OOMKilled 20 minutes ago and runs again (not in CrashLoopBackOff now).
    healthy_cluster("agent-oom-killed", pods=three_pods(**{"aws-guardduty-agent-9qzrt": {"restarts": 3, "last_state": {"terminated": {"containerID": "containerd://" + "ef" * 32, "exitCode": 137, "finishedAt": "2026-11-26T16:40:00Z", "reason": "OOMKilled", "startedAt": "2026-11-26T15:10:00Z"}}}}))

    # pod-security-blocks-agent: enforce=restricted on the namespace; the DaemonSet controller cannot create the third pod.
    healthy_cluster("pod-security-blocks-agent", ds=daemonset(available=2, current=2), pods=three_pods()[:2])
    write("pod-security-blocks-agent", "kubectl/namespace.yaml", kubectl_yaml(namespace({"pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/enforce-version": "latest"})))
    write_json("pod-security-blocks-agent", "kubectl/events.json", k_list([event("aws-guardduty-agent.187b2c3d4e5f6071", "FailedCreate", 'Error creating: pods "aws-guardduty-agent-x2v9k" is forbidden: violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false (container "aws-guardduty-agent" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container "aws-guardduty-agent" must set securityContext.capabilities.drop=["ALL"]), runAsNonRoot != true (pod or container "aws-guardduty-agent" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container "aws-guardduty-agent" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")', count=18)]))

    # agent-pod-spec-mutated: a mutating webhook rewrote the image of the running pods to a pull-through mirror.
    mirror = "registry.corp.example.com/ecr-mirror/aws-guardduty-agent:v1.17.1"
    healthy_cluster("agent-pod-spec-mutated", pods=three_pods(**{name: {"spec_image": mirror} for name in ["aws-guardduty-agent-4xk2p", "aws-guardduty-agent-9qzrt", "aws-guardduty-agent-m7w8d"]}))

    # resource-quota-blocks-agent: a pods quota of 2 in the agent namespace, full; FailedCreate "exceeded quota".
    healthy_cluster("resource-quota-blocks-agent", ds=daemonset(available=2, current=2), pods=three_pods()[:2])
    quota = {"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"creationTimestamp": "2026-11-25T08:00:00Z", "name": "compute", "namespace": "amazon-guardduty", "resourceVersion": "86000", "uid": "3c4d5e6f-0000-4000-8000-00000000c0a1"}, "spec": {"hard": {"pods": "2"}}, "status": {"hard": {"pods": "2"}, "used": {"pods": "2"}}}
    write_json("resource-quota-blocks-agent", "kubectl/quota-limits-netpol.json", k_list([quota]))
    write_json("resource-quota-blocks-agent", "kubectl/events.json", k_list([event("aws-guardduty-agent.187b2c3d4e5f6072", "FailedCreate", 'Error creating: pods "aws-guardduty-agent-x2v9k" is forbidden: exceeded quota: compute, requested: pods=1, used: pods=2, limited: pods=2', count=25)]))

    # gitops-owns-agent-objects: Argo CD tracks the agent namespace and may prune it.
    healthy_cluster("gitops-owns-agent-objects")
    ns = namespace({"argocd.argoproj.io/instance": "platform-security"})
    ns["metadata"]["annotations"] = {"argocd.argoproj.io/tracking-id": "platform-security:/Namespace:/amazon-guardduty"}
    write("gitops-owns-agent-objects", "kubectl/namespace.yaml", kubectl_yaml(ns))

    # network-policy-blocks-agent: a default-deny egress policy that only lets DNS out.
    healthy_cluster("network-policy-blocks-agent")
    policy = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"creationTimestamp": "2026-11-25T08:00:00Z", "generation": 1, "name": "default-deny-egress", "namespace": "amazon-guardduty", "resourceVersion": "86010", "uid": "3c4d5e6f-0000-4000-8000-00000000c0a2"},
              "spec": {"egress": [{"ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]}], "podSelector": {}, "policyTypes": ["Egress"]}}
    write_json("network-policy-blocks-agent", "kubectl/quota-limits-netpol.json", k_list([policy]))

    # addon-stuck-in-progress: the add-on has been UPDATING for two hours.
    healthy_cluster("addon-stuck-in-progress")
    write("addon-stuck-in-progress", "aws/list-coverage.json", list_coverage([coverage(CLUSTER)]))
    write("addon-stuck-in-progress", "aws/describe-addon.json", describe_addon(addon("UPDATING")))

    # guardduty-feature-misconfigured: the legacy EKS_RUNTIME_MONITORING and RUNTIME_MONITORING are both on, with different automated agent settings.
    healthy_cluster("guardduty-feature-misconfigured")
    both = json.loads(json.dumps(DETECTOR))
    both["features"].append({"name": "EKS_RUNTIME_MONITORING", "status": "ENABLED", "updatedAt": T0 - 86400 * 200, "additionalConfiguration": [{"name": "EKS_ADDON_MANAGEMENT", "status": "DISABLED", "updatedAt": T0 - 86400 * 200}]})
    write("guardduty-feature-misconfigured", "aws/list-coverage.json", list_coverage([coverage(CLUSTER)]))
    write("guardduty-feature-misconfigured", "aws/get-detector.json", get_detector(both))

    # coverage-healthy-but-nodes-uncovered: GuardDuty says HEALTHY with 2 of 3 compatible nodes covered.
    healthy_cluster("coverage-healthy-but-nodes-uncovered", pods=three_pods())
    write_json("coverage-healthy-but-nodes-uncovered", "kubectl/nodes.json", k_list(nodes))
    write("coverage-healthy-but-nodes-uncovered", "aws/list-coverage.json", list_coverage([coverage(CLUSTER, covered=2)]))

    # guardduty-coverage-stale: the record is from 11:00; a fourth node joined at 12:00 and its agent became ready.
    stale_pods = three_pods() + [pod("aws-guardduty-agent-t5n6b", node="ip-10-0-4-12.ec2.internal", started="2026-11-26T12:01:00Z")]
    healthy_cluster("guardduty-coverage-stale", ds=daemonset(available=4, desired=4), pods=stale_pods)
    write_json("guardduty-coverage-stale", "kubectl/nodes.json", k_list(nodes + [node("ip-10-0-4-12.ec2.internal", "i-0a1b2c3d4e5f60412", created="2026-11-26T12:00:00Z")]))
    write("guardduty-coverage-stale", "aws/list-coverage.json", list_coverage([coverage(CLUSTER, updated=T0 - 5 * 3600)]))

    # duplicate-agent-on-node: two of the nodes also run the EC2 agent (installed by SSM before EKS Runtime Monitoring).
    healthy_cluster("duplicate-agent-on-node", pods=three_pods())
    write_json("duplicate-agent-on-node", "kubectl/nodes.json", k_list(nodes))
    write("duplicate-agent-on-node", "aws/list-coverage.json", list_coverage([coverage(CLUSTER)]))
    write("duplicate-agent-on-node", "aws/list-coverage-ec2.json", list_coverage([ec2_coverage(INSTANCES[0]), ec2_coverage(INSTANCES[1]), ec2_coverage("i-0ffffffffffff0001")]))

    # vpc-owned-by-another-account: the cluster's VPC is shared from the network account 444455556666.
    healthy_cluster("vpc-owned-by-another-account")
    write("vpc-owned-by-another-account", "aws/list-coverage.json", list_coverage([coverage(CLUSTER)]))
    write("vpc-owned-by-another-account", "aws/describe-cluster.json", describe_cluster())
    write("vpc-owned-by-another-account", "aws/describe-vpcs.json", describe_vpcs("vpc-0a1b2c3d4e5f60718", "444455556666"))


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

    catalog_v2()


if __name__ == "__main__":
    main()
