-- vpcs.lua: lists the VPCs of the region as { [vpc id] = { cidr, name, default } }.
-- Run: kumo run examples/vpcs.lua --region us-east-1 --output -
local paginate = require "kumo.paginate"

local function name_of(resource)
  for _, tag in ipairs(resource.tagSet or {}) do
    if tag.key == "Name" then return tag.value end
  end
  return nil
end

local out, count = {}, 0
for _, vpc in paginate.each("DescribeVpcs", {}, "vpcSet") do
  out[vpc.vpcId] = { cidr = vpc.cidrBlock, name = name_of(vpc), default = vpc.isDefault == "true" }
  count = count + 1
end
log.info("%d VPC(s) found", count)
return out
