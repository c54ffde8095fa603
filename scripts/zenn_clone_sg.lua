-- zenn_clone_sg.lua: the two security groups of the Zenn-clone backend, as in
-- the book's chapter. Safe to run again: it only creates what is missing.
--
--   kumo run scripts/zenn_clone_sg.lua [--var prefix=NAME] [--var vpc_id=vpc-...] [--output -]
--
-- Returns { vpc_id, ecs_backend_security_group_id, rds_security_group_id }.
-- To change a rule, edit its line below; `kumo run` again adds what is missing.
-- `kumo run --plan` shows what a run would change; `--destroy` removes both
-- groups (only those tagged kumo:stack=PREFIX, i.e. created by this script).
local sg = require "kumo.sg"
local vpc = require "kumo.vpc"
local kumo = require "kumo"

local prefix = kumo.vars.prefix or "zenn-clone"
local vpc_id = kumo.vars.vpc_id or vpc.find{ name = prefix .. "-vpc" }.vpc_id

-- Rails backend on ECS (public subnet): HTTP from anywhere, IPv4 and IPv6.
local backend = sg.ensure{
  name = prefix .. "-ecs-backend-security-group",
  description = "ECS backend: HTTP from anywhere",
  vpc_id = vpc_id,
  stack = prefix,
  ingress = {
    { protocol = "tcp", port = 80, cidr = "0.0.0.0/0", description = "HTTP from anywhere (IPv4)" },
    { protocol = "tcp", port = 80, cidr = "::/0",      description = "HTTP from anywhere (IPv6)" },
  },
}

-- MySQL on RDS (private subnet): port 3306 only from the backend's group.
local rds = sg.ensure{
  name = prefix .. "-rds-security-group",
  description = "RDS: MySQL from ECS backend only",
  vpc_id = vpc_id,
  stack = prefix,
  ingress = {
    { protocol = "tcp", port = 3306, source_group = backend.group_id,
      description = "MySQL from ECS backend" },
  },
}

return {
  vpc_id = vpc_id,
  ecs_backend_security_group_id = backend.group_id,
  rds_security_group_id = rds.group_id,
}
