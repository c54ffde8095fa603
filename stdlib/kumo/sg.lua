-- kumo.sg: security groups, idempotently. `sg.ensure` makes a group look as
-- declared, creating it only when missing and adding only the rules that
-- are missing, so a script that uses it can be run again and again.
--
--   local sg = require "kumo.sg"
--   local web = sg.ensure{
--     name = "web", description = "web servers", vpc_id = vpc_id,
--     ingress = { { protocol = "tcp", port = 80, cidr = "0.0.0.0/0" } },
--   }
--   web.group_id, web.created, web.ingress_added
--
-- In plan and dry-run runs the same decisions are made (only the calls are
-- intercepted, see docs/plan.md); in a destroy run (kumo.mode == "destroy")
-- sg.ensure creates nothing: it looks the group up and registers it with
-- kumo.run, which deletes it after the script returned.
local ec2 = require "kumo.ec2"
local kumo = require "kumo"
local log = require "kumo.log"
local net = require "kumo.net"
local plan = require "kumo.plan"
local run = require "kumo.run"

local M = {}

-- Waits (seconds) before each retry of a call that AWS answered with
-- InvalidGroup.NotFound right after this run created the group (EC2 is
-- eventually consistent). About ten seconds in all, then the error stands.
M.not_found_delays = { 0.25, 0.5, 1, 2, 3, 3 }

