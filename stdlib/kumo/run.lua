-- kumo.run: the end of a plan, dry-run or destroy run (docs/plan.md). The
-- runtime calls run.finish(result) after the script returned; its result
-- becomes the run's result (what --output writes).
--
--   plan:    formats the calls kumo.plan recorded as a plan people read at a
--            glance (+ create, ~ change, - remove) and returns it as a table;
--   dry_run: reports the allowed and denied actions; raises when any was denied;
--   destroy: deletes what sg.ensure / vpc.ensure registered, in reverse order.
local ec2 = require "kumo.ec2"
local json = require "kumo.json"
local kumo = require "kumo"
local log = require "kumo.log"
local plan = require "kumo.plan"

local M = {}

-- How a placeholder id (a resource the run would create) is shown.
M.KNOWN_AFTER_APPLY = "(known after apply)"

-- The tag kumo puts on what it creates; destroy deletes only what carries it.
M.STACK_TAG = "kumo:stack"

local names = {}     -- resource id -> name, told by sg.ensure / vpc.ensure
local to_destroy = {} -- registered by sg.ensure / vpc.ensure in destroy mode

--- Remembers that `id` is called `name` (for plan lines about existing
--- resources). Returns nothing.
function M.name(id, name)
  if id and name then names[id] = name end
end

