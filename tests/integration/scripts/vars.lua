-- vars.lua - echoes --var values and their Lua types.
return {
  name = kumo.vars.name,
  name_type = type(kumo.vars.name),
  count = kumo.vars.count,
  count_type = type(kumo.vars.count),
  missing_type = type(kumo.vars.missing),
}