-- Rules per direction a group may hold (AWS's default quota). With purge,
-- when adding the missing rules first would go over it, the undeclared
-- rules are revoked first (and a warning says so).
M.rules_quota = 60

-- AWS gives every new VPC security group this one outbound rule.
local DEFAULT_EGRESS = { { protocol = "all", cidr = "0.0.0.0/0" } }

local FIELDS = {
  name = "string", description = "string", vpc_id = "string",
  ingress = "table", egress = "table", tags = "table", stack = "string", purge = "boolean",
}

-- Argument errors are raised without a position (level 0); M.ensure adds
-- the position of its caller.
local function fail(path, message)
  error("sg.ensure: " .. path .. ": " .. message, 0)
end

local function check_rules(rules, field)
  local seen = {}
  for key in pairs(rules) do
    if math.type(key) ~= "integer" or key < 1 or key > #rules then
      fail(field, "a list of rules expected (key " .. tostring(key) .. " is not a list index)")
    end
  end
  for i, rule in ipairs(rules) do
    local path = field .. "[" .. i .. "]"
    net.validate_rule(rule, "sg.ensure: " .. path, 0)
    local identity = net.canonical_rule(rule)
    if seen[identity] then
      fail(path, "the same rule as " .. seen[identity])
    end
    seen[identity] = path
  end
end

local function check(args)
  if type(args) ~= "table" then
    error("sg.ensure: a table of settings expected, got " .. type(args), 0)
  end
  for key, value in pairs(args) do
    local expected = FIELDS[key]
    if not expected then fail(tostring(key), "unknown field") end
    if type(value) ~= expected then
      fail(key, expected .. " expected, got " .. type(value))
    end
  end
  for _, key in ipairs({ "name", "description", "vpc_id", "ingress" }) do
    if args[key] == nil then fail(key, FIELDS[key] .. " expected, got nil") end
  end
  for key, value in pairs(args.tags or {}) do
    if type(key) ~= "string" or type(value) ~= "string" then
      fail("tags", "string keys and string values expected")
    end
  end
  check_rules(args.ingress, "ingress")
  if args.egress then check_rules(args.egress, "egress") end
end

-- The rules of `rules` that `others` lacks, compared by canonical identity
-- (canonical CIDR, protocol name or number, port forms; not descriptions).
local function rules_not_in(rules, others)
  local have = {}
  for _, rule in ipairs(others) do have[net.canonical_rule(rule)] = true end
  local result = {}
  for _, rule in ipairs(rules) do
    if not have[net.canonical_rule(rule)] then result[#result + 1] = rule end
  end
  return result
end

-- The declared rules that the group lacks (what ensure authorizes).
local function missing_rules(declared, existing)
  return rules_not_in(declared, existing)
end

-- Calls fn(); while the group is one this run just created and AWS answers
-- InvalidGroup.NotFound, waits and tries again, within M.not_found_delays.
local function retry_not_found(fn, just_created)
  local retries = 0
  while true do
    local ok, result = pcall(fn)
    if ok then return result end
    local retryable = just_created and kumo.is_error(result)
      and result.code == "InvalidGroup.NotFound" and retries < #M.not_found_delays
    if not retryable then error(result, 0) end
    retries = retries + 1
    kumo.sleep(M.not_found_delays[retries])
  end
end

local function find_group(vpc_id, name)
  return ec2.describe_security_groups{ vpc_id = vpc_id, names = { name } }[1]
end

local function describe_by_id(group_id, just_created)
  return retry_not_found(function()
    return ec2.describe_security_groups{ group_ids = { group_id } }[1]
  end, just_created)
end

-- Adds `rules` in one call. When another writer added some of them first
-- (InvalidPermission.Duplicate), looks again and adds what is still missing.
-- Returns the rules this run added.
local function authorize(direction, group, rules, just_created)
  if #rules == 0 then return {} end
  local call = direction == "ingress" and ec2.authorize_ingress or ec2.authorize_egress
  local ok, err = pcall(retry_not_found, function()
    return call{ group_id = group.group_id, rules = rules }
  end, just_created)
  if ok then return rules end
  if not (kumo.is_error(err) and err.code == "InvalidPermission.Duplicate") then
    error(err, 0)
  end
  local now = describe_by_id(group.group_id, just_created)
  local still_missing = missing_rules(rules, now and now[direction] or {})
  if #still_missing > 0 then
    call{ group_id = group.group_id, rules = still_missing }
  end
  return still_missing
end

local function with_name_tag(args)
  local tags = { Name = args.name }
  for key, value in pairs(args.tags or {}) do tags[key] = value end
  return tags
end

-- The group's rules that are not declared (what purge revokes).
local function undeclared_rules(declared, existing)
  return rules_not_in(existing, declared)
end

-- Revokes `rules` in one call; rules already gone (InvalidPermission.NotFound)
-- count as revoked. Returns the rules.
local function revoke(direction, group, rules, just_created)
  if #rules == 0 then return {} end
  local call = direction == "ingress" and ec2.revoke_ingress or ec2.revoke_egress
  local ok, err = pcall(retry_not_found, function()
    return call{ group_id = group.group_id, rules = rules }
  end, just_created)
  if not ok and not (kumo.is_error(err) and err.code == "InvalidPermission.NotFound") then
    error(err, 0)
  end
  return rules
end

-- The stack name of a group: args.stack, else --var stack=..., else "default".
local function stack_of(args)
  return args.stack or kumo.vars.stack or "default"
end

local function plural(n, word)
  return n .. " " .. word .. (n == 1 and "" or "s")
end

local function summarize(result, args)
  local parts = {}
  if #result.ingress_added > 0 then
    parts[#parts + 1] = "+" .. plural(#result.ingress_added, "inbound rule")
  end
  if #result.egress_added > 0 then
    parts[#parts + 1] = "+" .. plural(#result.egress_added, "outbound rule")
  end
  if #result.ingress_removed > 0 then
    parts[#parts + 1] = "-" .. plural(#result.ingress_removed, "inbound rule")
  end
  if #result.egress_removed > 0 then
    parts[#parts + 1] = "-" .. plural(#result.egress_removed, "outbound rule")
  end
  if next(result.tags_set) then parts[#parts + 1] = "tags updated" end
  local what = result.group_id .. ", " .. args.vpc_id
  if result.created then
    log.info("created %s (%s)%s", args.name, what,
             #parts > 0 and ": " .. table.concat(parts, ", ") or "")
  elseif result.unchanged then
    log.info("unchanged %s (%s): already as declared", args.name, what)
  else
    log.info("updated %s (%s): %s", args.name, what, table.concat(parts, ", "))
  end
end

-- Destroy mode: looks the group up and registers it for deletion.
local function register_destroy(args)
  local group = find_group(args.vpc_id, args.name)
  run.register_destroy{ kind = "security_group", name = args.name, stack = stack_of(args),
                        id = group and group.group_id, tags = group and group.tags or {} }
  return {
    group_id = group and group.group_id or plan.placeholder("sg"), name = args.name,
    vpc_id = args.vpc_id, created = false, gone = group == nil, ingress_added = {},
    egress_added = {}, ingress_removed = {}, egress_removed = {}, tags_set = {}, unchanged = true,
  }
end

--- Makes the security group `args.name` in `args.vpc_id` exist with at
--- least the declared rules. Arguments: name, description, vpc_id,
--- ingress (list of rules), egress (list of rules, optional: AWS's default
--- outbound rule is kept), tags (optional; Name is set from name),
--- stack (optional: the value of the tag kumo:stack put on a group this
--- call creates; default --var stack, else "default"; `kumo run --destroy`
--- deletes only groups that carry it), purge (optional boolean: also revoke
--- the rules that are not declared, after adding the missing ones; egress
--- is purged only when `egress` is given).
--- Rules are those of ec2.authorize_ingress. Returns { group_id, name,
--- vpc_id, created, ingress_added, egress_added, ingress_removed,
--- egress_removed, tags_set, unchanged }.
--- Raises on invalid arguments (before any request) and on AWS errors.
function M.ensure(args)
  local valid, problem = pcall(check, args)
  if not valid then error(problem, 2) end
  if kumo.mode == "destroy" then return register_destroy(args) end
  local tags = with_name_tag(args)
  local group = find_group(args.vpc_id, args.name)
  local created = false
  if not group then
    -- only what kumo creates gets kumo:stack (never added to an existing group)
    local create_tags = { [run.STACK_TAG] = stack_of(args) }
    for key, value in pairs(tags) do create_tags[key] = value end
    local ok, made = pcall(ec2.create_security_group, {
      name = args.name, description = args.description, vpc_id = args.vpc_id, tags = create_tags,
    })
    if ok then
      created = true
      -- a new group's rules are known: no inbound, AWS's default outbound
      group = { group_id = made.group_id, ingress = {}, egress = DEFAULT_EGRESS, tags = tags,
                description = args.description }
    elseif kumo.is_error(made) and made.code == "InvalidGroup.Duplicate" then
      group = find_group(args.vpc_id, args.name) -- made by another writer meanwhile
      if not group then error(made, 0) end
    else
      error(made, 0)
    end
  end

  run.name(group.group_id, args.name)

  local result = {
    group_id = group.group_id, name = args.name, vpc_id = args.vpc_id, created = created,
    ingress_removed = {}, egress_removed = {}, tags_set = {},
  }
  local plans = {
    { direction = "ingress", declared = args.ingress, existing = group.ingress },
    args.egress and { direction = "egress", declared = args.egress, existing = group.egress },
  }
  -- add the missing rules before revoking the undeclared ones, so there is
  -- no moment without access, unless adding first would exceed the quota
  for _, p in ipairs(plans) do
    p.missing = missing_rules(p.declared, p.existing)
    p.extra = args.purge and undeclared_rules(p.declared, p.existing) or {}
    if #p.extra > 0 and #p.existing + #p.missing > M.rules_quota then
      log.warn("%s (%s): adding %d %s rule(s) before revoking %d would exceed the quota of %d "
               .. "rules; revoking the undeclared rules first", args.name, group.group_id,
               #p.missing, p.direction == "ingress" and "inbound" or "outbound", #p.extra,
               M.rules_quota)
      result[p.direction .. "_removed"] = revoke(p.direction, group, p.extra, created)
      p.extra = {}
    end
  end
  result.ingress_added = authorize("ingress", group, plans[1].missing, created)
  result.egress_added = plans[2] and authorize("egress", group, plans[2].missing, created) or {}
  for _, p in ipairs(plans) do
    if #p.extra > 0 then
      result[p.direction .. "_removed"] = revoke(p.direction, group, p.extra, created)
    end
  end
  if not created then
    for key, value in pairs(tags) do
      if group.tags[key] ~= value then result.tags_set[key] = value end
    end
    if next(result.tags_set) then
      ec2.create_tags{ resources = { group.group_id }, tags = result.tags_set }
    end
    if group.description ~= args.description then
      log.warn("%s (%s): its description is '%s', not '%s'; AWS cannot change a group's "
               .. "description (delete and recreate the group to change it)",
               args.name, group.group_id, group.description, args.description)
    end
  end
  result.unchanged = not created and #result.ingress_added == 0
    and #result.egress_added == 0 and #result.ingress_removed == 0
    and #result.egress_removed == 0 and next(result.tags_set) == nil
  if kumo.mode == "apply" then summarize(result, args) end
  return result
end

return M
