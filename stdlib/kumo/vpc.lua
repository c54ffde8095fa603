-- kumo.vpc: finding a VPC by its Name tag.
--
--   local vpc = require "kumo.vpc"
--   local v = vpc.find{ name = "zenn-clone-vpc" }   --> { vpc_id = "vpc-...", cidr = ..., ... }
local ec2 = require "kumo.ec2"
local kumo = require "kumo"

local M = {}

local FIELDS = { name = "string" }

local function check(args)
  if type(args) ~= "table" then
    error("vpc.find: a table { name = ... } expected, got " .. type(args), 3)
  end
  for key, value in pairs(args) do
    local expected = FIELDS[key]
    if not expected then
      error("vpc.find: " .. tostring(key) .. ": unknown field", 3)
    end
    if type(value) ~= expected then
      error("vpc.find: " .. key .. ": " .. expected .. " expected, got " .. type(value), 3)
    end
  end
  if args.name == nil or args.name == "" then
    error("vpc.find: name: string expected, got nil", 3)
  end
end

--- Finds the one VPC whose Name tag is `args.name` in the run's region.
--- Returns the VPC as ec2.describe_vpcs gives it ({ vpc_id, cidr, state,
--- is_default, owner_id, tags }). Raises an error when there is none (naming
--- the region) or more than one (listing their IDs).
function M.find(args)
  check(args)
  local found = ec2.describe_vpcs{ name = args.name }
  if #found == 1 then
    return found[1]
  end
  if #found == 0 then
    error(string.format("no VPC named '%s' in region %s: create it first, or pass "
                        .. "--var vpc_id=vpc-... to use another VPC", args.name, kumo.region()), 2)
  end
  local ids = {}
  for i, v in ipairs(found) do ids[i] = v.vpc_id end
  table.sort(ids)
  error(string.format("%d VPCs are named '%s' in region %s (%s): rename all but one, or pass "
                      .. "--var vpc_id=... to choose", #found, args.name, kumo.region(),
                      table.concat(ids, ", ")), 2)
end

return M