--- Registers a resource for deletion (destroy mode): item = { kind =
--- "security_group" | "vpc", name, id (nil when it is already gone), stack,
--- tags }. run.finish deletes them in reverse order of registration.
function M.register_destroy(item)
  to_destroy[#to_destroy + 1] = item
end

local function show_id(id)
  if plan.is_placeholder(id) then return M.KNOWN_AFTER_APPLY end
  return id
end

-- A copy of `value` with every placeholder id replaced by "(known after apply)".
local function without_placeholders(value, depth)
  depth = depth or 0
  if type(value) == "string" then return show_id(value) end
  if type(value) ~= "table" or depth > 32 then return value end
  local copy = {}
  for k, v in pairs(value) do copy[k] = without_placeholders(v, depth + 1) end
  return setmetatable(copy, getmetatable(value))
end

local function list(value)
  if type(value) ~= "table" then return {} end
  return value
end

local ARRAY = getmetatable(json.decode("[]")) -- kumo.array: JSON writes [] when empty

local function array(t)
  return setmetatable(t, ARRAY)
end

-- ---- the plan ----------------------------------------------------------------

local function ports_text(p)
  local protocol = p.IpProtocol and tostring(p.IpProtocol) or "?"
  local from, to = p.FromPort and tonumber(p.FromPort), p.ToPort and tonumber(p.ToPort)
  if protocol == "-1" or protocol == "all" then return "all traffic" end
  if protocol == "icmp" or protocol == "icmpv6" then
    if (from or -1) == -1 then return protocol .. " all" end
    return string.format("%s type %d%s", protocol, from,
                         (to or -1) ~= -1 and (" code " .. to) or "")
  end
  if from == nil or (from == 0 and to == 65535) or (from == -1) then
    return protocol .. " all ports"
  end
  if from == to then return protocol .. " " .. from end
  return string.format("%s %d-%d", protocol, from, to)
end

local function group_text(id)
  if names[id] then
    if plan.is_placeholder(id) then return "security group " .. names[id] end
    return string.format("security group %s (%s)", names[id], id)
  end
  return "security group " .. show_id(id)
end

-- The rules of one IpPermissions wire item, one per source.
local function wire_rules(p, direction, op)
  local out = {}
  local function add(source, description)
    out[#out + 1] = { op = op, direction = direction, ports = ports_text(p), source = source,
                      description = description }
  end
  for _, r in ipairs(list(p.IpRanges)) do add(r.CidrIp, r.Description) end
  for _, r in ipairs(list(p.Ipv6Ranges)) do add(r.CidrIpv6, r.Description) end
  for _, r in ipairs(list(p.Groups)) do add(group_text(r.GroupId), r.Description) end
  for _, r in ipairs(list(p.PrefixListIds)) do
    add("prefix list " .. tostring(r.PrefixListId), r.Description)
  end
  return out
end

local function tag_value(tag_specifications, key)
  for _, spec in ipairs(list(tag_specifications)) do
    for _, tag in ipairs(list(spec.Tag)) do
      if tag.Key == key then return tag.Value end
    end
  end
end

local function rule_line(rule)
  local word = rule.direction == "egress" and "outbound" or "inbound"
  local preposition = rule.direction == "egress" and "to" or "from"
  local text = string.format("%s %s %s %s %s", rule.op, word, rule.ports, preposition, rule.source)
  if rule.rule_id then
    text = string.format("%s %s rule %s", rule.op, word, rule.rule_id)
  end
  if rule.description and rule.description ~= "" then
    text = text .. string.format(' "%s"', rule.description)
  end
  return text
end

--- Builds the plan from recorded calls (plan.calls() shape). Returns
--- `lines` (the text, one string per line) and `changes` (a list of
--- { op = "+"|"~"|"-", type, name, id, vpc_id, rules = { { op, direction,
--- ports, source, description } }, tags }) and `summary` ({ add, change,
--- destroy, rules_added, rules_removed }).
function M.build_plan(calls)
  local changes, by_id = {}, {}
  local function entry(op, kind, id, fields)
    local e = by_id[id]
    if e and (op == "~" or e.op == op) then return e end
    e = { op = op, type = kind, id = id, rules = {}, tags = {} }
    for k, v in pairs(fields or {}) do e[k] = v end
    changes[#changes + 1] = e
    if id then by_id[id] = e end
    return e
  end
  for _, call in ipairs(calls) do
    local a, p = call.action, call.params or {}
    if a == "CreateSecurityGroup" then
      names[call.id] = p.GroupName
      entry("+", "security group", call.id,
            { name = p.GroupName, vpc_id = p.VpcId, description = p.GroupDescription })
    elseif a == "CreateVpc" then
      local name = tag_value(p.TagSpecification, "Name")
      names[call.id] = name
      entry("+", "vpc", call.id, { name = name, cidr = p.CidrBlock })
    elseif a:match("^AuthorizeSecurityGroup") or a:match("^RevokeSecurityGroup") then
      local e = entry("~", "security group", p.GroupId, { name = names[p.GroupId] })
      local direction = a:match("Egress$") and "egress" or "ingress"
      local op = a:match("^Authorize") and "+" or "-"
      for _, permission in ipairs(list(p.IpPermissions)) do
        for _, rule in ipairs(wire_rules(permission, direction, op)) do
          e.rules[#e.rules + 1] = rule
        end
      end
      for _, rule_id in ipairs(list(p.SecurityGroupRuleId)) do
        e.rules[#e.rules + 1] = { op = op, direction = direction, rule_id = rule_id }
      end
    elseif a == "CreateTags" then
      for _, id in ipairs(list(p.ResourceId)) do
        local e = entry("~", id:match("^sg%-") and "security group" or "resource", id,
                        { name = names[id] })
        for _, tag in ipairs(list(p.Tag)) do e.tags[tag.Key] = tag.Value end
      end
    elseif a == "DeleteSecurityGroup" then
      entry("-", "security group", p.GroupId, { name = names[p.GroupId] })
    elseif a == "DeleteVpc" then
      entry("-", "vpc", p.VpcId, { name = names[p.VpcId] })
    else
      entry("~", "call", nil, { name = a })
    end
  end

  local summary = { add = 0, change = 0, destroy = 0, rules_added = 0, rules_removed = 0 }
  local lines = {}
  for _, e in ipairs(changes) do
    if e.op == "+" then
      summary.add = summary.add + 1
    elseif e.op == "-" then
      summary.destroy = summary.destroy + 1
    else
      summary.change = summary.change + 1
    end
    local head
    if e.type == "call" then
      head = "~ " .. e.name
    elseif e.op == "+" then
      local where = e.vpc_id and string.format(" (in %s)",
        plan.is_placeholder(e.vpc_id) and ("vpc " .. (names[e.vpc_id] or M.KNOWN_AFTER_APPLY))
        or e.vpc_id) or (e.cidr and (" (" .. e.cidr .. ")") or "")
      head = string.format("+ %s %s%s", e.type, e.name or "?", where)
    else
      head = string.format("%s %s %s", e.op, e.type,
                           e.name and string.format("%s (%s)", e.name, show_id(e.id)) or show_id(e.id))
    end
    lines[#lines + 1] = head
    for _, rule in ipairs(e.rules) do
      if rule.op == "+" then
        summary.rules_added = summary.rules_added + 1
      else
        summary.rules_removed = summary.rules_removed + 1
      end
      lines[#lines + 1] = "    " .. rule_line(rule)
    end
    local keys = {}
    for k in pairs(e.tags) do keys[#keys + 1] = k end
    table.sort(keys)
    for _, k in ipairs(keys) do
      lines[#lines + 1] = string.format('    ~ tag %s = "%s"', k, e.tags[k])
    end
  end
  if #changes == 0 then
    lines[#lines + 1] = "No changes."
  else
    lines[#lines + 1] = ""
    local rules = ""
    if summary.rules_added + summary.rules_removed > 0 then
      rules = string.format(" (rules: %d to add, %d to remove)", summary.rules_added,
                            summary.rules_removed)
    end
    lines[#lines + 1] = string.format("Plan: %d to add, %d to change, %d to destroy%s.",
                                      summary.add, summary.change, summary.destroy, rules)
  end

  local out = {}
  for i, e in ipairs(changes) do
    local rules = {}
    for j, r in ipairs(e.rules) do
      rules[j] = { action = r.op == "+" and "add" or "remove", direction = r.direction,
                   ports = r.ports, source = r.source, rule_id = r.rule_id,
                   description = r.description }
    end
    out[i] = {
      action = e.op == "+" and "create" or e.op == "-" and "delete" or "update",
      type = e.type:gsub(" ", "_"), name = e.name, id = e.id and show_id(e.id),
      vpc_id = e.vpc_id and show_id(e.vpc_id), cidr = e.cidr, description = e.description,
      rules = array(rules), tags = next(e.tags) and e.tags or nil,
    }
  end
  return lines, array(out), summary
end

local function finish_plan(result)
  local lines, changes, summary = M.build_plan(plan.calls())
  for _, line in ipairs(lines) do log.report("%s", line) end
  return { mode = "plan", changes = changes, summary = summary,
           outputs = without_placeholders(result) }
end

-- ---- dry run -----------------------------------------------------------------

local function finish_dry_run(result)
  local r = plan.dry_run_results()
  local allowed, denied = r.allowed, r.denied
  log.report("Dry run: %d action(s) allowed, %d denied.", #allowed, #denied)
  for _, a in ipairs(allowed) do
    log.report("  allowed  %s%s", a.action,
               a.unverified and " (not verified: it names a resource the run would create)" or "")
  end
  local names_denied, seen = {}, {}
  for _, d in ipairs(denied) do
    log.report("  denied   %s: %s", d.action, d.message)
    if not seen[d.action] then
      seen[d.action] = true
      names_denied[#names_denied + 1] = d.action
    end
  end
  if #denied > 0 then
    kumo.raise{ kind = "aws", code = "UnauthorizedOperation", operation = denied[1].action,
                http_status = denied[1].http_status,
                message = string.format("dry run: %d action(s) denied: %s", #names_denied,
                                        table.concat(names_denied, ", ")),
                hint = "grant these EC2 actions to the credentials that run the script" }
  end
  local function actions(items)
    local out = {}
    for i, item in ipairs(items) do out[i] = item.action end
    return array(out)
  end
  return { mode = "dry_run", allowed = actions(allowed), denied = actions(denied),
           outputs = without_placeholders(result) }
end

-- ---- destroy -----------------------------------------------------------------

local function source_id(rule)
  local s = rule.source_group
  if type(s) == "table" then return s.group_id end
  return s
end

-- The other groups with rules that reference `group_id`, each with the
-- referencing ingress and egress rules.
local function referencing_groups(group_id)
  local found, seen = {}, {}
  for _, filter in ipairs({ "ip-permission.group-id", "egress.ip-permission.group-id" }) do
    for _, g in ipairs(ec2.describe_security_groups{ filters = { [filter] = group_id } }) do
      if g.group_id ~= group_id and not seen[g.group_id] then
        seen[g.group_id] = true
        local item = { group = g, ingress = {}, egress = {} }
        for _, direction in ipairs({ "ingress", "egress" }) do
          for _, rule in ipairs(g[direction] or {}) do
            if source_id(rule) == group_id then
              item[direction][#item[direction] + 1] = rule
            end
          end
        end
        if #item.ingress + #item.egress > 0 then found[#found + 1] = item end
      end
    end
  end
  return found
end

local function describe_users(group_id)
  local users = {}
  local ok, r = pcall(ec2.call, "DescribeNetworkInterfaces",
                      { Filter = { { Name = "group-id", Value = { group_id } } } })
  if ok then
    for _, eni in ipairs(list(r.networkInterfaceSet)) do
      users[#users + 1] = string.format('network interface %s ("%s")',
                                        tostring(eni.networkInterfaceId), eni.description or "")
    end
  end
  local ok2, refs = pcall(referencing_groups, group_id)
  if ok2 then
    for _, ref in ipairs(refs) do
      users[#users + 1] = string.format("%d rule(s) of security group %s (%s)",
                                        #ref.ingress + #ref.egress, ref.group.name,
                                        ref.group.group_id)
    end
  end
  return users
end

-- Revokes the rules of other groups of the same stack (any group with
-- --force) that reference the group `item`; rules of groups outside the
-- stack are left alone (the deletion then fails with DependencyViolation,
-- naming them).
local function revoke_references(item)
  for _, ref in ipairs(referencing_groups(item.id)) do
    local same_stack = (ref.group.tags or {})[M.STACK_TAG] == item.stack
    local directions = (same_stack or kumo.destroy_untagged) and { "ingress", "egress" } or {}
    for _, direction in ipairs(directions) do
      local rules = ref[direction]
      if #rules > 0 then
        local call = direction == "ingress" and ec2.revoke_ingress or ec2.revoke_egress
        local ok, err = pcall(call, { group_id = ref.group.group_id, rules = rules })
        if not ok and not (kumo.is_error(err) and err.code == "InvalidPermission.NotFound") then
          error(err, 0)
        end
        log.report("revoked %d %s rule(s) of %s (%s) that reference %s", #rules,
                   direction == "ingress" and "inbound" or "outbound", ref.group.name,
                   ref.group.group_id, item.name)
      end
    end
  end
end

local DELETE = {
  security_group = { action = "DeleteSecurityGroup", param = "GroupId",
                     gone = "InvalidGroup.NotFound", what = "security group" },
  vpc = { action = "DeleteVpc", param = "VpcId", gone = "InvalidVpcID.NotFound", what = "VPC" },
}

local function destroy_one(item)
  local how = DELETE[item.kind]
  if item.kind == "security_group" then revoke_references(item) end
  local ok, err = pcall(ec2.call, how.action, { [how.param] = item.id })
  if ok then return "removed" end
  if kumo.is_error(err) and err.code == how.gone then return "gone" end
  if kumo.is_error(err) and err.code == "DependencyViolation" then
    local users = item.kind == "security_group" and describe_users(item.id) or {}
    kumo.raise{
      kind = "aws", code = err.code, operation = how.action, http_status = err.http_status,
      message = string.format("cannot delete %s %s (%s): %s", how.what, item.name, item.id,
        #users > 0 and ("still used by " .. table.concat(users, ", ")) or err.message),
      hint = item.kind == "security_group"
        and "remove what uses the group (instances, ENIs, load balancers, other groups' rules) first"
        or nil,
    }
  end
  error(err, 0)
end

local function check_owned(item)
  if not item.id or kumo.destroy_untagged then return end
  local have = item.tags and item.tags[M.STACK_TAG]
  if have == item.stack then return end
  local why = have and string.format("it belongs to stack '%s', not '%s'", have, item.stack)
    or string.format("it lacks the tag %s=%s, so kumo did not create it", M.STACK_TAG, item.stack)
  kumo.raise{
    kind = "script", code = "NotManagedByKumo",
    message = string.format("refusing to destroy %s %s (%s): %s; run with --force to delete it "
                            .. "anyway", DELETE[item.kind].what, item.name, item.id, why),
  }
end

local function finish_destroy(result)
  for _, item in ipairs(to_destroy) do check_owned(item) end
  local removed, gone = {}, {}
  for i = #to_destroy, 1, -1 do
    local item = to_destroy[i]
    local outcome = item.id and destroy_one(item) or "gone"
    local record = { type = item.kind, name = item.name, id = item.id }
    if outcome == "removed" then
      removed[#removed + 1] = record
      log.report("destroyed %s (%s)", item.name, item.id)
    else
      gone[#gone + 1] = record
      log.report("already gone: %s", item.name)
    end
  end
  if #removed == 0 then
    log.report("Nothing to destroy.")
  else
    log.report("Destroyed %d resource(s), %d already gone.", #removed, #gone)
  end
  return { mode = "destroy", removed = array(removed), already_gone = array(gone) }
end

--- Called by the runtime after the script returned `result`, in plan,
--- dry-run and destroy mode. Returns what the run's result becomes (see the
--- top of this file); raises when a dry run found denied actions or a
--- deletion fails or is refused.
function M.finish(result)
  if kumo.mode == "plan" then return finish_plan(result) end
  if kumo.mode == "dry_run" then return finish_dry_run(result) end
  if kumo.mode == "destroy" then return finish_destroy(result) end
  return result
end

return M
