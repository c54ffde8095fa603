-- zenn_clone_vpc.lua: the VPC of the Zenn-clone deployment (the book's earlier
-- chapter), so that zenn_clone_sg.lua has something to work in. Safe to run
-- again: it creates the VPC only when no VPC carries its name.
--
--   kumo run scripts/zenn_clone_vpc.lua [--var prefix=NAME] [--var cidr=10.0.0.0/16] [--output -]
--
-- Returns { vpc_id, created }.
local vpc = require "kumo.vpc"
local kumo = require "kumo"

local prefix = kumo.vars.prefix or "zenn-clone"

local v = vpc.ensure{
  name = prefix .. "-vpc",
  cidr = kumo.vars.cidr or "10.0.0.0/16",
  stack = prefix,
}

return { vpc_id = v.vpc_id, created = v.created }
