-- two_calls.lua - exactly two HTTP exchanges: DescribeVpcs, then DescribeSecurityGroups.
local vpcs = ec2.call("DescribeVpcs", {})
local groups = ec2.call("DescribeSecurityGroups", {})
return { vpcs = vpcs.vpcSet, groups = groups.securityGroupInfo }
