-- kumo.vpc: finding a VPC by its Name tag.
--
--   local vpc = require "kumo.vpc"
--   local v = vpc.find{ name = "zenn-clone-vpc" }   --> { vpc_id = "vpc-...", cidr = ..., ... }
--   local v = vpc.ensure{ name = "zenn-clone-vpc", cidr = "10.0.0.0/16" }  --> { vpc_id, created }
--
-- In a destroy run (kumo.mode == "destroy") vpc.ensure creates nothing: it
-- registers the VPC with kumo.run for deletion; vpc.find then answers a
-- placeholder id when the VPC is already gone, so destroying twice works.
local ec2 = require "kumo.ec2"
local kumo = require "kumo"
local log = require "kumo.log"
local net = require "kumo.net"
local plan = require "kumo.plan"
local run = require "kumo.run"

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
    run.name(found[1].vpc_id, args.name)
    return found[1]
  end
  if #found == 0 and kumo.mode == "destroy" then
    return { vpc_id = plan.placeholder("vpc"), tags = {}, gone = true }
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

local ENSURE_FIELDS = { name = "string", cidr = "string", tags = "table", stack = "string" }

local function check_ensure(args)
  if type(args) ~= "table" then
    error("vpc.ensure: a table { name = ..., cidr = ... } expected, got " .. type(args), 0)
  end
  for key, value in pairs(args) do
    local expected = ENSURE_FIELDS[key]
    if not expected then error("vpc.ensure: " .. tostring(key) .. ": unknown field", 0) end
    if type(value) ~= expected then
      error("vpc.ensure: " .. key .. ": " .. expected .. " expected, got " .. type(value), 0)
    end
  end
  for _, key in ipairs({ "name", "cidr" }) do
    if args[key] == nil or args[key] == "" then
      error("vpc.ensure: " .. key .. ": string expected, got nil", 0)
    end
  end
  local cidr, family = net.canonical_cidr(args.cidr)
  local bits = cidr and tonumber(cidr:match("/(%d+)$"))
  if family ~= "ipv4" or bits < 16 or bits > 28 then
    error("vpc.ensure: cidr: an IPv4 block from /16 to /28 expected (like 10.0.0.0/16), got '"
          .. args.cidr .. "'", 0)
  end
  for key, value in pairs(args.tags or {}) do
    if type(key) ~= "string" or type(value) ~= "string" then
      error("vpc.ensure: tags: string keys and string values expected", 0)
    end
  end
  return cidr
end

--- Makes the VPC named `args.name` exist: finds it by its Name tag, creates
--- it (with `args.cidr`, an IPv4 block /16 to /28, and its Name tag plus
--- `args.tags`) when there is none. Returns { vpc_id, cidr, created }.
--- Raises when several VPCs carry the name, and on invalid arguments (before
--- any request). An existing VPC with another CIDR is kept, with a warning:
--- a VPC's primary CIDR cannot be changed. `args.stack` (default --var
--- stack, else "default") is the value of the tag kumo:stack put on a VPC
--- this call creates; `kumo run --destroy` deletes only VPCs that carry it.
function M.ensure(args)
  local ok, cidr = pcall(check_ensure, args)
  if not ok then error(cidr, 2) end
  local stack = args.stack or kumo.vars.stack or "default"
  local found = ec2.describe_vpcs{ name = args.name }
  if #found > 1 then
    local ids = {}
    for i, v in ipairs(found) do ids[i] = v.vpc_id end
    table.sort(ids)
    error(string.format("%d VPCs are named '%s' in region %s (%s): rename all but one",
                        #found, args.name, kumo.region(), table.concat(ids, ", ")), 2)
  end
  if kumo.mode == "destroy" then
    local v = found[1]
    run.register_destroy{ kind = "vpc", name = args.name, stack = stack, id = v and v.vpc_id,
                          tags = v and v.tags or {} }
    return { vpc_id = v and v.vpc_id or plan.placeholder("vpc"), cidr = v and v.cidr or cidr,
             created = false, gone = v == nil }
  end
  if #found == 1 then
    local v = found[1]
    run.name(v.vpc_id, args.name)
    if v.cidr ~= cidr then
      log.warn("VPC %s (%s) has the CIDR %s, not %s; a VPC's primary CIDR cannot be changed",
               args.name, v.vpc_id, v.cidr, cidr)
    end
    if kumo.mode == "apply" then
      log.info("unchanged VPC %s (%s, %s): already there", args.name, v.vpc_id, v.cidr)
    end
    return { vpc_id = v.vpc_id, cidr = v.cidr, created = false }
  end
  local tags = { { Key = "Name", Value = args.name } }
  local keys = {}
  for key in pairs(args.tags or {}) do
    if key ~= "Name" and key ~= run.STACK_TAG then keys[#keys + 1] = key end
  end
  keys[#keys + 1] = run.STACK_TAG
  table.sort(keys)
  local values = { [run.STACK_TAG] = stack }
  for key, value in pairs(args.tags or {}) do
    if key ~= run.STACK_TAG then values[key] = value end
  end
  for _, key in ipairs(keys) do tags[#tags + 1] = { Key = key, Value = values[key] } end
  local made = ec2.call("CreateVpc", {
    CidrBlock = cidr,
    TagSpecification = { { ResourceType = "vpc", Tag = tags } },
  })
  local vpc_id = made.vpc.vpcId
  run.name(vpc_id, args.name)
  if kumo.mode == "apply" then log.info("created VPC %s (%s, %s)", args.name, vpc_id, cidr) end
  return { vpc_id = vpc_id, cidr = cidr, created = true }
end

return M
