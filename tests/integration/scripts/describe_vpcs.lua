-- describe_vpcs.lua - DescribeVpcs through the generic ec2.call; returns the vpcSet.
local r = ec2.call("DescribeVpcs", {})
return { vpcs = r.vpcSet }
