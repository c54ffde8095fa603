#!/usr/bin/env python3
"""The bundled job (scripts/zenn_clone_sg.lua) written with boto3, for bench/run.py.

    python3 bench/job_boto3.py --prefix NAME [--vpc-id vpc-...]

In the VPC tagged Name=NAME-vpc, makes NAME-ecs-backend-security-group (inbound
tcp 80 from 0.0.0.0/0 and ::/0) and then NAME-rds-security-group (inbound tcp
3306 from the first group), creating a group only when it is missing. The calls
are the ones kumo's script makes on a first run: DescribeVpcs by tag, then per
group DescribeSecurityGroups (vpc-id + group-name), CreateSecurityGroup (with
TagSpecifications), AuthorizeSecurityGroupIngress.

Region, credentials and endpoint come from the environment, as for any boto3
user (AWS_REGION / AWS_DEFAULT_REGION, AWS_ACCESS_KEY_ID, AWS_ENDPOINT_URL_EC2).

Prints one JSON object on stdout: vpc_id, ecs_backend_security_group_id,
rds_security_group_id, and two in-process timings: client_ms (creating the
session and the EC2 client, after `import boto3`) and calls_ms (the API calls
alone, client already made).
"""
import argparse
import json
import sys
import time


def find_vpc(ec2, name):
    vpcs = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [name]}])["Vpcs"]
    if len(vpcs) != 1:
        raise SystemExit(f"job_boto3: {len(vpcs)} VPCs are named {name!r}, expected 1")
    return vpcs[0]["VpcId"]


def ensure_group(ec2, vpc_id, name, description, permissions):
    """Returns the group id, creating the group and adding its rules when missing.

    Kept as simple as a hand-written boto3 script would be: an existing group is
    taken as it is (kumo's sg.ensure also compares rules; on a first run, which
    is what the benchmark measures, both make the same calls).
    """
    found = ec2.describe_security_groups(Filters=[
        {"Name": "vpc-id", "Values": [vpc_id]},
        {"Name": "group-name", "Values": [name]},
    ])["SecurityGroups"]
    if found:
        return found[0]["GroupId"]
    group_id = ec2.create_security_group(
        GroupName=name, Description=description, VpcId=vpc_id,
        TagSpecifications=[{"ResourceType": "security-group",
                            "Tags": [{"Key": "Name", "Value": name}]}],
    )["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=permissions(group_id))
    return group_id


def run_job(ec2, prefix, vpc_id=None):
    vpc_id = vpc_id or find_vpc(ec2, prefix + "-vpc")
    backend = ensure_group(
        ec2, vpc_id, prefix + "-ecs-backend-security-group", "ECS backend: HTTP from anywhere",
        lambda _gid: [{
            "IpProtocol": "tcp", "FromPort": 80, "ToPort": 80,
            "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "HTTP from anywhere (IPv4)"}],
            "Ipv6Ranges": [{"CidrIpv6": "::/0", "Description": "HTTP from anywhere (IPv6)"}],
        }])
    rds = ensure_group(
        ec2, vpc_id, prefix + "-rds-security-group", "RDS: MySQL from ECS backend only",
        lambda _gid: [{
            "IpProtocol": "tcp", "FromPort": 3306, "ToPort": 3306,
            "UserIdGroupPairs": [{"GroupId": backend, "Description": "MySQL from ECS backend"}],
        }])
    return {"vpc_id": vpc_id, "ecs_backend_security_group_id": backend,
            "rds_security_group_id": rds}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prefix", default="zenn-clone")
    parser.add_argument("--vpc-id")
    args = parser.parse_args(argv)

    import boto3  # timed by the caller as part of the process, like any user script

    t0 = time.perf_counter()
    ec2 = boto3.session.Session().client("ec2")
    t1 = time.perf_counter()
    result = run_job(ec2, args.prefix, args.vpc_id)
    t2 = time.perf_counter()
    result["client_ms"] = (t1 - t0) * 1000.0
    result["calls_ms"] = (t2 - t1) * 1000.0
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
