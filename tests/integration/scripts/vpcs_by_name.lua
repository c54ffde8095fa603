-- vpcs_by_name.lua - DescribeVpcs filtered by the Name tag given as --var name=NAME.
local r = ec2.call("DescribeVpcs", { Filter = { { Name = "tag:Name", Value = { kumo.vars.name } } } })
return { vpcs = r.vpcSet }
