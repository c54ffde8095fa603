-- kumo.paginate: follows NextToken through an EC2 Describe* action, for
-- scripts that use ec2.call directly.
--
--   local paginate = require "kumo.paginate"
--   for _, group in paginate.each("DescribeSecurityGroups", { MaxResults = 100 },
--                                 "securityGroupInfo") do ... end
--   local vpcs = paginate.all("DescribeVpcs", {}, "vpcSet")
local ec2 = require "kumo.ec2"

local M = {}

local MAX_PAGES = 10000

local function check_args(action, params, list_field)
  if type(action) ~= "string" then
    error("action: string expected, got " .. type(action), 3)
  end
  if params ~= nil and type(params) ~= "table" then
    error("params: table or nil expected, got " .. type(params), 3)
  end
  if type(list_field) ~= "string" then
    error("list_field: string expected, got " .. type(list_field), 3)
  end
end

local function copy(t)
  local c = {}
  for k, v in pairs(t or {}) do c[k] = v end
  return c
end

--- Calls `action` page by page. Returns an iterator yielding (index, item)
--- over the items of `list_field` of every page. Raises kumo.Error as
--- ec2.call does, and an error when the server repeats a token.
function M.each(action, params, list_field)
  check_args(action, params, list_field)
  local request = copy(params)
  local page, position, index, pages = nil, 0, 0, 0
  local seen = {}
  local done = false
  return function()
    while true do
      if page and position < #page then
        position = position + 1
        index = index + 1
        return index, page[position]
      end
      if done then return nil end
      pages = pages + 1
      if pages > MAX_PAGES then
        error(action .. ": more than " .. MAX_PAGES .. " pages; stopping", 2)
      end
      local response = ec2.call(action, request)
      local items = response[list_field]
      page = type(items) == "table" and items or {}
      position = 0
      local token = response.nextToken
      if type(token) == "string" and token ~= "" then
        if seen[token] then
          error(action .. ": the server returned the same NextToken twice", 2)
        end
        seen[token] = true
        request.NextToken = token
      else
        done = true
      end
    end
  end
end

--- Returns every item of `list_field` across all pages, as one array.
function M.all(action, params, list_field)
  check_args(action, params, list_field)
  local items = {}
  for _, item in M.each(action, params, list_field) do
    items[#items + 1] = item
  end
  return items
end

return M
