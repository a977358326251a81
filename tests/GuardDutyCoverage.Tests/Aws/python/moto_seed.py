"""Seeds a running moto server through boto3 (its own API) and prints what was created as JSON.

usage: moto_seed.py ENDPOINT_URL REGION
"""
import json
import sys

import boto3


def main():
    endpoint, region = sys.argv[1], sys.argv[2]
    kwargs = dict(endpoint_url=endpoint, region_name=region, aws_access_key_id="testing", aws_secret_access_key="testing")
    guardduty = boto3.client("guardduty", **kwargs)
    ec2 = boto3.client("ec2", **kwargs)
    eks = boto3.client("eks", **kwargs)

    detector = guardduty.create_detector(
        Enable=True,
        Features=[{
            "Name": "RUNTIME_MONITORING",
            "Status": "ENABLED",
            "AdditionalConfiguration": [{"Name": "EKS_ADDON_MANAGEMENT", "Status": "ENABLED"}],
        }],
    )["DetectorId"]

    vpc = ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsSupport={"Value": True})
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": False})
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.40.1.0/24")["Subnet"]["SubnetId"]
    endpoint_id = ec2.create_vpc_endpoint(
        VpcId=vpc, ServiceName=f"com.amazonaws.{region}.guardduty-data", VpcEndpointType="Interface",
        SubnetIds=[subnet], PrivateDnsEnabled=True,
        TagSpecifications=[{"ResourceType": "vpc-endpoint", "Tags": [{"Key": "GuardDutyManaged", "Value": "true"}]}],
    )["VpcEndpoint"]["VpcEndpointId"]
    other_vpc = ec2.create_vpc(CidrBlock="10.41.0.0/16")["Vpc"]["VpcId"]
    ec2.create_vpc_endpoint(VpcId=other_vpc, ServiceName=f"com.amazonaws.{region}.guardduty-data", VpcEndpointType="Interface")
    ec2.create_vpc_endpoint(VpcId=vpc, ServiceName=f"com.amazonaws.{region}.s3", VpcEndpointType="Gateway")

    cluster = eks.create_cluster(
        name="prod-1", version="1.31", roleArn="arn:aws:iam::123456789012:role/eks",
        resourcesVpcConfig={"subnetIds": [subnet]},
    )["cluster"]

    json.dump({"detectorId": detector, "vpcId": vpc, "vpcEndpointId": endpoint_id, "clusterName": cluster["name"],
               "clusterVpcId": cluster.get("resourcesVpcConfig", {}).get("vpcId")}, sys.stdout)


if __name__ == "__main__":
    main()
